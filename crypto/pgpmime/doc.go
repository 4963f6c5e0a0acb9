// Package pgpmime turns a plain RFC 5322 message (as mail.BuildMessage writes
// it) into the message Sealpost sends: PGP/MIME encrypted and signed (RFC
// 3156), PGP/MIME signed, password-encrypted with a plaintext cover note, or
// plain; with RFC 9788 header protection and Autocrypt (Level 1) headers.
//
// The package does no I/O of its own. Protect is bytes in, bytes out and on
// any error returns no output at all (fail closed); ProtectTo streams a
// message of any size from a reader to a writer in bounded memory, and on
// an error after the first byte its caller discards the partial output.
//
// Structure of the cryptographic payload (the part that is encrypted or
// signed): the message's own MIME body part, canonicalised to CRLF line ends
// and made 7-bit safe (8-bit text re-encoded as quoted-printable, other 8-bit
// or binary data as base64, lines that begin with "From " escaped), carrying
// the protected header fields From, To, Cc, Subject, Date, Message-ID,
// Reply-To, In-Reply-To and References (never Bcc) and an hp="cipher" or
// hp="clear" parameter on its Content-Type (RFC 9788). For the clients that
// know only the older scheme (Thunderbird, K-9, Enigmail) the Content-Type
// also carries protected-headers="v1", which uses the same placement.
// Encrypted payloads add one HP-Outer field per header field visible outside,
// so that a reader knows what was exposed.
package pgpmime
