package verdict

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sealpost/sealpost/crypto"

	"github.com/sealpost/sealpost/crypto/internal/testenv"
)

// corpusNow is the time at which the corpus keys are judged.
var corpusNow = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// Reader profiles for the corpus tests.
const (
	// profileTB is Thunderbird's own test profile: Alice
	// (alice@openpgp.example) with Bob's public key accepted; Carol's key
	// is not known.
	profileTB = "tb"
	// profileRC is Thunderbird's remote-content test profile: Bob.
	profileRC = "rc"
	// profileEx reads as alice@example.com, knowing Carol and
	// bob@example.com: Thunderbird's tests never decrypt these files.
	profileEx = "ex"
	// profileBenny is profileTB plus the key that made the git-commit
	// signature of sigspoof-git-commit.eml.
	profileBenny = "benny"
	// profileDC holds every deltachat test key (alice … fiona), secret and
	// public.
	profileDC = "dc"
	// profileAC reads with the secret keys of Bob and Alice of the Autocrypt
	// specification (the draft example is encrypted to Alice only).
	profileAC = "ac"
	// profileMTP holds the three secret keys of KDE's mimetreeparser tests
	// (package crypto accepts their RSA-1024 keys: it sets no minimum size).
	profileMTP = "mtp"
)

// Fingerprints of the mimetreeparser GnuPG home.
const (
	mtpKolab = "1BA323932B3FAA826132C79E8D9860C58F246DE6" // rsa2048, test@kolab.org
	mtpYou   = "00949E2AF4A985AFB572FDD214B79E26050467AA" // rsa1024, you@you.com
	mtpBcc   = "CA739AC832766152139B5C49FC4FAB94C727D4BB" // rsa1024, bcc@bcc.org
)

var (
	profilesMu sync.Mutex
	profiles   = map[string]Options{}
)

// corpusProfile loads a reader profile once per test binary (unlocking a
// passphrase-protected key costs an S2K run).
func corpusProfile(t *testing.T, name string) Options {
	t.Helper()
	profilesMu.Lock()
	defer profilesMu.Unlock()
	if o, ok := profiles[name]; ok {
		return o
	}
	var o Options
	switch name {
	case profileTB, profileRC, profileEx, profileBenny:
		keys := filepath.Join(testenv.SharedTestdata(t, "interop", "thunderbird"), "keys")
		k := func(file, pass string) *crypto.Key { return loadKey(t, filepath.Join(keys, file), pass) }
		alice := k("alice@openpgp.example-0xf231550c4f47e38e-secret-with-pp.asc", "alice-passphrase")
		bob := k("bob@openpgp.example-0xfbfcc82a015e7330-secret.asc", "")
		tb := []*crypto.Key{alice.Public(), bob.Public()}
		switch name {
		case profileTB:
			o = Options{Keys: []*crypto.Key{alice}, Verifiers: tb}
		case profileRC:
			o = Options{Keys: []*crypto.Key{bob}, Verifiers: tb}
		case profileEx:
			exAlice := k("alice@example.com-0xf2823b8f6c9a7553-secret.asc", "")
			o = Options{Keys: []*crypto.Key{exAlice}, Verifiers: []*crypto.Key{
				k("carol@example.com-0x3099ff1238852b9f-pub.asc", ""),
				k("bob@example.com-0x4b6454a0c3cb51d0-pub.asc", ""), exAlice.Public()}}
		case profileBenny:
			o = Options{Keys: []*crypto.Key{alice}, Verifiers: append([]*crypto.Key{k("benny-hashwell-0xc55ccd9c5ab482b2-pub.asc", "")}, tb...)}
		}
	case profileDC:
		dir := filepath.Join(testenv.SharedTestdata(t, "interop", "deltachat-core-rust", "test-data"), "key")
		for _, n := range []string{"alice", "bob", "charlie", "dom", "elena", "fiona"} {
			sk := loadKey(t, filepath.Join(dir, n+"-secret.asc"), "")
			o.Keys = append(o.Keys, sk)
			o.Verifiers = append(o.Verifiers, sk.Public())
		}
	case profileAC:
		dir := filepath.Join(testenv.SharedTestdata(t, "interop", "autocrypt"), "doc", "appendix")
		o = Options{
			Keys: []*crypto.Key{loadKey(t, filepath.Join(dir, "bob@autocrypt.example.sec.asc"), ""),
				loadKey(t, filepath.Join(dir, "alice@autocrypt.example.sec.asc"), "")},
			Verifiers: []*crypto.Key{loadKey(t, filepath.Join(dir, "alice@autocrypt.example.pub.asc"), "")},
		}
	case profileMTP:
		for fp, armored := range exportMimetreeparserKeys(t, mtpKolab, mtpYou, mtpBcc) {
			keys, err := crypto.ParseKeys(armored)
			if err != nil {
				t.Fatalf("ParseKeys(%s): %v", fp, err)
			}
			o.Keys = append(o.Keys, keys[0])
			o.Verifiers = append(o.Verifiers, keys[0].Public())
		}
	default:
		t.Fatalf("unknown reader profile %q", name)
	}
	o.Now = corpusNow
	profiles[name] = o
	return o
}
