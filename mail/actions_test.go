package mail

import (
	"errors"
	"testing"

	"github.com/sealpost/sealpost/localstore"
)

// TestActionsNeedAnAccount checks the error for an unknown account.
func TestActionsNeedAnAccount(t *testing.T) {
	p, err := CreateProfile(t.TempDir()+"/p", []byte("test passphrase 123"),
		&ProfileOptions{Store: &localstore.Options{KDF: &cheapKDF}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Messages().MarkRead("nobody@example.org", "INBOX", []uint32{1}, true); !errors.Is(err, ErrNoAccount) {
		t.Errorf("MarkRead on an unknown account got = %v, want ErrNoAccount", err)
	}
}
