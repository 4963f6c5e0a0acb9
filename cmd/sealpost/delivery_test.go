package main

import (
	"encoding/json"
	"path/filepath"
	"testing"
)

// TestComposeJSONDelivery: compose --json adds the delivery security of each
// recipient domain, once per domain and sorted. The .test domains exist in
// no real DNS, so whatever resolver the machine has, the finding is "not
// checked", said and never guessed.
func TestComposeJSONDelivery(t *testing.T) {
	dir, pass := newProfile(t)
	out := filepath.Join(t.TempDir(), "m.eml")
	r := mustSucceed(t, sealpost(t, dir, pass, "compose", "--from", "alice@example.org", "--mode", "plain",
		"--to", "bob@b.example.test,Carol <carol@A.example.test>", "--cc", "dave@b.example.test", "--subject", "s",
		"--output", out, "--json"))
	var got sendJSON
	if err := json.Unmarshal([]byte(r.out), &got); err != nil {
		t.Fatalf("output %q: %v", r.out, err)
	}
	if got.Output != out || got.Bytes == 0 || len(got.Delivery) != 2 {
		t.Fatalf("got %+v", got)
	}
	for i, want := range []string{"a.example.test", "b.example.test"} {
		d := got.Delivery[i]
		if d.Domain != want || d.Status != "not_checked" || d.DANE != "not_checked" || d.Text == "" || d.Reason == "" {
			t.Errorf("delivery %d = %+v, want %s not checked, with a reason", i, d, want)
		}
	}
}
