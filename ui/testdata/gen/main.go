// Command gen writes the key and message fixtures of the ui tests into
// ui/testdata. Run it from the module root: go run ./ui/testdata/gen
//
// The fixtures are fixed files so that golden images show the same
// fingerprints on every run; the tests run the engine at FixtureTime so
// that the keys never expire under them.
package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail"
	"github.com/sealpost/sealpost/mail/backend"
)

// fixtureTime must equal fixtureNow in ui/fixture_test.go.
var fixtureTime = time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)

// secretPassphrase protects alice.sec.asc; the tests know it.
const secretPassphrase = "fixture passphrase only"

func main() {
	if err := run("ui/testdata"); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	tmp, err := os.MkdirTemp("", "sealpost-gen")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	kdf := localstore.KDFParams{Time: 1, MemoryKiB: 8 * 1024, Threads: 1}
	opts := &mail.ProfileOptions{Store: &localstore.Options{KDF: &kdf}, Now: func() time.Time { return fixtureTime }}
	profile := func(name, email string) (*mail.Profile, error) {
		p, err := mail.CreateProfile(filepath.Join(tmp, name), []byte("generator passphrase"), opts)
		if err != nil {
			return nil, err
		}
		_, err = p.Keys().GenerateKey(name, email, "", 0)
		return p, err
	}
	alice, err := profile("Alice Example", "alice@example.org")
	if err != nil {
		return err
	}
	defer alice.Close()
	bob, err := profile("Bob Example", "bob@example.net")
	if err != nil {
		return err
	}
	defer bob.Close()
	mallory, err := profile("Mallory", "mallory@example.com")
	if err != nil {
		return err
	}
	defer mallory.Close()

	alicePub, err := alice.Keys().ExportPublic("alice@example.org")
	if err != nil {
		return err
	}
	for _, p := range []*mail.Profile{bob, mallory} {
		if _, err := p.Keys().ImportKeys([]byte(alicePub), nil); err != nil {
			return err
		}
	}
	aliceSec, err := alice.Keys().ExportSecret("alice@example.org", []byte(secretPassphrase))
	if err != nil {
		return err
	}
	bobPub, err := bob.Keys().ExportPublic("bob@example.net")
	if err != nil {
		return err
	}
	files := map[string][]byte{"alice.sec.asc": []byte(aliceSec), "bob.pub.asc": []byte(bobPub)}

	to := []string{"Alice Example <alice@example.org>"}
	compose := func(p *mail.Profile, from, name, subject, body, mode string, att []backend.Attachment) ([]byte, error) {
		return p.Composer().Compose(from, backend.Draft{FromName: name, To: to, Subject: subject, Body: body, Attachments: att},
			backend.Security{Mode: mode})
	}
	if files["good.eml"], err = compose(bob, "bob@example.net", "Bob Example", "Q3 numbers",
		"Hi Alice,\n\nthe Q3 numbers are attached. Revenue is up 4 %.\n\nBob\n", mail.ModeEncrypt,
		[]backend.Attachment{{Filename: "q3.csv", Data: []byte("quarter,revenue\nQ3,104\n")}}); err != nil {
		return err
	}
	if files["signed.eml"], err = compose(bob, "bob@example.net", "Bob Example", "Lunch on Friday?",
		"Shall we have lunch on Friday at noon?\n", mail.ModeSign, nil); err != nil {
		return err
	}
	if files["plain.eml"], err = compose(bob, "bob@example.net", "Bob Example", "Parking notice",
		"The car park is closed on Monday.\n", mail.ModePlain, nil); err != nil {
		return err
	}
	// Mallory signs with her own key and puts Bob's name and address in From.
	spoof, err := compose(mallory, "mallory@example.com", "Mallory", "Urgent: new bank details",
		"Please pay the invoice to the new account today.\n", mail.ModeSign, nil)
	if err != nil {
		return err
	}
	// Only the outer header is changed; the signed part still says Mallory.
	files["spoofed.eml"] = bytes.Replace(spoof, []byte(`"Mallory" <mallory@example.com>`), []byte(`"Bob Example" <bob@example.net>`), 1)

	for name, data := range files {
		if err := os.WriteFile(filepath.Join(out, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
