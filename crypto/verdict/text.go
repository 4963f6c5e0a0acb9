package verdict

import (
	"bytes"
	"io"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-message/charset"
	"golang.org/x/net/html"
)

// toUTF8 converts text in the named charset to valid UTF-8. An unknown or
// broken charset falls back to the bytes themselves with invalid sequences
// replaced.
func toUTF8(b []byte, cs string) string {
	cs = strings.ToLower(strings.TrimSpace(cs))
	if cs != "" && cs != "utf-8" && cs != "us-ascii" && cs != "utf8" {
		if r, err := charset.Reader(cs, bytes.NewReader(b)); err == nil {
			if out, err := io.ReadAll(io.LimitReader(r, 4*int64(len(b))+4)); err == nil {
				return strings.ToValidUTF8(string(out), "\uFFFD")
			}
		}
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// blockElements end a line when they open or close.
var blockElements = map[string]bool{
	"p": true, "div": true, "br": true, "tr": true, "li": true, "h1": true, "h2": true,
	"h3": true, "h4": true, "h5": true, "h6": true, "blockquote": true, "pre": true,
	"table": true, "ul": true, "ol": true, "hr": true, "section": true, "article": true,
}

// skippedElements never contribute text.
var skippedElements = map[string]bool{
	"script": true, "style": true, "head": true, "title": true, "template": true,
	"noscript": true, "iframe": true, "object": true, "svg": true, "math": true,
}

// htmlToText reduces HTML to its visible text. Nothing is fetched: images
// and styles are dropped; entities are decoded; block elements become line
// breaks. A link keeps its target as text after its label, "label
// <https://target>", so that the reader sees where it leads (see
// linkTarget).
func htmlToText(src string) string {
	z := html.NewTokenizer(strings.NewReader(src))
	var b strings.Builder
	skip := 0
	// href is the target of the open link, shown when it ends; label is
	// where its text begins in b.
	href, label := "", 0
	endLink := func() {
		if href != "" {
			writeTarget(&b, b.String()[label:], href)
		}
		href = ""
	}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			endLink()
			return tidyText(b.String())
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			if skippedElements[string(name)] && tt != html.SelfClosingTagToken {
				if tt == html.StartTagToken {
					skip++
				} else if skip > 0 {
					skip--
				}
				continue
			}
			if string(name) == "a" && skip == 0 {
				endLink() // links do not nest: a new one ends the open one
				if tt == html.StartTagToken && hasAttr {
					href, label = linkTarget(z), b.Len()
				}
				continue
			}
			if blockElements[string(name)] && skip == 0 {
				b.WriteByte('\n')
			}
		}
	}
}

// maxTargetLen caps a link target shown as text.
const maxTargetLen = 2048

// linkTarget returns the href of the start tag z is at, cleaned for
// display, or "" when there is none worth showing: a fragment or relative
// link (it points nowhere outside the message) or a script, data or cid
// URL (not a place; Sealpost never runs or fetches them).
func linkTarget(z *html.Tokenizer) string {
	href := ""
	for {
		key, val, more := z.TagAttr()
		if string(key) == "href" {
			href = string(val)
		}
		if !more {
			break
		}
	}
	href = strings.Join(strings.Fields(stripControls(href)), "")
	scheme, _, ok := strings.Cut(href, ":")
	if !ok || strings.ContainsAny(scheme, "/?#") {
		return ""
	}
	switch strings.ToLower(scheme) {
	case "javascript", "vbscript", "data", "cid":
		return ""
	}
	if len(href) > maxTargetLen {
		href = strings.ToValidUTF8(href[:maxTargetLen], "") + "…"
	}
	return href
}

// writeTarget writes " <href>" after a link's label, unless the label
// already says the same (the address itself, or the mail address of a
// mailto link).
func writeTarget(b *strings.Builder, label, href string) {
	label = strings.Join(strings.Fields(label), " ")
	if same := strings.TrimSuffix(label, "/"); strings.EqualFold(same, strings.TrimSuffix(href, "/")) ||
		strings.EqualFold("mailto:"+same, href) {
		return
	}
	if label != "" {
		b.WriteByte(' ')
	}
	b.WriteString("<" + href + ">")
}

// tidyText collapses the whitespace that HTML layout produces: runs of
// spaces within a line and more than one empty line.
func tidyText(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\u00a0", " "), "\n")
	var out []string
	blank := 0
	for _, l := range lines {
		l = strings.Join(strings.Fields(l), " ")
		if l == "" {
			blank++
			if blank > 1 || len(out) == 0 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// sanitizeFilename keeps the last path element of a sender-supplied file
// name and removes control and bidirectional-override characters.
func sanitizeFilename(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base(strings.TrimSpace(name))
	if name == "." || name == "/" || name == ".." {
		return ""
	}
	return stripControls(name)
}

// stripControls removes control and bidirectional-override characters,
// and invalid UTF-8, from sender-supplied text shown on one line.
func stripControls(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, s)
}
