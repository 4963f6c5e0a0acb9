package crypto

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
)

// checksumLine returns the "=XXXX" line of an armor block.
func checksumLine(t *testing.T, armored string) string {
	t.Helper()
	for _, line := range strings.Split(armored, "\n") {
		if len(line) == 5 && line[0] == '=' {
			return line
		}
	}
	t.Fatalf("no checksum line in:\n%s", armored)
	return ""
}

func TestArmorWriter(t *testing.T) {
	for _, size := range []int{0, 1, 2, 3, 47, 48, 49, 96, 1000, 100003} {
		for _, chunk := range []int{1, 7, 48, 4096, 1 << 20} {
			t.Run(fmt.Sprintf("%d bytes in writes of %d", size, chunk), func(t *testing.T) {
				data := payload(size)
				var ours bytes.Buffer
				w, err := newArmorWriter(&ours)
				if err != nil {
					t.Fatalf("newArmorWriter: %v", err)
				}
				for p := data; len(p) > 0; p = p[min(chunk, len(p)):] {
					if _, err := w.Write(p[:min(chunk, len(p))]); err != nil {
						t.Fatalf("Write: %v", err)
					}
				}
				if err := w.Close(); err != nil {
					t.Fatalf("Close: %v", err)
				}
				block, err := armor.Decode(bytes.NewReader(ours.Bytes()))
				if err != nil {
					t.Fatalf("armor.Decode: %v", err)
				}
				got, err := io.ReadAll(block.Body)
				if err != nil || !bytes.Equal(got, data) || block.Type != "PGP MESSAGE" {
					t.Fatalf("decoded %q block of %d bytes (err %v), want PGP MESSAGE of %d equal bytes", block.Type, len(got), err, len(data))
				}
				for i, line := range strings.Split(ours.String(), "\n") {
					if len(line) > 64 {
						t.Fatalf("line %d has %d characters, want at most 64", i+1, len(line))
					}
				}
				var ref bytes.Buffer
				rw, err := armor.Encode(&ref, "PGP MESSAGE", nil)
				if err != nil {
					t.Fatalf("armor.Encode: %v", err)
				}
				if _, err := rw.Write(data); err != nil {
					t.Fatalf("reference Write: %v", err)
				}
				if err := rw.Close(); err != nil {
					t.Fatalf("reference Close: %v", err)
				}
				if got, want := checksumLine(t, ours.String()), checksumLine(t, ref.String()); got != want {
					t.Errorf("checksum line = %q, want %q (go-crypto)", got, want)
				}
			})
		}
	}
}

// armored returns data in our armor.
func armored(t *testing.T, data []byte) string {
	t.Helper()
	var buf bytes.Buffer
	w, err := newArmorWriter(&buf)
	if err != nil {
		t.Fatalf("newArmorWriter: %v", err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return buf.String()
}

func readArmor(text string) ([]byte, error) {
	r, err := newArmorReader(bufio.NewReaderSize(strings.NewReader(text), 64))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

func TestArmorReader(t *testing.T) {
	data := payload(5000)
	plain := armored(t, data)
	withHeaders := strings.Replace(plain, "-----\n\n", "-----\nVersion: GnuPG v2\nComment: hello: world\n\n", 1)
	tests := []struct {
		name    string
		text    string
		wantErr bool
	}{
		{"ours", plain, false},
		{"CRLF line endings", strings.ReplaceAll(plain, "\n", "\r\n"), false},
		{"trailing spaces and tabs", strings.ReplaceAll(plain, "\n", " \t\n"), false},
		{"armor headers", withHeaders, false},
		{"text before the armor", "Hello,\nsee below.\n\n" + plain, false},
		{"no checksum line", strings.Join(slices.DeleteFunc(strings.Split(plain, "\n"), func(l string) bool { return len(l) == 5 && l[0] == '=' }), "\n"), false},
		{"not armor", "hello world\n", true},
		{"wrong block type", strings.ReplaceAll(plain, "PGP MESSAGE", "PGP SIGNATURE"), true},
		{"header without blank line", strings.Replace(plain, "-----\n\n", "-----\n", 1), true},
		{"no footer", plain[:len(plain)/2], true},
		{"corrupt base64", strings.Replace(plain, "\n", "\n*", 3), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readArmor(tc.text)
			if tc.wantErr {
				if err == nil {
					t.Errorf("readArmor = %d bytes, nil error; want an error", len(got))
				}
				return
			}
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("readArmor = %d bytes, %v; want the %d bytes, nil", len(got), err, len(data))
			}
		})
	}
	for _, size := range []int{0, 1, 2, 3, 47, 48, 49, 100003} {
		t.Run(fmt.Sprintf("round trip %d bytes", size), func(t *testing.T) {
			data := payload(size)
			got, err := readArmor(armored(t, data))
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("readArmor = %d bytes, %v; want %d bytes, nil", len(got), err, size)
			}
		})
	}
}
