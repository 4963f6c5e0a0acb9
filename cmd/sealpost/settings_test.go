package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestSettingsDKIMLookups: DKIM lookups are on in a new profile, and
// `settings --dkim-lookups off` keeps them off in the profile.
func TestSettingsDKIMLookups(t *testing.T) {
	dir, pass := newProfile(t)
	if r := sealpost(t, dir, pass, "settings"); r.code != 0 || strings.TrimSpace(r.out) != "DKIM lookups: on" {
		t.Fatalf("settings of a new profile = %d, %q, %q; want DKIM lookups on", r.code, r.out, r.err)
	}
	if r := sealpost(t, dir, pass, "settings", "--dkim-lookups", "off"); r.code != 0 || strings.TrimSpace(r.out) != "DKIM lookups: off" {
		t.Fatalf("settings --dkim-lookups off = %d, %q, %q", r.code, r.out, r.err)
	}
	r := sealpost(t, dir, pass, "settings", "--json")
	var got settingsJSON
	if r.code != 0 || json.Unmarshal([]byte(r.out), &got) != nil || got.DKIMLookups {
		t.Errorf("settings --json after turning lookups off = %d, %q, %q; want dkim_lookups false", r.code, r.out, r.err)
	}
	if r := sealpost(t, dir, pass, "settings", "--dkim-lookups", "maybe"); r.code != 2 {
		t.Errorf("settings --dkim-lookups maybe exited %d, want 2 (usage)", r.code)
	}
}
