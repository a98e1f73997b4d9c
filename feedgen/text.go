package feedgen

import (
	"fmt"
	"html"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	nethtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/syndicate/syndicate/source"
)

// Every string that goes into a document passes through cleanText or
// cleanHTML first. XML 1.0 forbids most C0 control characters, U+FFFE and
// U+FFFF even as character references, and encoding/xml copies CDATA
// sections (RSS content:encoded) byte for byte, so one stray control
// character in a post would make a whole feed not well-formed.

// forbidden reports a character XML 1.0 does not allow anywhere.
func forbidden(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return false
	case r < 0x20:
		return true
	case r >= 0xD800 && r <= 0xDFFF, r == 0xFFFE, r == 0xFFFF:
		return true
	}
	return r > utf8.MaxRune
}

// control reports DEL and the C1 controls, allowed in XML but never
// meant as text: they come from text decoded with the wrong charset.
func control(r rune) bool { return r >= 0x7F && r <= 0x9F }

// cleanText makes plain text safe for every format: characters XML
// forbids and C1 controls are dropped, invalid UTF-8 becomes U+FFFD.
func cleanText(s string) string {
	if textIsClean(s, false) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteRune(utf8.RuneError)
		case forbidden(r), control(r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// cleanHTML makes an HTML fragment safe for every format: characters XML
// forbids are dropped; C1 controls, U+FFFD and invalid UTF-8 become
// character references, which HTML parsers read as the author most likely
// meant (C1 references map to Windows-1252) and validators accept.
func cleanHTML(s string) string {
	if textIsClean(s, true) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == utf8.RuneError:
			b.WriteString("&#xFFFD;")
		case forbidden(r):
		case control(r):
			fmt.Fprintf(&b, "&#x%X;", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// textIsClean is the fast path: true when cleaning would change nothing.
// In valid UTF-8 the characters to find have fixed encodings: ASCII
// controls, C1 controls (0xC2 0x80-0x9F) and U+FFFD-U+FFFF (0xEF 0xBF
// 0xBD-0xBF), so a byte scan finds them without decoding.
func textIsClean(s string, markup bool) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !suspect[s[i]] {
			continue
		}
		switch c := s[i]; {
		case c == 0xC2:
			if i+1 < len(s) && s[i+1] <= 0x9F {
				return false
			}
		case c == 0xEF:
			if i+2 < len(s) && s[i+1] == 0xBF && (s[i+2] >= 0xBE || markup && s[i+2] == 0xBD) {
				return false
			}
		default: // a control character
			return false
		}
	}
	return true
}

// suspect marks the bytes textIsClean looks at twice.
var suspect = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = c != '\t' && c != '\n' && c != '\r'
	}
	t[0x7F], t[0xC2], t[0xEF] = true, true, true
	return t
}()

func cleanAll(xs []string) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		if x = strings.TrimSpace(cleanText(x)); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// postText is what the formats write of a post's text, cleaned once for
// all of them: cleaning scans the whole content, and titles, categories
// and authors take parsing.
type postText struct {
	title, link string
	// summary is summaryHTML; content is contentHTML, "" when the
	// options leave content out.
	summary, content string
	categories       []string
	authors          []source.Author // cleaned; see cleanAuthors
}

// postText cleans the post's text for every format.
func (p *Plan) postText(x *source.Post) *postText {
	t := &postText{
		title:      postTitle(x),
		link:       cleanText(x.Link),
		summary:    summaryHTML(x),
		categories: categoriesOf(x),
		authors:    cleanAuthors(x.Authors),
	}
	if !p.Options.SummaryOnly {
		t.content = contentHTML(x)
	}
	return t
}

// cleanAuthors is the post's authors with names cleaned and trimmed, and
// e-mail addresses and URLs kept only when valid (validEmail,
// absoluteURL); authors left with nothing are dropped.
func cleanAuthors(authors []source.Author) []source.Author {
	var out []source.Author
	for _, a := range authors {
		a = source.Author{Name: strings.TrimSpace(cleanText(a.Name)), Email: validEmail(a.Email), URL: absoluteURL(a.URL)}
		if a.Name != "" || a.Email != "" || a.URL != "" {
			out = append(out, a)
		}
	}
	return out
}

// summaryHTML is the item's summary as HTML; every item has one, even a
// post with an empty body: the HTML summary, else the plain-text summary
// escaped, else the title escaped.
func summaryHTML(x *source.Post) string {
	if s := strings.TrimSpace(x.SummaryHTML); s != "" {
		return cleanHTML(s)
	}
	if s := strings.TrimSpace(cleanText(x.SummaryText)); s != "" {
		return "<p>" + html.EscapeString(s) + "</p>"
	}
	return "<p>" + html.EscapeString(postTitle(x)) + "</p>"
}

// summaryText is the item's summary as plain text, for JSON Feed's
// summary: the plain-text summary, else the text of the HTML one, else
// the title.
func summaryText(x *source.Post) string {
	if s := strings.TrimSpace(cleanText(x.SummaryText)); s != "" {
		return s
	}
	if s := htmlToText(x.SummaryHTML); s != "" {
		return s
	}
	return postTitle(x)
}

// contentHTML is the full content, or "" when there is none: empty
// content elements are left out rather than written empty.
func contentHTML(x *source.Post) string {
	if strings.TrimSpace(x.ContentHTML) == "" {
		return ""
	}
	return cleanHTML(x.ContentHTML)
}

// postTitle is the post's title as plain text. Titles are plain text in
// every format, but exports often carry markup or entities in them
// ("<em>Go</em> &#8211; notes"), which readers would show literally and
// the W3C validator flags: a title with an end tag of an HTML element or
// a character reference is read as HTML and reduced to its text.
func postTitle(x *source.Post) string {
	s := strings.TrimSpace(cleanText(x.Title))
	for _, m := range markupInTitle.FindAllStringSubmatch(s, -1) {
		if m[1] != "" && atom.Lookup([]byte(strings.ToLower(m[1]))) != 0 || m[2] != "" && html.UnescapeString(m[0]) != m[0] {
			if t := htmlToText(s); t != "" {
				return t
			}
			break
		}
	}
	return s
}

var markupInTitle = regexp.MustCompile(`</([A-Za-z][A-Za-z0-9]*)\s*>|&(#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);`)

// htmlToText is the text of an HTML fragment with whitespace collapsed.
func htmlToText(fragment string) string {
	if strings.TrimSpace(fragment) == "" {
		return ""
	}
	z := nethtml.NewTokenizer(strings.NewReader(fragment))
	var b strings.Builder
	skip := 0
	for {
		switch z.Next() {
		case nethtml.ErrorToken:
			return strings.Join(strings.Fields(cleanText(b.String())), " ")
		case nethtml.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		case nethtml.StartTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style":
				skip++
			case "br", "p", "div", "li":
				b.WriteByte(' ')
			}
		case nethtml.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style":
				if skip > 0 {
					skip--
				}
			case "p", "div", "li":
				b.WriteByte(' ')
			}
		}
	}
}

// absoluteURL returns s when it is an absolute http(s) URL, else "".
// Readers and validators reject relative URLs in author fields.
func absoluteURL(s string) string {
	if plainHTTPURL(s) {
		return s
	}
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Host == "" || u.Scheme != "http" && u.Scheme != "https" {
		return ""
	}
	return cleanText(strings.TrimSpace(s))
}

// updatedOf is the post's last modification, never before its
// publication (nor zero).
func updatedOf(x *source.Post) time.Time {
	if x.Updated.Before(x.Published) {
		return x.Published
	}
	return x.Updated
}

// categoriesOf lists a post's tags, then its categories, each name once:
// a name used as both (or spelled twice in different case) is one
// category to a reader.
func categoriesOf(x *source.Post) []string {
	var out []string
	seen := make(map[string]bool, len(x.Tags)+len(x.Categories))
	for _, list := range [][]string{x.Tags, x.Categories} {
		for _, n := range cleanAll(list) {
			if k := tagKey(n); !seen[k] {
				seen[k] = true
				out = append(out, n)
			}
		}
	}
	return out
}

// isAbsoluteURI reports whether an id can be an Atom id and an RSS guid:
// an absolute URI such as https://..., tag:... or urn:uuid:....
func isAbsoluteURI(s string) bool {
	if plainHTTPURL(s) {
		return true
	}
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && (u.Host != "" || u.Opaque != "") && !strings.ContainsAny(s, " \t\n<>\"")
}

// validEmail returns s when it is a bare e-mail address (addr-spec),
// else "": RSS <author> and Atom <email> reject anything else, and a
// name with an address ("Jane <jane@example.org>") belongs in the name.
func validEmail(s string) string {
	s = strings.TrimSpace(cleanText(s))
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return ""
	}
	return s
}

// plainHTTPURL recognises the common http(s) URL that url.Parse accepts
// with a host and cleanText leaves alone: a host of letters, digits, dots
// and hyphens, an optional port, then only printable ASCII that needs no
// escaping. Every post's link and id is checked on every build; this
// spares url.Parse for nearly all of them (FuzzPlainHTTPURL holds it to
// url.Parse).
func plainHTTPURL(s string) bool {
	rest, ok := strings.CutPrefix(s, "https://")
	if !ok {
		if rest, ok = strings.CutPrefix(s, "http://"); !ok {
			return false
		}
	}
	host := 0
	for host < len(rest) && (isAlnum(rest[host]) || rest[host] == '.' || rest[host] == '-') {
		host++
	}
	if host == 0 {
		return false
	}
	rest = rest[host:]
	if len(rest) > 0 && rest[0] == ':' {
		port := 1
		for port < len(rest) && rest[port] >= '0' && rest[port] <= '9' {
			port++
		}
		if port == 1 || port > 6 {
			return false
		}
		rest = rest[port:]
	}
	if len(rest) > 0 && rest[0] != '/' && rest[0] != '?' && rest[0] != '#' {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if !urlPlain[rest[i]] {
			return false
		}
	}
	return true
}

// urlPlain marks the bytes plainHTTPURL lets through after the host.
var urlPlain = func() (t [256]bool) {
	for c := '!'; c < 0x7f; c++ {
		t[c] = !strings.ContainsRune("\"<>\\^`{|}%", c)
	}
	return t
}()

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
