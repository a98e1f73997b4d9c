package feedgen

import (
	"html"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"time"

	nethtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/text/language"

	"github.com/syndicate/syndicate/feedtext"
	"github.com/syndicate/syndicate/source"
)

func cleanAll(xs []string) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		if x = strings.TrimSpace(feedtext.Plain(x)); x != "" {
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
	language         string          // languageTag of the post's
	authors          []source.Author // presented; see presentAuthors
}

// postText cleans the post's text for every format.
func (p *Plan) postText(x *source.Post) *postText {
	t := &postText{
		title:      postTitle(x),
		link:       feedtext.Plain(x.Link),
		summary:    summaryHTML(x),
		categories: categoriesOf(x),
		authors:    p.presentAuthors(x.Authors),
		language:   languageTag(x.Language),
	}
	if !p.Options.SummaryOnly {
		t.content = contentHTML(x)
	}
	return t
}

// presentAuthors is the post's authors as Site.Authors presents them:
// names cleaned and trimmed, URLs kept only when valid (absoluteURL),
// an address only when public; authors credited nowhere are dropped.
func (p *Plan) presentAuthors(authors []source.Author) []source.Author {
	var out []source.Author
	for _, a := range authors {
		if a = p.Site.Authors.present(a); a.Name != "" {
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
		return feedtext.HTML(s)
	}
	if s := strings.TrimSpace(feedtext.Plain(x.SummaryText)); s != "" {
		return "<p>" + html.EscapeString(s) + "</p>"
	}
	return "<p>" + html.EscapeString(postTitle(x)) + "</p>"
}

// summaryText is the item's summary as plain text, for JSON Feed's
// summary: the plain-text summary, else the text of the HTML one, else
// the title.
func summaryText(x *source.Post) string {
	if s := strings.TrimSpace(feedtext.Plain(x.SummaryText)); s != "" {
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
	return feedtext.HTML(x.ContentHTML)
}

// postTitle is the post's title as plain text. Titles are plain text in
// every format, but exports often carry markup or entities in them
// ("<em>Go</em> &#8211; notes"), which readers would show literally and
// the W3C validator flags: a title with an end tag of an HTML element or
// a character reference is read as HTML and reduced to its text.
func postTitle(x *source.Post) string {
	s := strings.TrimSpace(feedtext.Plain(x.Title))
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
			return strings.Join(strings.Fields(feedtext.Plain(b.String())), " ")
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
	return feedtext.Plain(strings.TrimSpace(s))
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
// an absolute URI of a scheme ids are made of, https://..., tag:... or
// urn:uuid:..., never one a reader might act on (javascript:, data:,
// vbscript:, file:).
func isAbsoluteURI(s string) bool {
	if plainHTTPURL(s) {
		return true
	}
	u, err := url.Parse(s)
	if err != nil || strings.ContainsAny(s, " \t\n<>\"") {
		return false
	}
	switch u.Scheme {
	case "http", "https":
		return u.Host != ""
	case "tag", "urn":
		return u.Opaque != ""
	}
	return false
}

// languageTag is s as a BCP 47 language tag in its canonical form
// (golang.org/x/text/language), or "" when s is not one: a language is an
// attribute value and an element every reader matches against tags, and
// anything else would be written there as it is.
func languageTag(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	tag, err := language.Parse(s)
	if err != nil {
		return ""
	}
	return tag.String()
}

// validEmail returns s when it is a bare e-mail address (addr-spec),
// else "": RSS <author> and Atom <email> reject anything else, and a
// name with an address ("Jane <jane@example.org>") belongs in the name.
func validEmail(s string) string {
	s = strings.TrimSpace(feedtext.Plain(s))
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
