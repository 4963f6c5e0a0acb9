package travel

import (
	"regexp"
	"strings"

	"github.com/sealpost/sealpost/internal/maildate"
	"github.com/sealpost/sealpost/mail/backend"
)

// tlsProtocols are the protocol names of a Received field's "with" clause
// that mean the hop used TLS: RFC 3848 and RFC 6531's, and "SMTPS" and
// "HTTPS" as large providers write them.
var tlsProtocols = map[string]bool{
	"ESMTPS": true, "ESMTPSA": true, "LMTPS": true, "LMTPSA": true,
	"UTF8SMTPS": true, "UTF8SMTPSA": true, "UTF8LMTPS": true, "UTF8LMTPSA": true,
	"SMTPS": true, "HTTPS": true,
}

// The ways servers write the TLS of a hop in a Received field's comments:
//
//	Postfix:             (using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))
//	Sendmail, Google:    (version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384 bits=256/256)
//	Microsoft:           with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384)
//	Exim (4.9x):         with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384
//	Exim (older):        with esmtps (TLS1.2:ECDHE_RSA_AES_256_GCM_SHA384:256)
var (
	rePostfixTLS = regexp.MustCompile(`(?i)\busing\s+(TLSv?1(?:[._]\d)?)\s+with\s+cipher\s+([A-Za-z0-9_\-]+)`)
	reVersionKV  = regexp.MustCompile(`(?i)\bversion=(TLSv?1(?:[._]\d)?)\b`)
	reCipherKV   = regexp.MustCompile(`(?i)\bcipher=([A-Za-z0-9_\-]+)`)
	reEximTLS    = regexp.MustCompile(`(?i)\((TLSv?1(?:[._]\d)?)\)\s+tls\s+([A-Za-z0-9_\-]+)`)
	reEximOldTLS = regexp.MustCompile(`(?i)\((TLSv?1(?:[._]\d)?):([A-Za-z0-9_\-]+):\d+\)`)
)

// ParseReceived reads one Received header field value (RFC 5321 section
// 4.4) into a hop: its from, by and with clauses, its date, and the TLS
// version and cipher when a comment names them in one of the forms common
// servers write. ok is false when the value names neither a from nor a by
// host. The hop's ByProvider is left false.
func ParseReceived(value string) (hop backend.Hop, ok bool) {
	if len(value) > maxFieldBytes {
		value = value[:maxFieldBytes]
	}
	words, comments, date := splitReceived(value)
	for i := 0; i+1 < len(words); i++ {
		switch strings.ToLower(words[i]) {
		case "from":
			if hop.From == "" {
				hop.From = cleanHost(words[i+1])
			}
		case "by":
			if hop.By == "" {
				hop.By = cleanHost(words[i+1])
			}
		case "with":
			if hop.With == "" {
				hop.With = strings.ToUpper(words[i+1])
			}
		}
	}
	if hop.From == "" && hop.By == "" {
		return backend.Hop{}, false
	}
	hop.TLSVersion, hop.Cipher = tlsOf(value, comments)
	hop.Encryption = backend.HopNotStated
	if hop.TLSVersion != "" || hop.Cipher != "" || tlsProtocols[hop.With] {
		hop.Encryption = backend.HopTLS
	}
	if t, err := maildate.Parse(strings.TrimSpace(date)); err == nil {
		hop.Time = t
	}
	return hop, true
}

// splitReceived splits a Received value into its words outside comments
// (the clauses), the text of its comments, and the date after the last
// semicolon outside a comment. Unbalanced parentheses end the comment at
// the end of the value.
func splitReceived(value string) (words []string, comments, date string) {
	var clauses, comm, word strings.Builder
	depth := 0
	lastSemi := -1
	escaped := false
	for _, r := range value {
		switch {
		case escaped:
			escaped = false
		case r == '\\':
			escaped = true
			continue
		case r == '(':
			depth++
			if depth > 32 {
				depth = 32
			}
			comm.WriteByte(' ')
			continue
		case r == ')' && depth > 0:
			depth--
			comm.WriteByte(' ')
			continue
		}
		if depth > 0 {
			comm.WriteRune(r)
			continue
		}
		if r == ';' {
			lastSemi = clauses.Len()
		}
		clauses.WriteRune(r)
	}
	text := clauses.String()
	if lastSemi >= 0 {
		date = text[lastSemi+1:]
		text = text[:lastSemi]
	}
	for _, w := range strings.Fields(text) {
		word.Reset()
		word.WriteString(strings.Trim(w, ";"))
		if word.Len() > 0 {
			words = append(words, word.String())
		}
	}
	return words, comm.String(), date
}

// cleanHost trims a host word of the brackets and punctuation around it.
func cleanHost(w string) string {
	w = strings.Trim(w, "<>;,")
	w = strings.TrimSuffix(w, ".")
	if len(w) > 255 {
		w = w[:255]
	}
	return w
}

// tlsOf finds the TLS version and cipher a Received field names. Exim's
// form sits outside comments ("with esmtps (TLS1.3) tls X"), so the whole
// value is searched as well as the comments.
//
// A pattern runs only where its text can be: all but reCipherKV need "TL"
// and reCipherKV needs "cipher=", in any case (see containsFoldASCII), and
// most Received fields hold neither.
func tlsOf(value, comments string) (version, cipher string) {
	inComments := containsFoldASCII(comments, "tl")
	if inComments {
		if m := rePostfixTLS.FindStringSubmatch(comments); m != nil {
			return tlsVersion(m[1]), m[2]
		}
	}
	if containsFoldASCII(value, "tl") {
		if m := reEximTLS.FindStringSubmatch(value); m != nil {
			return tlsVersion(m[1]), m[2]
		}
		if m := reEximOldTLS.FindStringSubmatch(value); m != nil {
			return tlsVersion(m[1]), m[2]
		}
	}
	if inComments {
		if m := reVersionKV.FindStringSubmatch(comments); m != nil {
			version = tlsVersion(m[1])
		}
	}
	if containsFoldASCII(comments, "cipher=") {
		if m := reCipherKV.FindStringSubmatch(comments); m != nil {
			cipher = m[1]
		}
	}
	return version, cipher
}

// containsFoldASCII reports whether s holds sub, a lower-case ASCII text,
// in any mix of cases. For the letters of "tl" and "cipher=" that is what
// a (?i) pattern matches: their case-folding orbits are ASCII only (unlike
// k's and s's, which hold the Kelvin sign and the long s).
func containsFoldASCII(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		j := 0
		for ; j < len(sub); j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != sub[j] {
				break
			}
		}
		if j == len(sub) {
			return true
		}
	}
	return false
}

// tlsVersion writes a TLS version as "TLS 1.3", whichever way a server
// wrote it ("TLSv1.3", "TLS1_3", "TLS1.3", "TLSv1").
func tlsVersion(s string) string {
	s = strings.ToUpper(s)
	s = strings.TrimPrefix(s, "TLS")
	s = strings.TrimPrefix(s, "V")
	s = strings.ReplaceAll(s, "_", ".")
	if s == "1" {
		s = "1.0"
	}
	return "TLS " + s
}

// Hops turns the Received fields of a header (top to bottom) into hops,
// oldest first, keeping the newest maxReceived. The fields at the top whose
// By host is in providerDomain (or is an address, as internal relays that
// name themselves by address write it), up to and including the first one
// with a From host outside it (the provider's entry point), are marked
// ByProvider: every relay adds its field on top, so fields above the
// provider's entry point can only be the provider's own. Fields that do
// not parse are skipped.
func hops(fields []field, providerDomain string) []backend.Hop {
	var out []backend.Hop // newest first while collecting
	provider := providerDomain != ""
	for _, f := range fields {
		if !f.is("Received") {
			continue
		}
		if len(out) == maxReceived {
			break
		}
		hop, ok := f.received()
		if !ok {
			continue
		}
		if provider {
			byOurs := inDomain(hop.By, providerDomain) || (hop.By != "" && domainOf(hop.By) == "")
			if !byOurs {
				provider = false
			} else {
				hop.ByProvider = true
				if hop.From != "" && !inDomain(hop.From, providerDomain) {
					provider = false // the provider's entry point: below are others' fields
				}
			}
		}
		out = append(out, hop)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}
