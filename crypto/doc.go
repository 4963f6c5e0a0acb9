// Package crypto is Sealpost's OpenPGP core: keys, streaming encryption and
// signing, and streaming decryption and verification with integrity gating.
//
// The package does no I/O of its own: it reads and writes only through the
// io.Reader and io.Writer values it is given, and it never writes plaintext
// anywhere except into the caller's Staging, and only after the whole message
// was read and authenticated.
//
// Engines: key generation, key parsing and serialization, session-key
// packets (PKESK, SKESK), signatures, compression and the parsing of the
// decrypted packets use github.com/ProtonMail/go-crypto (openpgp,
// openpgp/packet, openpgp/armor, openpgp/s2k) directly, because gopenpgp/v2
// hides what Sealpost needs (the precise signature status, key lifetime, the
// integrity check before any plaintext is released, SKESK together with a
// signature) and reads the clock from a package-level setting.
// github.com/ProtonMail/gopenpgp/v2 wipes private key parameters
// (Key.ClearPrivate). Two hot paths are this package's own, in the standard
// formats: the SEIPDv1 layer with AES (seipd.go; go-crypto's CFB works byte by
// byte) and the armor encoder for messages (armor.go; go-crypto computes the
// CRC-24 bit by bit). go-crypto still decrypts AEAD (SEIPDv2, OCB) and
// non-AES SEIPDv1 data.
//
// Interoperability: messages use SEIPDv1 (MDC) with AES-256 and signatures
// SHA-256, so that GnuPG 2.2 reads everything this package writes. Nothing is
// compressed on encryption.
package crypto
