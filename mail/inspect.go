package mail

import "github.com/sealpost/sealpost/crypto/verdict"

// Verdict is what Sealpost concluded about one message: encryption,
// integrity, signature, header protection, the text to show and warnings.
type Verdict = verdict.Result

// Inspect decrypts and verifies raw with the profile's own keys and its
// contacts' keys, and returns the verdict. Nothing in the message causes
// network activity.
func (p *Profile) Inspect(raw []byte) (Verdict, error) {
	own, err := p.ownSecretKeys()
	if err != nil {
		return Verdict{}, err
	}
	defer func() {
		for _, k := range own {
			k.ClearPrivate()
		}
	}()
	verifiers, err := p.verifierKeys()
	if err != nil {
		return Verdict{}, err
	}
	for _, k := range own {
		verifiers = append(verifiers, k.Public())
	}
	return verdict.Inspect(raw, verdict.Options{Keys: own, Verifiers: verifiers, Now: p.now()})
}
