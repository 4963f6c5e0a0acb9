package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/sealpost/sealpost/localstore"
	"github.com/sealpost/sealpost/mail/mailtest"
)

// runAccountCmd runs the account command named words in-process, from the
// command table, and returns its output and error.
func runAccountCmd(dir, passFile string, words string, args ...string) (string, string, error) {
	var out, errOut bytes.Buffer
	env := &cliEnv{stdio: stdio{in: strings.NewReader(""), out: &out, err: &errOut}, profileDir: dir, passphraseFile: passFile}
	err := commandNamed(words).run(context.Background(), env, args)
	return out.String(), errOut.String(), err
}

func accountsOf(t *testing.T, dir, passFile string) []accountJSON {
	t.Helper()
	r := mustSucceed(t, sealpost(t, dir, passFile, "account", "list", "--json"))
	var accts []accountJSON
	if err := json.Unmarshal([]byte(r.out), &accts); err != nil {
		t.Fatalf("account list --json is not JSON: %v\n%s", err, r.out)
	}
	return accts
}

func TestAccountEdit(t *testing.T) {
	srv := mailtest.Start(t)
	user := srv.Alice
	dir, pass := mailtestProfile(t, srv, user)

	tests := []struct {
		name      string
		args      []string
		wantErr   string // "" for success
		wantUsage bool
		wantOut   string
	}{
		{"nothing to change", []string{"--email", user}, "nothing to change", true, ""},
		{"no address", []string{"--name", "X"}, "--email", true, ""},
		{"port without host", []string{"--email", user, "--smtp", ":587"}, "SMTP host", false, ""},
		{"name only", []string{"--email", user, "--name", "Alice Liddell"}, "", false, "Updated " + user},
		{"wrong password", []string{"--email", user, "--password-file", writeFile(t, "bad", "wrong\n")}, "refused the login", false, ""},
		{"right password", []string{"--email", user, "--password-file", writeFile(t, "pw2", srv.Users[user])}, "", false, "pinned certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := runAccountCmd(dir, pass, "account edit", tt.args...)
			if tt.wantErr == "" {
				if err != nil || !strings.Contains(out, tt.wantOut) {
					t.Fatalf("got = %q, %v, want success with %q", out, err, tt.wantOut)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || errors.Is(err, errUsage) != tt.wantUsage {
				t.Fatalf("got = %v, want an error with %q (usage %v)", err, tt.wantErr, tt.wantUsage)
			}
		})
	}
	accts := accountsOf(t, dir, pass)
	if len(accts) != 1 || accts[0].Name != "Alice Liddell" || len(accts[0].PinnedCerts) != 2 {
		t.Errorf("accounts got = %+v, want the new name and both pins kept", accts)
	}
}

func TestAccountRemove(t *testing.T) {
	dir, pass := newProfile(t)
	const user = "alice@example.org"
	st, err := localstore.Open(dir, []byte(testPassphrase), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Accounts().Put(localstore.Account{Email: user}); err != nil {
		t.Fatal(err)
	}
	queued, err := st.Outbox().Add(localstore.OutboxItem{Account: user, Raw: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	if _, _, err := runAccountCmd(dir, pass, "account remove", user); !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "--yes") {
		t.Errorf("without --yes and a terminal: got = %v, want a usage error naming --yes", err)
	}
	if _, _, err := runAccountCmd(dir, pass, "account remove", user, "--yes"); err == nil ||
		!strings.Contains(err.Error(), "1 unsent message") || !strings.Contains(userMessage(err), "`sealpost outbox discard ID`") {
		t.Errorf("with a queued message: got = %v, want a refusal naming it and `outbox discard`", err)
	}
	if got := len(accountsOf(t, dir, pass)); got != 1 {
		t.Fatalf("accounts after the refusal got = %d, want 1", got)
	}
	mustSucceed(t, sealpost(t, dir, pass, "outbox", "discard", queued.ID))
	out, _, err := runAccountCmd(dir, pass, "account remove", "--yes", user)
	if err != nil || !strings.Contains(out, "Removed "+user) {
		t.Fatalf("got = %q, %v, want it removed", out, err)
	}
	if got := len(accountsOf(t, dir, pass)); got != 0 {
		t.Errorf("accounts got = %d, want none", got)
	}
	if _, _, err := runAccountCmd(dir, pass, "account remove", "--yes", user); err == nil || !strings.Contains(err.Error(), "no such account") {
		t.Errorf("removing again: got = %v, want no such account", err)
	}
}
