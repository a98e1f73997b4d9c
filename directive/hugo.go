package directive

import (
	"bytes"
	"html"
	"net/url"
	"strings"
)

// hugoStart is the offset of the body's first Hugo shortcode marker, or -1.
func hugoStart(b []byte) int {
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte("{{"))
		if j < 0 {
			return -1
		}
		i += j
		if i+2 < len(b) && (b[i+2] == '<' || b[i+2] == '%') {
			return i
		}
		i += 2
	}
}

// shortcode is one marker: "{{< name args >}}", "{{% name args %}}",
// "{{< /name >}}" or "{{< name args />}}".
type shortcode struct {
	start, end int // the marker's span in src
	name       string
	args       []arg
	closing    bool // "/name"
	selfClosed bool // "... />}}"
	markdown   bool // "{{% %}}"
	escaped    string
	bad        string // why the marker could not be read
}

// maxMarker bounds the length of one shortcode marker, so that text full
// of unclosed ones takes linear time.
const maxMarker = 4096

// hugoMarkers finds every shortcode marker of src, in order.
func hugoMarkers(src []byte) []shortcode {
	var out []shortcode
	for i := 0; ; {
		j := bytes.Index(src[i:], []byte("{{"))
		if j < 0 {
			return out
		}
		start := i + j
		if start+2 >= len(src) || src[start+2] != '<' && src[start+2] != '%' {
			i = start + 2
			continue
		}
		delim := src[start+2]
		closer := []byte("%}}")
		if delim == '<' {
			closer = []byte(">}}")
		}
		// Find the closer outside quotes.
		k := start + 3
		end := -1
		limit := min(len(src), start+maxMarker)
		for k < limit {
			c := src[k]
			if c == '"' || c == '`' {
				e := bytes.IndexByte(src[k+1:limit], c)
				if e < 0 {
					break
				}
				k += e + 2
				continue
			}
			if bytes.HasPrefix(src[k:], closer) {
				end = k + 3
				break
			}
			if c == '{' && bytes.HasPrefix(src[k:], []byte("{{")) && k+2 < len(src) && (src[k+2] == '<' || src[k+2] == '%') {
				break // the next marker: this one never closes
			}
			k++
		}
		if end < 0 {
			// Its line goes; the rest of the post stays.
			end = len(src)
			if nl := bytes.IndexByte(src[start:], '\n'); nl >= 0 {
				end = start + nl
			}
			out = append(out, shortcode{start: start, end: end, bad: "unclosed shortcode marker"})
			i = end
			continue
		}
		sc := shortcode{start: start, end: end, markdown: delim == '%'}
		inner := strings.TrimSpace(string(src[start+3 : end-3]))
		if len(inner) >= 4 && strings.HasPrefix(inner, "/*") && strings.HasSuffix(inner, "*/") {
			// Hugo's escape: show the shortcode as written.
			sc.escaped = "{{" + string(delim) + " " + strings.TrimSpace(inner[2:len(inner)-2]) + " " + string(closer[0]) + "}}"
			out = append(out, sc)
			i = end
			continue
		}
		if strings.HasSuffix(inner, "/") {
			sc.selfClosed = true
			inner = strings.TrimSpace(strings.TrimSuffix(inner, "/"))
		}
		if rest, ok := strings.CutPrefix(inner, "/"); ok {
			sc.closing = true
			sc.name = strings.TrimSpace(rest)
		} else {
			args, err := splitArgs(inner)
			switch {
			case err != nil:
				sc.bad = err.Error()
			case len(args) == 0 || args[0].quoted || args[0].name != "":
				sc.bad = "no shortcode name"
			default:
				sc.name, sc.args = args[0].text, args[1:]
			}
		}
		out = append(out, sc)
		i = end
	}
}

// hugo expands Hugo shortcodes. A shortcode with a matching closing
// marker later (nested ones of its name counted) is paired and gets what
// lies between as its inner content; one without is standalone.
func (x *expander) hugo() {
	ms := hugoMarkers(x.src)
	pair := make([]int, len(ms))
	open := map[string][]int{}
	for i, m := range ms {
		pair[i] = -1
		switch {
		case m.bad != "" || m.escaped != "" || m.selfClosed:
		case m.closing:
			if st := open[m.name]; len(st) > 0 {
				pair[st[len(st)-1]] = i
				open[m.name] = st[:len(st)-1]
			}
		default:
			open[m.name] = append(open[m.name], i)
		}
	}
	x.out = make([]byte, 0, len(x.src))
	x.out = x.hugoRange(x.out, ms, pair, 0, len(ms), 0, len(x.src))
}

// hugoRange appends the expansion of src[from:to], whose markers are
// ms[lo:hi].
func (x *expander) hugoRange(out []byte, ms []shortcode, pair []int, lo, hi, from, to int) []byte {
	done := from
	for i := lo; i < hi; i++ {
		m := ms[i]
		out = append(out, x.src[done:m.start]...)
		done = m.end
		switch {
		case m.escaped != "":
			out = append(out, m.escaped...)
			continue
		case m.bad != "":
			x.report(m.start, "bad\x00"+m.bad, "Hugo shortcode marker %q removed: %s", clip(x.src[m.start:m.end]), m.bad)
			continue
		case m.closing:
			x.report(m.start, "close\x00"+m.name, "Hugo closing shortcode {{< /%s >}} without an opening one removed", m.name)
			continue
		}
		closeAt := pair[i]
		if closeAt < 0 || closeAt >= hi {
			out = append(out, x.shortcode(m, nil, "")...)
			continue
		}
		innerStart, innerEnd := m.end, ms[closeAt].start
		raw := string(x.src[innerStart:innerEnd])
		var expanded []byte
		if m.name != "highlight" && m.name != "comment" {
			expanded = x.hugoRange([]byte{}, ms, pair, i+1, closeAt, innerStart, innerEnd)
		}
		out = append(out, x.shortcode(m, expanded, raw)...)
		done = ms[closeAt].end
		i = closeAt
	}
	return append(out, x.src[done:to]...)
}

// named is a shortcode's argument by name, else by position.
func named(args []arg, name string, pos int) string {
	for _, a := range args {
		if a.name == name {
			return a.text
		}
	}
	n := 0
	for _, a := range args {
		if a.name != "" {
			continue
		}
		if n == pos {
			return a.text
		}
		n++
	}
	return ""
}

// shortcode is what one (standalone, or paired with inner content) Hugo
// shortcode becomes. inner is its content expanded, raw as written.
func (x *expander) shortcode(m shortcode, inner []byte, raw string) string {
	a := m.args
	switch m.name {
	case "figure":
		src := named(a, "src", 0)
		if src == "" {
			break
		}
		img := `<img src="` + html.EscapeString(src) + `" alt="` + html.EscapeString(named(a, "alt", -1)) + `"`
		for _, k := range []string{"width", "height"} {
			if v := named(a, k, -1); v != "" {
				img += ` ` + k + `="` + html.EscapeString(v) + `"`
			}
		}
		img += ">"
		if l := named(a, "link", -1); l != "" {
			img = `<a href="` + html.EscapeString(l) + `">` + img + `</a>`
		}
		fig := "<figure>" + img
		title, caption := named(a, "title", -1), named(a, "caption", -1)
		if title != "" || caption != "" {
			fig += "<figcaption>"
			if title != "" {
				fig += "<strong>" + html.EscapeString(title) + "</strong>"
				if caption != "" {
					fig += " "
				}
			}
			fig += html.EscapeString(caption) + "</figcaption>"
		}
		return fig + "</figure>"
	case "youtube":
		if id := named(a, "id", 0); id != "" {
			return anchor("https://www.youtube.com/watch?v="+url.QueryEscape(id), named(a, "title", -1))
		}
	case "vimeo":
		if id := named(a, "id", 0); id != "" {
			return anchor("https://vimeo.com/"+url.PathEscape(id), named(a, "title", -1))
		}
	case "gist":
		user, id := named(a, "user", 0), named(a, "id", 1)
		if user != "" && id != "" {
			u := "https://gist.github.com/" + url.PathEscape(user) + "/" + url.PathEscape(id)
			if f := named(a, "file", 2); f != "" {
				u += "#file-" + strings.ReplaceAll(strings.ToLower(f), ".", "-")
			}
			return anchor(u, "")
		}
	case "x", "tweet", "twitter":
		user, id := named(a, "user", -1), named(a, "id", -1)
		if id == "" {
			id = named(a, "", 0)
		}
		if id != "" {
			host := "https://x.com/"
			if user == "" {
				user = "i" // x.com/i/status/ID finds a post without its author
			}
			return anchor(host+url.PathEscape(user)+"/status/"+url.PathEscape(id), "")
		}
	case "instagram":
		if id := named(a, "id", 0); id != "" {
			return anchor("https://www.instagram.com/p/"+url.PathEscape(id)+"/", "")
		}
	case "highlight":
		if inner != nil || raw != "" {
			return codeBlock(raw)
		}
	case "ref", "relref":
		if target := named(a, "path", 0); target != "" {
			p, frag, _ := strings.Cut(target, "#")
			l := x.link(m.start, RefHugo, p, "Hugo "+m.name)
			if l != "" && frag != "" {
				l += "#" + frag
			}
			return l
		}
	case "param":
		if key := named(a, "", 0); key != "" {
			if x.env.Page != nil {
				if v, ok := x.env.Page(key); ok {
					return v
				}
			}
			if x.env.Site != nil {
				if v, ok := x.env.Site(key); ok {
					return v
				}
			}
			x.report(m.start, "param\x00"+key, "Hugo param %q is set neither in the front matter nor in site.params; removed", key)
			return ""
		}
	case "details":
		summary := named(a, "summary", -1)
		if summary == "" {
			summary = "Details"
		}
		return "<details><summary>" + html.EscapeString(summary) + "</summary>\n\n" + strings.TrimSpace(string(inner)) + "\n\n</details>"
	case "comment":
		return ""
	}
	x.report(m.start, "sc\x00"+m.name, "unresolved Hugo shortcode %q", m.name)
	if inner != nil {
		return string(inner)
	}
	return ""
}
