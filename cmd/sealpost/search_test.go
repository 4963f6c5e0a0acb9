package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sealpost/sealpost/localstore"
)

// searchProfile returns alice's profile folder, holding (as a sync stores
// them) an encrypted message to herself whose body says "zanzibar", a plain
// one in her Archive and a plain one in carol's account.
func searchProfile(t *testing.T) (dir, pass string) {
	t.Helper()
	dir, _, pass = twoProfilesWithKeys(t)
	encFile := filepath.Join(t.TempDir(), "enc.eml")
	mustSucceed(t, sealpost(t, dir, pass, "compose", "--from", "alice@example.org", "--to", "alice@example.org",
		"--subject", "Quarterly plans", "--body-file", writeFile(t, "body", "The secret word is Zanzibar.\n"), "--mode", "encrypt", "--output", encFile))
	enc, err := os.ReadFile(encFile)
	if err != nil {
		t.Fatal(err)
	}
	s, err := localstore.Open(dir, []byte(testPassphrase), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	day := func(n int) time.Time { return time.Date(2026, 11, n, 9, 0, 0, 0, time.UTC) }
	plain := func(subject string) []byte {
		return []byte("From: x@example.net\r\nSubject: " + subject + "\r\nContent-Type: text/plain\r\n\r\n" + subject + "\r\n")
	}
	for _, m := range []struct {
		account, folder string
		sum             localstore.Summary
		raw             []byte
	}{
		{"alice@example.org", "INBOX", localstore.Summary{UID: 5, From: "Alice <alice@example.org>", Subject: "...", Date: day(10), Encrypted: true, Flags: []string{`\Seen`}}, enc},
		{"alice@example.org", "Archive", localstore.Summary{UID: 2, From: "Alice <alice@example.org>", Subject: "Zanzibar trip photos", Date: day(2)}, plain("Zanzibar trip photos")},
		{"carol@example.com", "INBOX", localstore.Summary{UID: 9, From: "Carol <carol@example.com>", Subject: "Zanzibar invoice", Date: day(20)}, plain("Zanzibar invoice")},
	} {
		if err := s.Accounts().Put(localstore.Account{Email: m.account}); err != nil {
			t.Fatal(err)
		}
		if err := s.Folders().Put(localstore.Folder{Account: m.account, Name: m.folder}); err != nil {
			t.Fatal(err)
		}
		if err := s.Messages().PutBatch(m.account, m.folder, []localstore.Summary{m.sum}, []localstore.RawMessage{{UID: m.sum.UID, Raw: m.raw}}); err != nil {
			t.Fatal(err)
		}
	}
	return dir, pass
}

func TestSearchCommand(t *testing.T) {
	dir, pass := searchProfile(t)
	tests := []struct {
		name string
		args []string
		want []string // account/folder/uid, in order
	}{
		{"every account, newest first", []string{"ZANZIBAR"}, []string{"carol/INBOX/9", "alice/INBOX/5", "alice/Archive/2"}},
		{"inside encrypted mail", []string{"secret", "word"}, []string{"alice/INBOX/5"}},
		{"one account", []string{"--account", "alice@example.org", "zanzibar"}, []string{"alice/INBOX/5", "alice/Archive/2"}},
		{"one folder", []string{"--account", "alice@example.org", "--folder", "Archive", "zanzibar"}, []string{"alice/Archive/2"}},
		{"limit", []string{"--limit", "1", "zanzibar"}, []string{"carol/INBOX/9"}},
		{"all words", []string{"zanzibar", "invoice"}, []string{"carol/INBOX/9"}},
		{"no match", []string{"marzipan"}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustSucceed(t, sealpost(t, dir, pass, append([]string{"search", "--json"}, tt.args...)...))
			var msgs []messageJSON
			if err := json.Unmarshal([]byte(r.out), &msgs); err != nil {
				t.Fatalf("search --json is not JSON: %v\n%s", err, r.out)
			}
			got := []string{}
			for _, m := range msgs {
				got = append(got, fmt.Sprintf("%s/%s/%d", strings.SplitN(m.Account, "@", 2)[0], m.Folder, m.UID))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("search %q = %v, want %v", tt.args, got, tt.want)
			}
			if len(tt.want) == 0 && strings.TrimSpace(r.out) != "[]" {
				t.Errorf("search --json without matches printed %q, want []", r.out)
			}
		})
	}

	// The same fields as `list --json`.
	r := mustSucceed(t, sealpost(t, dir, pass, "search", "--json", "secret"))
	var msgs []messageJSON
	if err := json.Unmarshal([]byte(r.out), &msgs); err != nil || len(msgs) != 1 {
		t.Fatalf("search --json secret = %s, %v", r.out, err)
	}
	want := messageJSON{Account: "alice@example.org", Folder: "INBOX", UID: 5, From: "alice@example.org", Subject: "Quarterly plans",
		Date: "2026-11-10T09:00:00Z", Flags: []string{`\Seen`}, Seen: true, Encrypted: true, Offline: true}
	got := msgs[0]
	if got.Account != want.Account || got.Folder != want.Folder || got.UID != want.UID || got.From != want.From ||
		got.Subject != want.Subject || got.Date != want.Date || !slices.Equal(got.Flags, want.Flags) || got.Seen != want.Seen ||
		got.Encrypted != want.Encrypted || got.Offline != want.Offline {
		t.Errorf("search --json secret = %+v, want %+v", got, want)
	}

	// Text output: list's columns.
	r = mustSucceed(t, sealpost(t, dir, pass, "search", "--account", "alice@example.org", "zanzibar"))
	lines := strings.Split(strings.TrimSpace(r.out), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "5") || !strings.Contains(lines[0], "Quarterly plans") ||
		!strings.HasPrefix(lines[1], "*") || !strings.Contains(lines[1], "Zanzibar trip photos") {
		t.Errorf("search output = %q, want alice's two messages as list prints them", r.out)
	}
	if r := mustSucceed(t, sealpost(t, dir, pass, "search", "marzipan")); r.out != "" {
		t.Errorf("search without matches printed %q, want nothing", r.out)
	}
}

func TestSearchCommandErrors(t *testing.T) {
	dir, pass := searchProfile(t)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no words", nil, 2, "nothing to search for"},
		{"blank words", []string{" ", "\t"}, 2, "nothing to search for"},
		{"bad limit", []string{"--limit", "0", "x"}, 2, "--limit must be positive"},
		{"unknown folder", []string{"--folder", "Nowhere", "x"}, 1, `folder "Nowhere" is not synchronised`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sealpost(t, dir, pass, append([]string{"search"}, tt.args...)...)
			if r.code != tt.code || !strings.Contains(r.err, tt.want) {
				t.Errorf("search %q: exit code %d, stderr %q; want %d and %q", tt.args, r.code, r.err, tt.code, tt.want)
			}
		})
	}
	empty, emptyPass := newProfile(t)
	failsWith(t, sealpost(t, empty, emptyPass, "search", "x"), 1, "no accounts yet")
}
