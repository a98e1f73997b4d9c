package directive

import (
	"bytes"
	"net/url"
	"strings"
)

// liquidStart is the offset of the body's first Liquid tag, or of its
// first output of a site, page or post variable, or -1.
func liquidStart(b []byte) int {
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], '{')
		if j < 0 || i+j+1 >= len(b) {
			return -1
		}
		i += j
		switch b[i+1] {
		case '%':
			if name, _ := tagName(b[i+2:]); name != "" {
				return i
			}
		case '{':
			rest := bytes.TrimLeft(b[i+2:], "- ")
			for _, v := range liquidObjects {
				if bytes.HasPrefix(rest, []byte(v)) {
					return i
				}
			}
		}
		i++
	}
}

// liquidObjects are the variables whose output marks a body as Liquid.
var liquidObjects = []string{"site.", "page.", "post.", "content", `"`, "'"}

// tagName reads the name of a tag whose text starts at b (just past "{%").
func tagName(b []byte) (string, int) {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	k := i
	for k < len(b) && (b[k] >= 'a' && b[k] <= 'z' || b[k] == '_') {
		k++
	}
	return string(b[i:k]), k
}

// liquidBlocks are the block tags whose content goes with them: Liquid
// would output it only under conditions, or in a loop, that syndicate
// cannot evaluate, or never.
var liquidBlocks = map[string]string{
	"if": "endif", "unless": "endunless", "case": "endcase", "for": "endfor",
	"capture": "endcapture", "comment": "endcomment", "tablerow": "endtablerow",
}

// liquid expands Liquid tags and output.
func (x *expander) liquid() {
	toks := x.liquidTokens()
	pair := liquidPairs(toks)
	x.out = make([]byte, 0, len(x.src))
	x.out = x.liquidRange(x.out, toks, pair, 0, len(toks), 0, len(x.src))
}

// liquidToken is one "{% tag %}" or "{{ output }}" in src.
type liquidToken struct {
	start, end int
	tag        bool
	name       string // the tag's name
	text       string // the markup inside the delimiters, trimmed
	trimL      bool   // "{%-"
	trimR      bool   // "-%}"
	// rawEnd is, for a raw tag, where its endraw tag ends (the text
	// between is verbatim), or -1 when it has none.
	rawText [2]int
	rawEnd  int
}

// liquidTokens finds every tag and output of src, in one pass: the
// content of raw tags is skipped, and a delimiter that never closes is
// looked for only once.
func (x *expander) liquidTokens() []liquidToken {
	src := x.src
	var toks []liquidToken
	noClose := map[string]bool{}
	noEndraw := false
	for i := 0; i < len(src); {
		j := bytes.IndexByte(src[i:], '{')
		if j < 0 || i+j+1 >= len(src) {
			break
		}
		start := i + j
		var closer string
		switch src[start+1] {
		case '%':
			closer = "%}"
		case '{':
			closer = "}}"
		default:
			i = start + 1
			continue
		}
		if noClose[closer] {
			i = start + 2
			continue
		}
		e := bytes.Index(src[start+2:], []byte(closer))
		if e < 0 {
			noClose[closer] = true
			i = start + 2
			continue
		}
		end := start + 2 + e + 2
		t := liquidToken{start: start, end: end, tag: closer == "%}", rawEnd: -1}
		inner := string(src[start+2 : end-2])
		if strings.HasPrefix(inner, "-") {
			t.trimL, inner = true, inner[1:]
		}
		if strings.HasSuffix(inner, "-") {
			t.trimR, inner = true, inner[:len(inner)-1]
		}
		t.text = strings.TrimSpace(inner)
		if t.tag {
			t.name, _ = tagName([]byte(t.text))
			if t.name == "" {
				i = start + 2
				continue // "{%" that is no tag: text
			}
			t.text = strings.TrimSpace(t.text[len(t.name):])
		} else if !isLiquidOutput(t.text) {
			i = start + 2
			continue // "{{ }}" that is no Liquid output: text
		}
		i = end
		if t.name == "raw" && !noEndraw {
			if cs, ce := endraw(src, end); cs >= 0 {
				t.rawText, t.rawEnd = [2]int{end, cs}, ce
				i = ce
			} else {
				noEndraw = true
			}
		}
		toks = append(toks, t)
	}
	return toks
}

// endraw finds the "{% endraw %}" tag after i: its span, or -1s.
func endraw(src []byte, i int) (int, int) {
	for {
		e := bytes.Index(src[i:], []byte("endraw"))
		if e < 0 {
			return -1, -1
		}
		at := i + e
		open := bytes.LastIndex(src[max(i, at-8):at], []byte("{%"))
		cl := bytes.Index(src[at+6:min(len(src), at+16)], []byte("%}"))
		if open >= 0 && cl >= 0 {
			o := max(i, at-8) + open
			if len(bytes.Trim(src[o+2:at], "- \t")) == 0 && len(bytes.Trim(src[at+6:at+6+cl], "- \t")) == 0 {
				return o, at + 6 + cl + 2
			}
		}
		i = at + 6
	}
}

// liquidPairs pairs each block tag with its end tag (nested blocks of
// one name counted): pair[i] is the end tag's index, or -1.
func liquidPairs(toks []liquidToken) []int {
	pair := make([]int, len(toks))
	open := map[string][]int{}
	for i, t := range toks {
		pair[i] = -1
		if !t.tag {
			continue
		}
		if _, ok := liquidBlocks[t.name]; ok || t.name == "highlight" {
			open[t.name] = append(open[t.name], i)
			continue
		}
		if name, ok := strings.CutPrefix(t.name, "end"); ok {
			if st := open[name]; len(st) > 0 {
				pair[st[len(st)-1]] = i
				open[name] = st[:len(st)-1]
			}
		}
	}
	return pair
}

// liquidRange appends the expansion of src[from:to], whose tokens are
// toks[lo:hi].
func (x *expander) liquidRange(out []byte, toks []liquidToken, pair []int, lo, hi, from, to int) []byte {
	done := from
	for k := lo; k < hi; k++ {
		t := toks[k]
		text := x.src[done:t.start]
		if t.trimL {
			text = bytes.TrimRight(text, " \t\r\n")
		}
		out = append(out, text...)
		done = t.end
		if !t.tag {
			out = append(out, x.liquidOutput(t)...)
		} else {
			switch t.name {
			case "raw":
				if t.rawEnd < 0 {
					x.report(t.start, "unclosed\x00raw", "{%% raw %%} without {%% endraw %%} removed")
					break
				}
				out = append(out, x.src[t.rawText[0]:t.rawText[1]]...)
				done = t.rawEnd
			case "highlight":
				e := pair[k]
				if e < 0 || e >= hi {
					x.report(t.start, "unclosed\x00highlight", "{%% highlight %%} without {%% endhighlight %%} removed")
					break
				}
				code := x.liquidRange(nil, toks, pair, k+1, e, t.end, toks[e].start)
				out = append(out, codeBlock(string(code))...)
				done, k = toks[e].end, e
				t = toks[e]
			case "post_url":
				out = append(out, x.link(t.start, RefPostURL, t.text, "Liquid post_url")...)
			case "link":
				out = append(out, x.link(t.start, RefSitePath, t.text, "Liquid link")...)
			default:
				if _, ok := liquidBlocks[t.name]; ok {
					x.report(t.start, "tag\x00"+t.name, "Liquid {%% %s %%} block removed with its content", t.name)
					if e := pair[k]; e >= 0 && e < hi {
						done, k = toks[e].end, e
						t = toks[e]
					}
					break
				}
				x.report(t.start, "tag\x00"+t.name, "Liquid {%% %s %%} tag removed", t.name)
			}
		}
		if t.trimR {
			for done < to && isSpace(x.src[done]) {
				done++
			}
		}
	}
	return append(out, x.src[done:to]...)
}

// liquidOutput is what "{{ markup }}" becomes: the value of a site or page
// variable or of a string literal, through the url filters; anything else
// is removed.
func (x *expander) liquidOutput(t liquidToken) string {
	parts := strings.Split(t.text, "|")
	expr := strings.TrimSpace(parts[0])
	var val string
	var ok bool
	switch {
	case strings.HasPrefix(expr, `"`) || strings.HasPrefix(expr, "'"):
		if len(expr) >= 2 && expr[len(expr)-1] == expr[0] {
			val, ok = expr[1:len(expr)-1], true
		}
	case strings.HasPrefix(expr, "site."):
		if x.env.Site != nil {
			val, ok = x.env.Site(strings.TrimPrefix(expr, "site."))
		}
	case strings.HasPrefix(expr, "page.") || strings.HasPrefix(expr, "post."):
		if x.env.Page != nil {
			_, key, _ := strings.Cut(expr, ".")
			val, ok = x.env.Page(key)
		}
	}
	if !ok {
		x.report(t.start, "out\x00"+expr, "Liquid output {{ %s }} removed: no value for %q", clip([]byte(t.text)), expr)
		return ""
	}
	for _, f := range parts[1:] {
		f = strings.TrimSpace(f)
		switch f {
		case "relative_url", "absolute_url":
			val = x.siteURL(val, f == "absolute_url")
		case "escape", "xml_escape", "cgi_escape", "uri_escape", "strip", "downcase", "upcase":
			switch f {
			case "strip":
				val = strings.TrimSpace(val)
			case "downcase":
				val = strings.ToLower(val)
			case "upcase":
				val = strings.ToUpper(val)
			case "cgi_escape":
				val = url.QueryEscape(val)
			case "uri_escape":
				val = (&url.URL{Path: val}).EscapedPath()
			}
			// escape and xml_escape: the Markdown renderer escapes text.
		default:
			x.report(t.start, "filter\x00"+f, "Liquid filter %q not applied in {{ %s }}", f, clip([]byte(t.text)))
		}
	}
	return val
}

// siteURL is Jekyll's relative_url/absolute_url: the path below the
// site's base URL (a path relative to the site when relative, which the
// post's links resolve against the site; absolute otherwise).
func (x *expander) siteURL(p string, absolute bool) string {
	if u, err := url.Parse(p); err == nil && u.IsAbs() {
		return p
	}
	base := ""
	if x.env.Site != nil {
		base, _ = x.env.Site("baseurl")
	}
	out := strings.TrimSuffix(base, "/") + "/" + strings.TrimPrefix(p, "/")
	if absolute && x.env.Site != nil {
		if host, ok := x.env.Site("url"); ok {
			out = strings.TrimSuffix(host, "/") + out
		}
	}
	return out
}

// isLiquidOutput says whether the markup of "{{ ... }}" reads as Liquid
// output (a variable, a literal, filters), not as text that happens to
// sit between braces.
func isLiquidOutput(s string) bool {
	if s == "" || strings.ContainsAny(s, "{}\n") {
		return false
	}
	c := s[0]
	return c == '"' || c == '\'' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}
