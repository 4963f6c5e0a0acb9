package backend

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckFolderName(t *testing.T) {
	tests := []struct {
		name, in, delim string
		ok              bool
	}{
		{"plain", "Receipts", "/", true},
		{"spaces inside", "Tax 2026", "/", true},
		{"unicode", "Rechnungen ü", ".", true},
		{"dot without that delimiter", "v1.2", "/", true},
		{"no hierarchy", "a/b", "", true},
		{"empty", "", "/", false},
		{"only spaces", "   ", "/", false},
		{"leading space", " Receipts", "/", false},
		{"inbox", "inbox", "/", false},
		{"delimiter", "a/b", "/", false},
		{"dot delimiter", "v1.2", ".", false},
		{"star", "a*", "/", false},
		{"percent", "100%", "/", false},
		{"control", "a\x07b", "/", false},
		{"newline", "a\nb", "/", false},
		{"too long", strings.Repeat("x", maxFolderName+1), "/", false},
		{"longest", strings.Repeat("x", maxFolderName), "/", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckFolderName(tt.in, tt.delim)
			if tt.ok && err != nil {
				t.Errorf("CheckFolderName(%q) = %v, want nil", tt.in, err)
			}
			if !tt.ok && !errors.Is(err, ErrFolderName) {
				t.Errorf("CheckFolderName(%q) = %v, want ErrFolderName", tt.in, err)
			}
		})
	}
}
