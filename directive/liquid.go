package directive

import (
	"bytes"
	"net/url"
	"sort"
	"strings"
)

// liquidStart is the offset of the body's first sign of Liquid, or -1:
// a tag only Jekyll writes (raw, highlight, post_url, link, include)
// anywhere, or any tag or output of a site, page or post variable outside
// code. A post about Jinja, Django or Nunjucks shows their "{% for %}" in
// code, where it must stay; a Jekyll post that shows Liquid in code wraps
// it in raw, which is itself the sign.
func liquidStart(b []byte) int {
	var code [][2]int
	codeDone := false
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], '{')
		if j < 0 || i+j+1 >= len(b) {
			return -1
		}
		i += j
		sign := false
		switch b[i+1] {
		case '%':
			name := tagName(b[i+2:])
			if jekyllTags[name] {
				return i
			}
			sign = name != ""
		case '{':
			rest := bytes.TrimLeft(b[i+2:], "- ")
			for _, v := range liquidObjects {
				if bytes.HasPrefix(rest, []byte(v)) {
					sign = true
				}
			}
		}
		if sign {
			if !codeDone {
				code, codeDone = codeRegions(b), true
			}
			if !within(code, i) {
				return i
			}
		}
		i++
	}
}

// jekyllTags are Liquid tags no other template language a post might
// show writes.
var jekyllTags = map[string]bool{
	"raw": true, "endraw": true, "highlight": true, "post_url": true, "link": true,
	"include": true, "include_relative": true,
}

// liquidObjects are the variables whose output marks a body as Liquid.
var liquidObjects = []string{"site.", "page.", "post."}

// codeRegions lists the spans of b's Markdown code: fenced blocks
// (FencedBlocks), lines indented four columns after a blank line, and
// code spans within a line.
func codeRegions(b []byte) [][2]int {
	var out [][2]int
	fences := FencedBlocks(b)
	blank, indented := true, false
	for off := 0; off < len(b); {
		if len(fences) > 0 && fences[0][0] == off {
			// A fenced block, its opening and closing lines included;
			// the line after it follows a line that is not blank.
			out = append(out, fences[0])
			off, fences, blank = fences[0][1]+1, fences[1:], false
			continue
		}
		end := lineEnd(b, off)
		line := b[off:end]
		switch {
		case (blank || indented) && (bytes.HasPrefix(line, []byte("    ")) || bytes.HasPrefix(line, []byte("\t"))):
			out = append(out, [2]int{off, end})
			indented = true
		default:
			indented = false
			// code spans: backtick runs closed by a run of the same length
			for k := 0; k < len(line); {
				t := bytes.IndexByte(line[k:], '`')
				if t < 0 {
					break
				}
				k += t
				n := 0
				for k+n < len(line) && line[k+n] == '`' {
					n++
				}
				closeAt := bytes.Index(line[k+n:], line[k:k+n])
				if closeAt < 0 {
					break
				}
				out = append(out, [2]int{off + k, off + k + n + closeAt + n})
				k += n + closeAt + n
			}
		}
		blank = len(bytes.TrimSpace(line)) == 0
		off = end + 1
	}
	return out
}

// FencedBlocks lists the spans of b's fenced code blocks, in order: from
// a line that starts (after spaces) with a run of three or more ` or ~
// to the end of a line holding that run and nothing else, or to the end
// of b when none does. The span ends where the closing line's newline
// stands. It is the one reading of fences for the template directives
// (which code keeps as it is) and for source's links to other posts
// (which code leaves alone).
func FencedBlocks(b []byte) [][2]int {
	if !bytes.Contains(b, []byte("```")) && !bytes.Contains(b, []byte("~~~")) {
		return nil
	}
	var out [][2]int
	open := -1
	var fence []byte
	for off := 0; off < len(b); {
		end := lineEnd(b, off)
		line := bytes.TrimLeft(b[off:end], " ")
		if open < 0 {
			if bytes.HasPrefix(line, []byte("```")) || bytes.HasPrefix(line, []byte("~~~")) {
				n := 0
				for n < len(line) && line[n] == line[0] {
					n++
				}
				open, fence = off, line[:n]
			}
		} else if bytes.HasPrefix(line, fence) && len(bytes.TrimSpace(line[len(fence):])) == 0 {
			out = append(out, [2]int{open, end})
			open = -1
		}
		off = end + 1
	}
	if open >= 0 {
		out = append(out, [2]int{open, len(b)})
	}
	return out
}

// lineEnd is the offset of the newline that ends the line starting at
// off, or len(b) for a last line without one.
func lineEnd(b []byte, off int) int {
	if i := bytes.IndexByte(b[off:], '\n'); i >= 0 {
		return off + i
	}
	return len(b)
}

// within says whether off lies in one of the spans, which are in order
// and do not overlap.
func within(spans [][2]int, off int) bool {
	i := sort.Search(len(spans), func(i int) bool { return spans[i][1] > off })
	return i < len(spans) && spans[i][0] <= off
}

// tagName reads the name of a tag whose text starts at b (just past "{%").
func tagName(b []byte) string {
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
	return string(b[i:k])
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
			t.name = tagName([]byte(t.text))
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
