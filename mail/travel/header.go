package travel

import (
	"bytes"
	"strings"

	"github.com/sealpost/sealpost/mail/backend"
)

// Bounds on what is read of a message's header, so a hostile message
// cannot make the parser work without limit.
const (
	// MaxHeaderBytes bounds the header block read: of a message, only
	// this much is needed for all but DKIM.
	MaxHeaderBytes = 256 << 10
	// maxReceived bounds the Received fields turned into hops (a longer
	// chain is a loop or an attack); the newest are kept.
	maxReceived = 64
	// maxFieldBytes bounds one unfolded field value.
	maxFieldBytes = 16 << 10
)

// field is one header field: its name as written and its unfolded value.
// A Received field also carries the memo of its parsed hop, so the hops
// and the provider's results, which both read them, parse each once.
type field struct {
	name, value string
	rcv         *receivedMemo // Received fields only
}

// receivedMemo is a Received field's hop, parsed on first use.
type receivedMemo struct {
	parsed bool
	hop    backend.Hop
	ok     bool
}

// is reports whether the field's name is name (case-insensitively).
func (f field) is(name string) bool { return strings.EqualFold(f.name, name) }

// parseHop is how a Received field is parsed (a variable so a test can
// count the calls).
var parseHop = ParseReceived

// received returns the hop of a Received field (see ParseReceived),
// parsing it on the first call only; ok is false for other fields.
func (f field) received() (backend.Hop, bool) {
	if f.rcv == nil {
		return backend.Hop{}, false
	}
	if !f.rcv.parsed {
		f.rcv.hop, f.rcv.ok = parseHop(f.value)
		f.rcv.parsed = true
	}
	return f.rcv.hop, f.rcv.ok
}

// headerFields returns the fields of raw's header block, top to bottom,
// unfolded and trimmed. It reads at most MaxHeaderBytes and stops at the
// blank line that ends the header; lines without a colon are skipped.
func headerFields(raw []byte) []field {
	if len(raw) > MaxHeaderBytes {
		raw = raw[:MaxHeaderBytes]
	}
	var out []field
	var cur []byte
	flush := func() {
		if cur == nil {
			return
		}
		name, value, ok := bytes.Cut(cur, []byte(":"))
		if ok && len(bytes.TrimSpace(name)) > 0 && !bytes.ContainsAny(name, " \t") {
			f := field{name: string(name), value: strings.TrimSpace(string(value))}
			if f.is("Received") {
				f.rcv = new(receivedMemo)
			}
			out = append(out, f)
		}
		cur = nil
	}
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			break // the end of the header
		}
		if line[0] == ' ' || line[0] == '\t' {
			if cur != nil && len(cur) < maxFieldBytes {
				cur = append(cur, ' ')
				cur = append(cur, bytes.TrimLeft(line, " \t")...)
			}
			continue
		}
		flush()
		cur = append([]byte(nil), line...)
	}
	flush()
	return out
}

// domainOf returns the lower-case domain of host (without a trailing dot),
// or "" for an address literal or a name without a dot.
func domainOf(host string) string {
	h := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(host), "."))
	if h == "" || strings.HasPrefix(h, "[") || strings.Contains(h, ":") || !strings.Contains(h, ".") {
		return ""
	}
	if isIPv4(h) {
		return ""
	}
	return h
}

// isIPv4 reports whether s is a dotted quad.
func isIPv4(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		if p == "" || len(p) > 3 || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return true
}

// inDomain reports whether host is domain or a name under it.
func inDomain(host, domain string) bool {
	h, d := domainOf(host), strings.ToLower(strings.TrimSuffix(domain, "."))
	return h != "" && d != "" && (h == d || strings.HasSuffix(h, "."+d))
}
