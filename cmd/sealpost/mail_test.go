package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sealpost/sealpost/mail/mailtest"
	"github.com/sealpost/sealpost/mail/testservers"
)

var sha256Hex = regexp.MustCompile(`[0-9a-f]{64}`)

// addAccount adds user's account on srv through the CLI: refused first
// because the test CA is not trusted, then accepted with --trust-cert.
func addAccount(t *testing.T, srv *testservers.Servers, dir, pass, user string) {
	t.Helper()
	pwFile := writeFile(t, "pw", srv.Users[user])
	args := []string{"account", "add", "--email", user, "--name", "Test User", "--password-file", pwFile,
		"--imap", srv.IMAPStartTLS, "--imap-security", "starttls", "--smtp", srv.SMTPTLS}
	r := sealpost(t, dir, pass, args...)
	failsWith(t, r, 1, "--trust-cert")
	fingerprint := sha256Hex.FindString(r.err)
	if fingerprint == "" {
		t.Fatalf("the refusal does not print the certificate's SHA-256: %q", r.err)
	}
	r = mustSucceed(t, sealpost(t, dir, pass, append(args, "--trust-cert", strings.ToUpper(fingerprint))...))
	if !strings.Contains(r.out, "pinned certificate") || !strings.Contains(r.out, "TLS 1.3") {
		t.Errorf("account add output = %q, want the pinned TLS connections", r.out)
	}
}

func TestAccountSendSyncListThroughRealServers(t *testing.T) {
	srv := testservers.Start(t)
	alice, bob := "alice@"+srv.Domain, "bob@"+srv.Domain
	aliceDir, pass := newProfile(t)
	bobDir, _ := newProfile(t)
	addAccount(t, srv, aliceDir, pass, alice)
	addAccount(t, srv, bobDir, pass, bob)

	r := mustSucceed(t, sealpost(t, aliceDir, pass, "account", "list", "--json"))
	var accts []accountJSON
	if err := json.Unmarshal([]byte(r.out), &accts); err != nil {
		t.Fatal(err)
	}
	if len(accts) != 1 || accts[0].Email != alice || accts[0].IMAP.Security != "starttls" || len(accts[0].PinnedCerts) != 2 {
		t.Fatalf("account list = %+v, want alice with two pinned servers", accts)
	}
	if strings.Contains(r.out, srv.Users[alice]) {
		t.Fatal("account list prints the password")
	}
	r = mustSucceed(t, sealpost(t, aliceDir, pass, "audit", "list"))
	if strings.Count(r.out, "cert.pinned") != 2 || !strings.Contains(r.out, "account.added") {
		t.Errorf("audit list = %q, want two pins and the account", r.out)
	}

	mustSucceed(t, sealpost(t, aliceDir, pass, "sync"))
	attachment := writeFile(t, "notes.txt", "attached\n")
	r = mustSucceed(t, sealpost(t, aliceDir, pass, "send", "--account", alice, "--to", bob, "--subject", "Hello Bob",
		"--body-file", writeFile(t, "body", "Hi!\n"), "--attach", attachment, "--mode", "plain"))
	if !strings.HasPrefix(r.out, "Sent") || !strings.Contains(r.out, "Delivery to "+srv.Domain+": not checked (") {
		t.Errorf("send output = %q, want the delivery security of %s (not checked: no real DNS knows it)", r.out, srv.Domain)
	}
	r = mustSucceed(t, sealpost(t, aliceDir, pass, "audit", "list", "--json"))
	var trail []auditJSON
	if err := json.Unmarshal([]byte(r.out), &trail); err != nil {
		t.Fatal(err)
	}
	if last := trail[len(trail)-1]; last.Kind != "mail.sent" || last.Mode != "plain" || len(last.Delivery) != 1 ||
		last.Delivery[0].Domain != srv.Domain || last.Delivery[0].Status != "not_checked" {
		t.Errorf("last audit entry = %+v, want mail.sent in plain with the delivery finding", last)
	}
	r = mustSucceed(t, sealpost(t, aliceDir, pass, "outbox", "list", "--json"))
	if strings.TrimSpace(r.out) != "[]" {
		t.Errorf("outbox after sending = %s, want empty", r.out)
	}

	srv.WaitForMessages(t, bob, "INBOX", 1, 30*time.Second)
	mustSucceed(t, sealpost(t, bobDir, pass, "account", "edit", "--email", bob, "--provider-domain", srv.Domain))
	r = mustSucceed(t, sealpost(t, bobDir, pass, "account", "list", "--json"))
	if err := json.Unmarshal([]byte(r.out), &accts); err != nil || len(accts) != 1 || accts[0].ProviderDomain != srv.Domain {
		t.Errorf("bob's account after setting the provider domain = %s", r.out)
	}
	r = mustSucceed(t, sealpost(t, bobDir, pass, "sync", "--folder", "INBOX"))
	if !strings.Contains(r.err, "INBOX: 1/1") {
		t.Errorf("sync progress on stderr = %q, want INBOX: 1/1", r.err)
	}
	r = mustSucceed(t, sealpost(t, bobDir, pass, "list", "--json"))
	var msgs []messageJSON
	if err := json.Unmarshal([]byte(r.out), &msgs); err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].Subject != "Hello Bob" || !msgs[0].HasAttachments || msgs[0].Seen || !msgs[0].Offline {
		t.Fatalf("bob's list = %+v", msgs)
	}
	tr := msgs[0].Transport
	if tr == nil || tr.Fetch == nil || tr.Fetch.Version == "" || len(tr.Hops) == 0 {
		t.Fatalf("transport = %+v, want the hops and our fetch recorded\n%s", tr, r.out)
	}
	submitted := tr.Hops[0]
	if submitted.By != "mail."+srv.Domain || submitted.With != "ESMTPSA" || submitted.TLSVersion == "" || !submitted.ByProvider {
		t.Errorf("the submission hop = %+v, want Postfix's, over TLS, by the provider", submitted)
	}
}

// mailtestProfile returns a profile folder with user's account on srv,
// its certificate pinned, and the passphrase file that opens it.
func mailtestProfile(t *testing.T, srv *mailtest.Servers, user string) (dir, passFile string) {
	t.Helper()
	return mailtest.PinnedProfileDir(t, srv, user), writeFile(t, "pass", mailtest.Passphrase+"\n")
}

func TestSendFailureKeepsMessageInOutbox(t *testing.T) {
	srv := mailtest.Start(t)
	alice := srv.Alice
	dir, pass := mailtestProfile(t, srv, alice)
	// A recipient outside the test domain is refused by the server (no relaying).
	// Without keys the default (auto) refuses before anything is queued.
	failsWith(t, sealpost(t, dir, pass, "send", "--account", alice, "--to", "someone@elsewhere.invalid", "--subject", "x"), 1, "no usable own key")
	failsWith(t, sealpost(t, dir, pass, "send", "--account", alice, "--to", "someone@elsewhere.invalid", "--subject", "x", "--mode", "plain"), 1, "kept in the outbox")
	r := mustSucceed(t, sealpost(t, dir, pass, "outbox", "list", "--json"))
	var items []outboxJSON
	if err := json.Unmarshal([]byte(r.out), &items); err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].Attempts != 1 || items[0].LastError == "" || items[0].State != "held" {
		t.Fatalf("outbox = %+v, want the refused message with its error, held for the user", items)
	}
	if r := mustSucceed(t, sealpost(t, dir, pass, "outbox", "list")); !strings.Contains(r.out, items[0].ID+"  "+alice+"  held") {
		t.Errorf("outbox list = %q, want the message's state", r.out)
	}
	mustSucceed(t, sealpost(t, dir, pass, "outbox", "discard", items[0].ID))
	if r := mustSucceed(t, sealpost(t, dir, pass, "outbox", "list")); !strings.Contains(r.out, "empty") {
		t.Errorf("outbox after discard = %q", r.out)
	}
	failsWith(t, sealpost(t, dir, pass, "outbox", "frobnicate"), 2, "outbox list")
}
