package mail

import (
	"bufio"
	"bytes"
	"fmt"
	netmail "net/mail"
	"strings"

	"github.com/emersion/go-message/textproto"
	"github.com/sealpost/sealpost/mail/backend"
)

// Reply prepares an answer to raw (to its sender, or with all to every recipient
// except the user's own addresses). It quotes only the text the verdict
// shows, which for an encrypted message is what was decrypted from the
// message's own root encrypted part: never unencrypted siblings or
// attachments, so a reply cannot be abused to decrypt foreign ciphertext.
// A reply to an encrypted message is encrypted (and refused, not
// downgraded, when a recipient has no key).
func (c *Composer) Reply(raw []byte, all bool) (backend.Reply, error) {
	v, err := c.inspector.Inspect(raw)
	if err != nil {
		return backend.Reply{}, err
	}
	h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		return backend.Reply{}, fmt.Errorf("read the message header: %w", err)
	}
	var r backend.Reply
	from, _ := netmail.ParseAddress(v.From)
	to := h.Get("Reply-To")
	if to == "" {
		to = v.From
	} else if rt, err := netmail.ParseAddressList(to); err == nil && from != nil && (len(rt) != 1 || !strings.EqualFold(rt[0].Address, from.Address)) {
		r.Warnings = append(r.Warnings, fmt.Sprintf("replies go to %s, not to the sender %s", to, from.Address))
	}
	r.Draft.To = []string{to}
	if all {
		own, err := c.ownAddresses()
		if err != nil {
			return backend.Reply{}, err
		}
		seen := map[string]bool{}
		if list, err := netmail.ParseAddressList(to); err == nil {
			for _, a := range list {
				seen[strings.ToLower(a.Address)] = true
			}
		}
		for _, field := range []string{"To", "Cc"} {
			list, err := netmail.ParseAddressList(h.Get(field))
			if err != nil {
				continue
			}
			for _, a := range list {
				addr := strings.ToLower(a.Address)
				if seen[addr] || own[addr] {
					continue
				}
				seen[addr] = true
				r.Draft.Cc = append(r.Draft.Cc, a.String())
			}
		}
	}
	subject := v.Subject
	if !strings.HasPrefix(strings.ToLower(subject), "re:") {
		subject = "Re: " + subject
	}
	r.Draft.Subject = subject
	if id := strings.Trim(strings.TrimSpace(h.Get("Message-Id")), "<>"); id != "" {
		r.Draft.InReplyTo = id
		for _, ref := range strings.Fields(h.Get("References")) {
			r.Draft.References = append(r.Draft.References, strings.Trim(ref, "<>"))
		}
		r.Draft.References = append(r.Draft.References, id)
	}
	if v.Encrypted && !v.IntegrityProtected {
		r.Warnings = append(r.Warnings, "the original could not be decrypted safely, so nothing of it is quoted")
	} else {
		r.Draft.Body = quote(v.From, v.BodyText)
	}
	if v.Encrypted {
		r.Security = backend.ModeEncrypt
	}
	return r, nil
}

// quote writes an attribution line and text with "> " before each line.
func quote(from, text string) string {
	var b strings.Builder
	b.WriteString("\n\n" + from + " wrote:\n")
	for _, line := range strings.Split(strings.TrimRight(strings.ReplaceAll(text, "\r\n", "\n"), "\n"), "\n") {
		if line == "" {
			b.WriteString(">\n")
		} else {
			b.WriteString("> " + line + "\n")
		}
	}
	return b.String()
}

// ownAddresses is the set of addresses of the user's accounts and own keys.
func (c *Composer) ownAddresses() (map[string]bool, error) {
	out := map[string]bool{}
	accts, err := c.store.Accounts().List()
	if err != nil {
		return nil, err
	}
	for _, a := range accts {
		out[strings.ToLower(a.Email)] = true
	}
	owns, err := c.store.OwnKeys().List()
	if err != nil {
		return nil, err
	}
	for _, k := range owns {
		for _, e := range emailsOf(k.UserIDs) {
			out[e] = true
		}
	}
	return out, nil
}

// Forward prepares a new message carrying raw's text, under the same
// rule as replies: only the text the verdict shows is included, never
// unencrypted siblings of decrypted content. Forwarding an encrypted
// message is encrypted (fail closed). Attachments are not carried over
// yet; the returned warnings say so when the original had any.
func (c *Composer) Forward(raw []byte) (backend.Reply, error) {
	v, err := c.inspector.Inspect(raw)
	if err != nil {
		return backend.Reply{}, err
	}
	var r backend.Reply
	subject := v.Subject
	if !strings.HasPrefix(strings.ToLower(subject), "fwd:") {
		subject = "Fwd: " + subject
	}
	r.Draft.Subject = subject
	if v.Encrypted && !v.IntegrityProtected {
		r.Warnings = append(r.Warnings, "the original could not be decrypted safely, so nothing of it is included")
	} else {
		r.Draft.Body = "\n\n---------- Forwarded message ----------\nFrom: " + v.From + "\nSubject: " + v.Subject + "\n\n" + v.BodyText
	}
	if len(v.Attachments) > 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("the original's %d attachment(s) are not forwarded", len(v.Attachments)))
	}
	if v.Encrypted {
		r.Security = backend.ModeEncrypt
	}
	return r, nil
}
