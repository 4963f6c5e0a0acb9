package xoauth2

import (
	"errors"
	"testing"
)

func TestInitialResponse(t *testing.T) {
	mech, ir, err := NewClient("alice@example.org", "ya29.token").Start()
	if err != nil || mech != "XOAUTH2" {
		t.Fatalf("Start = %q, %v", mech, err)
	}
	if want := "user=alice@example.org\x01auth=Bearer ya29.token\x01\x01"; string(ir) != want {
		t.Errorf("initial response = %q, want %q", ir, want)
	}
}

func TestRefusalIsAnError(t *testing.T) {
	resp, err := NewClient("a", "b").Next([]byte(`{"status":"401"}`))
	if !errors.Is(err, ErrRejected) || resp == nil || len(resp) != 0 {
		t.Errorf("Next(error challenge) = %q, %v; want an empty answer and the refusal", resp, err)
	}
}
