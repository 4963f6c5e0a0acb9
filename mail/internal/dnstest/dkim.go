package dnstest

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"strings"
)

// AddDKIM publishes pub as the DKIM key of selector (RFC 6376 section
// 3.6.1): a TXT record at <selector>._domainkey.<origin> with
// "v=DKIM1; k=rsa|ed25519; p=<base64>", split into strings of at most 255
// bytes as TXT records require. pub is an *rsa.PublicKey (published as its
// SubjectPublicKeyInfo) or an ed25519.PublicKey (the raw 32 bytes, RFC 8463).
func (z *Zone) AddDKIM(selector string, pub crypto.PublicKey) {
	z.t.Helper()
	var kind string
	var der []byte
	switch k := pub.(type) {
	case *rsa.PublicKey:
		var err error
		if der, err = x509.MarshalPKIXPublicKey(k); err != nil {
			z.t.Fatalf("dnstest: DKIM key: %v", err)
		}
		kind = "rsa"
	case ed25519.PublicKey:
		kind, der = "ed25519", k
	default:
		z.t.Fatalf("dnstest: DKIM key of type %T: want *rsa.PublicKey or ed25519.PublicKey", pub)
	}
	value := fmt.Sprintf("v=DKIM1; k=%s; p=%s", kind, base64.StdEncoding.EncodeToString(der))
	var quoted []string
	for len(value) > 0 {
		n := min(len(value), 255)
		quoted = append(quoted, `"`+value[:n]+`"`)
		value = value[n:]
	}
	z.Add(fmt.Sprintf("%s._domainkey.%s 300 IN TXT %s", selector, z.origin, strings.Join(quoted, " ")))
}
