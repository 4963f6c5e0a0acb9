package mail

import (
	"bytes"
	"io"

	"github.com/sealpost/sealpost/crypto"
	"github.com/sealpost/sealpost/crypto/verdict"
)

// Verdict is what Sealpost concluded about one message: encryption,
// integrity, signature, header protection, the text to show and warnings.
type Verdict = verdict.Result

// Inspect decrypts and verifies raw with the profile's own keys and its
// contacts' keys, and returns the verdict with the attachments' data (for
// saving them; within verdict.DefaultMaxDecodedSize). Nothing in the message
// causes network activity.
func (p *Profile) Inspect(raw []byte) (Verdict, error) {
	return p.inspectWith(bytes.NewReader(raw), int64(len(raw)), true)
}

// InspectFrom is Inspect for a message of size bytes in src (a file) of any
// size, in bounded memory: attachments are described (name, type, size,
// SHA-256) without their data.
func (p *Profile) InspectFrom(src io.ReaderAt, size int64) (Verdict, error) {
	return p.inspectWith(src, size, false)
}

func (p *Profile) inspectWith(src io.ReaderAt, size int64, keepData bool) (Verdict, error) {
	in, err := p.newInspector()
	if err != nil {
		return Verdict{}, err
	}
	defer in.close()
	opts := in.opts
	opts.Now, opts.KeepAttachmentData = p.now(), keepData
	return verdict.InspectFrom(src, size, opts)
}

// inspector holds the keys for judging several messages in a row.
type inspector struct {
	p    *Profile
	opts verdict.Options
}

// newInspector loads the own secret keys and every contact key once.
// Call close to wipe the secret keys.
func (p *Profile) newInspector() (*inspector, error) {
	own, err := p.ownSecretKeys()
	if err != nil {
		return nil, err
	}
	verifiers, err := p.verifierKeys()
	if err != nil {
		clearKeys(own)
		return nil, err
	}
	for _, k := range own {
		verifiers = append(verifiers, k.Public())
	}
	return &inspector{p: p, opts: verdict.Options{Keys: own, Verifiers: verifiers}}, nil
}

// inspect judges raw; attachments are described without their data.
func (in *inspector) inspect(raw []byte) (Verdict, error) {
	opts := in.opts
	opts.Now = in.p.now()
	return verdict.Inspect(raw, opts)
}

func (in *inspector) close() { clearKeys(in.opts.Keys) }

func clearKeys(keys []*crypto.Key) {
	for _, k := range keys {
		k.ClearPrivate()
	}
}
