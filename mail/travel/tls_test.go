package travel

import (
	"os"
	"path/filepath"
	"testing"
	"unicode"
)

// tlsOfEveryPattern is tlsOf without its gates: every pattern runs.
func tlsOfEveryPattern(value, comments string) (version, cipher string) {
	if m := rePostfixTLS.FindStringSubmatch(comments); m != nil {
		return tlsVersion(m[1]), m[2]
	}
	if m := reEximTLS.FindStringSubmatch(value); m != nil {
		return tlsVersion(m[1]), m[2]
	}
	if m := reEximOldTLS.FindStringSubmatch(value); m != nil {
		return tlsVersion(m[1]), m[2]
	}
	if m := reVersionKV.FindStringSubmatch(comments); m != nil {
		version = tlsVersion(m[1])
	}
	if m := reCipherKV.FindStringSubmatch(comments); m != nil {
		cipher = m[1]
	}
	return version, cipher
}

// sameTLSAsEveryPattern fails t unless tlsOf finds in the Received value
// what running every pattern finds.
func sameTLSAsEveryPattern(t *testing.T, value string) {
	t.Helper()
	_, comments, _ := splitReceived(value)
	v, c := tlsOf(value, comments)
	wv, wc := tlsOfEveryPattern(value, comments)
	if v != wv || c != wc {
		t.Fatalf("tlsOf(%q) = %q, %q; every pattern finds %q, %q", value, v, c, wv, wc)
	}
}

// tlsEdgeValues are Received values whose TLS the gates must not miss.
var tlsEdgeValues = []string{
	"from a (a [192.0.2.1]) (using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)) by b with ESMTPS id 1; Sun, 6 Dec 2026 03:53:47 +0000",
	"from a (a [192.0.2.1]) (UsInG tLsV1.2 WiTh CiPhEr ECDHE-RSA-AES128-GCM-SHA256) by b; Sun, 6 Dec 2026 03:53:47 +0000",
	"from a by b (version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384 bits=256/256); Sun, 6 Dec 2026 03:53:47 +0000",
	"from a by b with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384); Sun, 6 Dec 2026",
	"from a by b (CIPHER=X); Sun, 6 Dec 2026 03:53:47 +0000",
	"from a by b (cipher=X version=tls1); Sun, 6 Dec 2026 03:53:47 +0000",
	"from a by b with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384; Sun, 6 Dec 2026",
	"from a by b with esmtps (TLS1.2:ECDHE_RSA_AES_256_GCM_SHA384:256); Sun, 6 Dec 2026",
	"from a by b with esmtps (tls1.2:x:1); Sun, 6 Dec 2026",
	"from a (a) (using T\\LSv1.3 with cipher X) by b; Sun, 6 Dec 2026",
	"from a (a) (version=T\\LS1_2 ci\\pher=Y) by b; Sun, 6 Dec 2026",
	"from a (a) (using TLſv1.3 with cipher X) by b; Sun, 6 Dec 2026",
	"from a (a) (using TLSv1.3 with cipher X by b; Sun, 6 Dec 2026",
	"from a by b with esmtps (TLſ1.3) tls X; Sun, 6 Dec 2026",
	"from a by b (cipher\u212a=X); Sun, 6 Dec 2026",
	"from mx.example.net (mx.example.net [192.0.2.9]) by mail.example.test with ESMTPS id 1f2e; Sun, 06 Dec 2026 03:53:47 +0000",
	"by b",
	"",
}

// TestTLSOfAsEveryPattern compares tlsOf with every pattern run on the
// values above and every Received field of the seeds and, when present,
// of all the shared test data.
func TestTLSOfAsEveryPattern(t *testing.T) {
	for _, v := range tlsEdgeValues {
		sameTLSAsEveryPattern(t, v)
	}
	files := seedFiles(t)
	if shared := sharedTestdata(); shared != "" {
		_ = filepath.WalkDir(shared, func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				files = append(files, path)
			}
			return nil
		})
	}
	n := 0
	for _, path := range files {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range headerFields(raw) {
			if f.is("Received") {
				sameTLSAsEveryPattern(t, f.value)
				n++
			}
		}
	}
	if n == 0 {
		t.Fatal("no Received fields in the seeds")
	}
	t.Logf("%d Received fields compared", n)
}

// TestGateLettersFoldInASCII: the gates of tlsOf are sound only while
// every letter they look for matches, case-insensitively, no character
// outside ASCII.
func TestGateLettersFoldInASCII(t *testing.T) {
	for _, r := range "tlcipher" {
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f > unicode.MaxASCII {
				t.Errorf("%q folds to %q", r, f)
			}
		}
	}
}

func FuzzTLSOf(f *testing.F) {
	for _, v := range tlsEdgeValues {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, value string) {
		sameTLSAsEveryPattern(t, value)
	})
}
