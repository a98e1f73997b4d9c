package source

import (
	"bytes"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/syndicate/syndicate/feedtext"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// urlAttrs are the attributes that hold one URL.
var urlAttrs = map[string]bool{"href": true, "src": true, "poster": true, "cite": true, "longdesc": true}

// absolutize rewrites every relative URL (href, src, srcset, ...) in a
// sanitised fragment against base, including fragment-only links.
//
// Without an absolute base, relative URLs stay as they are, but srcset
// candidates that are not http(s) are still dropped: the sanitiser cannot
// judge a list of URLs.
//
// It relies on the sanitiser's canonical output (x/net/html's serialiser):
// every '<' in it opens a tag and every '>' closes one, since text is
// escaped, and attribute values are double-quoted with '"', '<' and '>'
// escaped. That lets it scan bytes instead of tokenising the whole post.
//
// It returns fragment itself when nothing changes, else the rewritten
// fragment appended to dst[:0] (a buffer for the caller to reuse).
func absolutize(dst, fragment []byte, base string) []byte {
	b, err := url.Parse(base)
	if err != nil || !b.IsAbs() {
		b = nil
	}
	if !bytes.ContainsAny(fragment, "=") || b == nil && !bytes.Contains(fragment, []byte("srcset")) {
		return fragment
	}
	var out []byte // nil until the first change, then dst
	done := 0      // fragment[:done] is already in out
	for i := 0; i < len(fragment); {
		lt := bytes.IndexByte(fragment[i:], '<')
		if lt < 0 {
			break
		}
		start := i + lt
		gt := bytes.IndexByte(fragment[start:], '>')
		if gt < 0 {
			break
		}
		end := start + gt
		tag := fragment[start:end]
		i = end + 1
		// Attributes: name="value" pairs after the tag name.
		for j := 0; j < len(tag); {
			eq := bytes.Index(tag[j:], []byte(`="`))
			if eq < 0 {
				break
			}
			nameEnd := j + eq
			nameStart := bytes.LastIndexByte(tag[:nameEnd], ' ') + 1
			valStart := nameEnd + 2
			q := bytes.IndexByte(tag[valStart:], '"')
			if q < 0 {
				break
			}
			valEnd := valStart + q
			j = valEnd + 1
			name := tag[nameStart:nameEnd]
			var nv string
			changed := false
			switch {
			case urlAttrs[string(name)] && b != nil:
				if hasScheme(tag[valStart:valEnd]) {
					continue // absolute (or unparseable): resolveRef keeps it
				}
				val := html.UnescapeString(string(tag[valStart:valEnd]))
				if v, ok := resolveRef(b, val); ok && v != val {
					nv, changed = v, true
				}
			case string(name) == "srcset":
				val := html.UnescapeString(string(tag[valStart:valEnd]))
				if v := resolveSrcset(b, val); v != val {
					nv, changed = v, true
				}
			}
			if !changed {
				continue
			}
			if out == nil {
				out = dst[:0]
			}
			out = append(out, fragment[done:start+valStart]...)
			out = append(out, html.EscapeString(nv)...)
			done = start + valEnd
		}
	}
	if out == nil {
		return fragment
	}
	return append(out, fragment[done:]...)
}

// hasScheme reports whether a URL starts with a scheme, as url.Parse
// reads one: such a URL is absolute or does not parse.
func hasScheme(v []byte) bool {
	for i, c := range v {
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.':
			if i == 0 {
				return false
			}
		case c == ':':
			return i > 0
		default:
			return false
		}
	}
	return false
}

func resolveRef(base *url.URL, ref string) (string, bool) {
	ref = strings.TrimSpace(ref)
	u, err := url.Parse(ref)
	if err != nil {
		return ref, false
	}
	if u.IsAbs() {
		return ref, false
	}
	return base.ResolveReference(u).String(), true
}

// resolveSrcset resolves each candidate URL of a srcset list and drops
// candidates that are not http(s).
func resolveSrcset(base *url.URL, v string) string {
	parts := strings.Split(v, ",")
	out := make([]string, 0, len(parts))
	for _, c := range parts {
		f := strings.Fields(c)
		if len(f) == 0 {
			continue
		}
		u, err := url.Parse(f[0])
		if err != nil {
			continue
		}
		if u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https" {
			continue
		}
		if base != nil {
			f[0] = base.ResolveReference(u).String()
		}
		out = append(out, strings.Join(f, " "))
	}
	return strings.Join(out, ", ")
}

// blockTags end a paragraph when extracting text.
var blockTags = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Li: true, atom.Blockquote: true, atom.Pre: true,
	atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	atom.Tr: true, atom.Table: true, atom.Figure: true, atom.Figcaption: true, atom.Section: true,
	atom.Ul: true, atom.Ol: true, atom.Hr: true, atom.Br: true, atom.Dd: true, atom.Dt: true,
}

// voidTags have no end tag, so they never open a nesting level.
var voidTags = map[atom.Atom]bool{
	atom.Area: true, atom.Br: true, atom.Col: true, atom.Embed: true, atom.Hr: true, atom.Img: true,
	atom.Input: true, atom.Link: true, atom.Meta: true, atom.Source: true, atom.Track: true, atom.Wbr: true,
}

// paragraphs returns the text of each block of an HTML fragment, with
// white space collapsed; footnotes, scripts and styles are left out. With
// limit > 0 it stops once the paragraphs hold at least limit characters,
// counting one separator after each, so a summary of a long post does
// not read all of it.
//
// The fragment must be toHTML's output, which is in the form x/net/html
// serialises (see absolutize): that lets it find tags by '<' and '>'
// instead of running a tokenizer. It yields what tokenizing would
// (paragraphsTokenized in the tests, which FuzzRenderSafe compares).
func paragraphs(fragment string, limit int) []string {
	var paras []string
	total := 0
	var cur []byte
	skip := 0 // nesting depth inside an element that is not prose
	flush := func() {
		if t := collapseText(cur); t != "" {
			paras = append(paras, t)
			if limit > 0 {
				total += utf8.RuneCountInString(t) + 1
			}
		}
		cur = cur[:0]
	}
	for i := 0; i < len(fragment); {
		if limit > 0 && total >= limit {
			return paras
		}
		lt := strings.IndexByte(fragment[i:], '<')
		if lt < 0 {
			lt = len(fragment) - i
		}
		if lt > 0 && skip == 0 {
			cur = appendHTMLText(cur, fragment[i:i+lt])
		}
		i += lt
		if i >= len(fragment) {
			break
		}
		gt := strings.IndexByte(fragment[i:], '>')
		if gt < 0 {
			break // not in toHTML's output
		}
		tag := fragment[i+1 : i+gt]
		i += gt + 1
		end := strings.HasPrefix(tag, "/")
		if end {
			tag = tag[1:]
		}
		selfClosing := strings.HasSuffix(tag, "/")
		name := tag
		if n := strings.IndexAny(tag, " /"); n >= 0 {
			name = tag[:n]
		}
		a := atom.Lookup([]byte(name))
		void := voidTags[a] || selfClosing
		switch {
		case skip > 0 && !end && !void:
			skip++
			continue
		case skip > 0 && end:
			skip--
			continue
		case skip > 0:
			continue
		case !end && !void && notProse(a, tag):
			skip = 1
			continue
		}
		if blockTags[a] {
			flush()
		} else if a == atom.Img {
			cur = append(cur, ' ')
		}
	}
	flush()
	return paras
}

// notProse reports elements whose text does not belong in a summary:
// goldmark's footnote list and references, scripts and styles.
func notProse(a atom.Atom, tag string) bool {
	if a == atom.Script || a == atom.Style || a == atom.Template {
		return true
	}
	for rest := tag; ; {
		i := strings.Index(rest, ` class="`)
		if i < 0 {
			return false
		}
		rest = rest[i+len(` class="`):]
		v, _, _ := strings.Cut(rest, `"`)
		if v == "footnotes" || v == "footnote-ref" {
			return true
		}
	}
}

// appendHTMLText appends escaped HTML text as the characters it stands for.
func appendHTMLText(dst []byte, s string) []byte {
	if strings.IndexByte(s, '\r') >= 0 {
		s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	}
	if strings.IndexByte(s, '&') >= 0 {
		s = html.UnescapeString(s)
	}
	return append(dst, s...)
}

// collapseText is strings.Join(strings.Fields(feedtext.Plain(s)), " ") in
// one pass and one allocation.
func collapseText(s []byte) string {
	out := make([]byte, 0, len(s))
	space := false
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			// ASCII: after feedtext.Plain only tab, LF, CR and space are
			// white.
			i++
			switch {
			case c == ' ' || c == '\n' || c == '\t' || c == '\r':
				space = len(out) > 0
			case c < 0x20 || c == 0x7f:
			default:
				if space {
					out = append(out, ' ')
					space = false
				}
				out = append(out, c)
			}
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		i += size
		switch r = feedtext.Rune(r); {
		case r < 0:
			// feedtext.Plain drops it
		case unicode.IsSpace(r):
			space = len(out) > 0
		default:
			if space {
				out = append(out, ' ')
				space = false
			}
			out = utf8.AppendRune(out, r)
		}
	}
	return string(out)
}

// plainText is the text of an HTML fragment, paragraphs separated by a
// blank line, white space collapsed.
func plainText(fragment string) string {
	return strings.Join(paragraphs(fragment, 0), "\n\n")
}
