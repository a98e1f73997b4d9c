package source

import (
	"bytes"
	"net/url"
	"strings"

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
func absolutize(fragment []byte, base string) []byte {
	b, err := url.Parse(base)
	if err != nil || !b.IsAbs() {
		b = nil
	}
	if !bytes.ContainsAny(fragment, "=") || b == nil && !bytes.Contains(fragment, []byte("srcset")) {
		return fragment
	}
	var out []byte // nil until the first change
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
			name := string(tag[nameStart:nameEnd])
			var nv string
			changed := false
			switch {
			case urlAttrs[name] && b != nil:
				val := html.UnescapeString(string(tag[valStart:valEnd]))
				if v, ok := resolveRef(b, val); ok && v != val {
					nv, changed = v, true
				}
			case name == "srcset":
				val := html.UnescapeString(string(tag[valStart:valEnd]))
				if v := resolveSrcset(b, val); v != val {
					nv, changed = v, true
				}
			}
			if !changed {
				continue
			}
			if out == nil {
				out = make([]byte, 0, len(fragment)+256)
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

// notProse reports elements whose text does not belong in a summary:
// goldmark's footnote list and references, scripts and styles.
func notProse(z *html.Tokenizer, a atom.Atom, hasAttr bool) bool {
	if a == atom.Script || a == atom.Style || a == atom.Template {
		return true
	}
	for hasAttr {
		var k, v []byte
		k, v, hasAttr = z.TagAttr()
		if string(k) == "class" && (string(v) == "footnotes" || string(v) == "footnote-ref") {
			return true
		}
	}
	return false
}

// paragraphs returns the text of each block of an HTML fragment, with
// white space collapsed; footnotes are left out. With limit > 0 it stops
// once the paragraphs hold at least limit bytes, so a summary of a long
// post does not tokenise all of it.
func paragraphs(fragment string, limit int) []string {
	z := html.NewTokenizer(strings.NewReader(fragment))
	var paras []string
	total := 0
	var cur strings.Builder
	skip := 0 // nesting depth inside an element that is not prose
	flush := func() {
		if t := strings.Join(strings.Fields(cleanText(cur.String())), " "); t != "" {
			paras = append(paras, t)
			total += len(t) + 1
		}
		cur.Reset()
	}
	for {
		if limit > 0 && total >= limit {
			return paras
		}
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			flush()
			return paras
		case html.TextToken:
			if skip == 0 {
				cur.Write(z.Text())
			}
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			a := atom.Lookup(name)
			void := voidTags[a] || tt == html.SelfClosingTagToken
			switch {
			case skip > 0 && tt == html.StartTagToken && !void:
				skip++
				continue
			case skip > 0 && tt == html.EndTagToken:
				skip--
				continue
			case skip > 0:
				continue
			case tt == html.StartTagToken && !void && notProse(z, a, hasAttr):
				skip = 1
				continue
			}
			if blockTags[a] {
				flush()
			} else if a == atom.Img {
				cur.WriteByte(' ')
			}
		}
	}
}

// plainText is the text of an HTML fragment, paragraphs separated by a
// blank line, white space collapsed.
func plainText(fragment string) string {
	return strings.Join(paragraphs(fragment, 0), "\n\n")
}
