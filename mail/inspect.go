package mail

import (
	"github.com/sealpost/sealpost/crypto"
	"github.com/sealpost/sealpost/crypto/verdict"
)

// Verdict is what Sealpost concluded about one message: encryption,
// integrity, signature, header protection, the text to show and warnings.
type Verdict = verdict.Result

// Inspect decrypts and verifies raw with the profile's own keys and its
// contacts' keys, and returns the verdict. Nothing in the message causes
// network activity.
func (p *Profile) Inspect(raw []byte) (Verdict, error) {
	in, err := p.newInspector()
	if err != nil {
		return Verdict{}, err
	}
	defer in.close()
	return in.inspect(raw)
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
