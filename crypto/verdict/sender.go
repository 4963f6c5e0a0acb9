package verdict

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
)

// sender is the parsed From of a header.
type sender struct {
	display string // what Result.From shows
	name    string
	addr    string // lower case; "" when no address could be parsed
	count   int    // number of addresses in all From fields
}

// parseFrom reads the From fields of h. The first address counts; the
// others are reported by checkSender.
func parseFrom(h message.Header) sender {
	mh := mail.Header{Header: h}
	var s sender
	for _, raw := range h.Values("From") {
		one := message.Header{}
		one.Set("From", raw)
		addrs, err := (&mail.Header{Header: one}).AddressList("From")
		if err != nil || len(addrs) == 0 {
			s.count++
			if s.display == "" {
				s.display, _ = mh.Text("From")
			}
			continue
		}
		for _, a := range addrs {
			s.count++
			if s.addr != "" || s.display != "" {
				continue
			}
			s.name, s.addr = a.Name, strings.ToLower(a.Address)
			s.display = formatAddress(a)
		}
	}
	return s
}

// named is the sender's address, or what the From field says when no
// address could be read.
func (s sender) named() string {
	if s.addr != "" {
		return s.addr
	}
	return s.display
}

// addrLike finds something that looks like an e-mail address.
var addrLike = regexp.MustCompile(`[^\s<>()"'@,;:]+@[^\s<>()"'@,;:]+\.[^\s<>()"'@,;:]+`)

// securityMarkers are glyphs and words that imitate a client's security
// indicator when they appear in a display name.
var securityMarkers = []string{
	"🔒", "🔐", "🔏", "🔑", "🛡", "✓", "✔", "✅", "☑", "verified", "signed", "encrypted", "trusted",
}

// checkSender adds the warnings about a From that tries to look like
// something it is not, and about a Reply-To (read from h) elsewhere. s is
// the sender shown, outer the one of the outer header (the same unless
// header protection applied).
func (in *inspector) checkSender(s, outer sender, h message.Header) {
	if outer.count > 1 {
		in.warn("the message's From field names %d senders; only the first, %s, counts", outer.count, outer.named())
	}
	if s.count > 1 && s != outer {
		in.warn("the protected From field names %d senders; only the first, %s, counts", s.count, s.named())
	}
	if s.addr == "" {
		in.warn("the sender address cannot be read")
		return
	}
	for _, m := range addrLike.FindAllString(s.name, -1) {
		if !strings.EqualFold(m, s.addr) {
			in.warn("the sender's display name contains the address %s, but the message comes from %s", m, s.addr)
			break
		}
	}
	lower := strings.ToLower(s.name)
	for _, m := range securityMarkers {
		if strings.Contains(lower, m) {
			in.warn("the sender's display name %q imitates a security indicator (%s); it says nothing about this message", s.name, m)
			break
		}
	}
	if !h.Has("Reply-To") {
		return
	}
	replies, err := (&mail.Header{Header: h}).AddressList("Reply-To")
	if err != nil {
		in.warn("the Reply-To address cannot be read; check where a reply goes")
		return
	}
	for _, a := range replies {
		if !strings.EqualFold(a.Address, s.addr) {
			in.warn("replies go to %s, not to the sender %s", a.Address, s.addr)
			return
		}
	}
}

// formatAddress writes an address as a reader shows it: "Name <address>",
// or the bare address without a name. Control and bidirectional-override
// characters are left out.
func formatAddress(a *mail.Address) string {
	if a.Name == "" {
		return stripControls(a.Address)
	}
	return stripControls(fmt.Sprintf("%s <%s>", a.Name, a.Address))
}

// addressText is the field name of h as a reader shows it: its addresses
// joined by ", ", or its decoded text when it cannot be read as addresses;
// "" when h lacks the field.
func addressText(h message.Header, name string) string {
	if !h.Has(name) {
		return ""
	}
	mh := mail.Header{Header: h}
	addrs, err := mh.AddressList(name)
	if err != nil || len(addrs) == 0 {
		text, _ := mh.Text(name)
		return stripControls(strings.TrimSpace(text))
	}
	shown := make([]string, len(addrs))
	for i, a := range addrs {
		shown[i] = formatAddress(a)
	}
	return strings.Join(shown, ", ")
}
