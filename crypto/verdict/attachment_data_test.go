package verdict

import (
	"bytes"
	"testing"
)

// TestAttachmentData checks that listed attachments carry their decoded
// bytes and that parts the verdict refuses to show are not listed.
func TestAttachmentData(t *testing.T) {
	const head = "From: a@example.org\nTo: b@example.org\nSubject: s\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=X\n\n"
	tests := []struct {
		name string
		msg  string
		want map[string][]byte // filename -> data
	}{
		{
			name: "base64 attachment",
			msg: head + "--X\nContent-Type: text/plain\n\nhello\n--X\nContent-Type: application/octet-stream\n" +
				"Content-Disposition: attachment; filename=\"a.bin\"\nContent-Transfer-Encoding: base64\n\nAAEC/w==\n--X--\n",
			want: map[string][]byte{"a.bin": {0, 1, 2, 0xff}},
		},
		{
			name: "quoted-printable attachment",
			msg: head + "--X\nContent-Type: text/plain\n\nhello\n--X\nContent-Type: text/csv\n" +
				"Content-Disposition: attachment; filename=\"q.csv\"\nContent-Transfer-Encoding: quoted-printable\n\na=3Db\n--X--\n",
			want: map[string][]byte{"q.csv": []byte("a=b")},
		},
		{
			name: "encrypted part in a plain message is refused",
			msg: head + "--X\nContent-Type: text/plain\n\nhello\n--X\nContent-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=Y\n\n" +
				"--Y\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n--Y\nContent-Type: application/octet-stream\n\n" +
				"-----BEGIN PGP MESSAGE-----\n\nwcBMA\n-----END PGP MESSAGE-----\n--Y--\n--X--\n",
			want: map[string][]byte{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Inspect([]byte(tc.msg), Options{KeepAttachmentData: true})
			if err != nil {
				t.Fatalf("Inspect: %v", err)
			}
			if len(r.Attachments) != len(tc.want) {
				t.Fatalf("got = %d attachments (%+v), want %d", len(r.Attachments), r.Attachments, len(tc.want))
			}
			for _, a := range r.Attachments {
				want, ok := tc.want[a.Filename]
				if !ok {
					t.Errorf("got = attachment %q, want none of that name", a.Filename)
					continue
				}
				if !bytes.Equal(a.Data, want) || a.Size != int64(len(want)) {
					t.Errorf("%s: got = %q (size %d), want %q (size %d)", a.Filename, a.Data, a.Size, want, len(want))
				}
			}
		})
	}
}
