package mail

import (
	"bytes"
	"io"
	"time"

	"github.com/sealpost/sealpost/crypto"
	"github.com/sealpost/sealpost/crypto/verdict"
)

// Verdict is what Sealpost concluded about one message: encryption,
// integrity, signature, header protection, the text to show and warnings.
type Verdict = verdict.Result

// Inspector decrypts and verifies messages with the profile's own keys and
// its contacts' keys, and says what it found (a Verdict). Nothing in a
// message causes network activity.
type Inspector struct {
	keys *Keyring
	now  func() time.Time
}

// Inspect decrypts and verifies raw and returns the verdict with the
// attachments' data (for saving them; within
// verdict.DefaultMaxDecodedSize).
func (is *Inspector) Inspect(raw []byte) (Verdict, error) {
	return is.inspectWith(bytes.NewReader(raw), int64(len(raw)), true)
}

// InspectFrom is Inspect for a message of size bytes in src (a file) of any
// size, in bounded memory: attachments are described (name, type, size,
// SHA-256) without their data.
func (is *Inspector) InspectFrom(src io.ReaderAt, size int64) (Verdict, error) {
	return is.inspectWith(src, size, false)
}

// InspectBlock decrypts or verifies an inline block of a message on its
// own (see verdict.InspectBlock).
func (is *Inspector) InspectBlock(b verdict.Block) (Verdict, error) {
	ks, err := is.session()
	if err != nil {
		return Verdict{}, err
	}
	defer ks.close()
	opts := ks.opts
	opts.Now = is.now()
	return verdict.InspectBlock(b, opts)
}

func (is *Inspector) inspectWith(src io.ReaderAt, size int64, keepData bool) (Verdict, error) {
	ks, err := is.session()
	if err != nil {
		return Verdict{}, err
	}
	defer ks.close()
	opts := ks.opts
	opts.Now, opts.KeepAttachmentData = is.now(), keepData
	return verdict.InspectFrom(src, size, opts)
}

// keySession holds the keys for judging several messages in a row.
type keySession struct {
	now  func() time.Time
	opts verdict.Options
}

// session loads the own secret keys and every contact key once. Call close
// to wipe the secret keys.
func (is *Inspector) session() (*keySession, error) {
	own, err := is.keys.ownSecretKeys()
	if err != nil {
		return nil, err
	}
	verifiers, err := is.keys.verifierKeys()
	if err != nil {
		clearKeys(own)
		return nil, err
	}
	for _, k := range own {
		verifiers = append(verifiers, k.Public())
	}
	return &keySession{now: is.now, opts: verdict.Options{Keys: own, Verifiers: verifiers}}, nil
}

// inspect judges raw; attachments are described without their data.
func (ks *keySession) inspect(raw []byte) (Verdict, error) {
	opts := ks.opts
	opts.Now = ks.now()
	return verdict.Inspect(raw, opts)
}

func (ks *keySession) close() { clearKeys(ks.opts.Keys) }

func clearKeys(keys []*crypto.Key) {
	for _, k := range keys {
		k.ClearPrivate()
	}
}
