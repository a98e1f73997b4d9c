package directive

import (
	"bytes"
	"fmt"
	"html"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// present expands Go's present-style template actions, as the Go
// website's blog executes posts with "template: true": every "{{ ... }}"
// is an action, wherever it stands (code blocks included).
func (x *expander) present() {
	src := x.src
	x.out = make([]byte, 0, len(src))
	done := 0
	for i := 0; ; {
		j := bytes.Index(src[i:], []byte("{{"))
		if j < 0 {
			break
		}
		start := i + j
		end, ok := actionEnd(src, start+2)
		if !ok {
			// An action that never closes: text/template fails on it.
			// Its line goes; the rest of the post stays.
			x.out = append(x.out, src[done:start]...)
			x.report(start, "unclosed", "unclosed template action %q removed", clip(src[start:]))
			done = len(src)
			if nl := bytes.IndexByte(src[start:], '\n'); nl >= 0 {
				done = start + nl
			}
			i = done
			continue
		}
		inner := string(src[start+2 : end-2])
		trimLeft := strings.HasPrefix(inner, "- ")
		trimRight := strings.HasSuffix(inner, " -")
		inner = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(inner, "- "), " -"))
		text := src[done:start]
		if trimLeft {
			text = bytes.TrimRightFunc(text, unicode.IsSpace)
		}
		x.out = append(x.out, text...)
		x.out = append(x.out, x.presentAction(start, inner)...)
		done, i = end, end
		if trimRight {
			for done < len(src) && isSpace(src[done]) {
				done++
			}
			i = done
		}
	}
	x.out = append(x.out, src[done:]...)
}

// maxAction bounds the length of one action ({{raw `...`}} may hold a
// long piece of HTML), so that text full of unclosed ones takes linear
// time.
const maxAction = 64 << 10

// actionEnd finds the end of the action whose text starts at i (just
// past "{{"): the index after its "}}", skipping quoted strings, which
// may hold "}}".
func actionEnd(src []byte, i int) (int, bool) {
	src = src[:min(len(src), i+maxAction)]
	for i < len(src) {
		switch c := src[i]; c {
		case '"', '\'':
			i++
			for i < len(src) && src[i] != c && src[i] != '\n' {
				if src[i] == '\\' {
					i++
				}
				i++
			}
			i++
		case '`':
			k := bytes.IndexByte(src[i+1:], '`')
			if k < 0 {
				return 0, false
			}
			i += k + 2
		case '}':
			if i+1 < len(src) && src[i+1] == '}' {
				return i + 2, true
			}
			i++
		case '{':
			if i+1 < len(src) && src[i+1] == '{' {
				return 0, false // a new action before this one closed
			}
			i++
		default:
			if strings.HasPrefix(string(src[i:min(i+2, len(src))]), "/*") {
				k := bytes.Index(src[i+2:], []byte("*/"))
				if k < 0 {
					return 0, false
				}
				i += k + 4
				continue
			}
			i++
		}
	}
	return 0, false
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// clip shortens a directive's text for a message.
func clip(b []byte) string {
	s := string(b)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return s
}

// presentAction is what one action's text (without its braces) becomes.
func (x *expander) presentAction(off int, inner string) string {
	if len(inner) >= 4 && strings.HasPrefix(inner, "/*") && strings.HasSuffix(inner, "*/") {
		return "" // a comment
	}
	args, err := splitArgs(inner)
	if err != nil || len(args) == 0 {
		x.report(off, "action\x00"+inner, "template action {{%s}} removed: %v", inner, errOr(err, "empty"))
		return ""
	}
	name := args[0].text
	args = args[1:]
	switch name {
	case "raw":
		if len(args) == 1 && args[0].quoted {
			return args[0].text
		}
	case "image":
		if len(args) >= 1 && args[0].quoted {
			img := `<img src="` + html.EscapeString(args[0].text) + `" alt=""`
			if len(args) >= 2 {
				if w, err := strconv.Atoi(args[1].text); err == nil && w > 0 {
					img += ` width="` + strconv.Itoa(w) + `"`
				}
			}
			if len(args) >= 3 {
				if h, err := strconv.Atoi(args[2].text); err == nil && h > 0 {
					img += ` height="` + strconv.Itoa(h) + `"`
				}
			}
			return img + ">"
		}
	case "video":
		if len(args) >= 1 && args[0].quoted {
			u := videoPage(args[0].text)
			return anchor(u, "")
		}
	case "code", "play":
		if len(args) >= 1 && args[0].quoted {
			return x.presentCode(off, name, args[0].text, args[1:])
		}
	}
	x.report(off, "action\x00"+name, "template action {{%s}} removed: not a directive syndicate knows (raw, image, video, code, play)", clip([]byte(inner)))
	return ""
}

func errOr(err error, s string) string {
	if err != nil {
		return err.Error()
	}
	return s
}

// presentCode is a code or play action: the lines of file between the
// addresses, without those ending in OMIT, as a code block.
func (x *expander) presentCode(off int, name, file string, args []arg) string {
	if x.env.File == nil {
		x.report(off, "file\x00"+file, "{{%s %q}}: no files to read", name, file)
		return ""
	}
	data, err := x.env.File(file)
	if err != nil {
		x.report(off, "file\x00"+file, "{{%s %q}} removed: %v", name, file, err)
		return ""
	}
	var addrs []string
	for _, a := range args {
		if strings.HasPrefix(a.text, "HL") && !a.quoted {
			continue // present's highlight marker name
		}
		addrs = append(addrs, a.text)
	}
	lines, err := selectLines(string(data), addrs)
	if err != nil {
		x.report(off, "addr\x00"+file+"\x00"+strings.Join(addrs, " "), "{{%s %q %s}} removed: %v", name, file, strings.Join(addrs, " "), err)
		return ""
	}
	var b strings.Builder
	for _, l := range lines {
		if strings.HasSuffix(l, "OMIT") {
			continue
		}
		if m := hlComment.FindStringSubmatchIndex(l); m != nil {
			l = l[:m[2]]
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return codeBlock(b.String())
}

// hlComment is present's highlight marker, "// HLname" at a line's end,
// which it removes from the code shown.
var hlComment = regexp.MustCompile(`\S(\s*// HL[a-zA-Z0-9_]*\s*)$`)

// selectLines picks the lines the addresses name, as present does: none
// means the whole file; one is a range of its own (such as "/a/,/b/");
// two are a start and an end, the end searched from the start line on.
// An address is a line number, "$" (the last line) or "/regexp/",
// optionally followed by "+N", "-N" or "+/regexp/" steps.
func selectLines(text string, addrs []string) ([]string, error) {
	lines := strings.SplitAfter(text, "\n")
	if n := len(lines); n > 0 && lines[n-1] == "" {
		lines = lines[:n-1]
	}
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, "\r\n")
	}
	var lo, hi string
	switch len(addrs) {
	case 0:
		return lines, nil
	case 1:
		var ok bool
		lo, hi, ok = splitRange(addrs[0])
		if !ok {
			hi = lo
		}
	case 2:
		lo, hi = addrs[0], addrs[1]
	default:
		return nil, fmt.Errorf("%d addresses (at most 2)", len(addrs))
	}
	start, err := address(lines, lo, 0)
	if err != nil {
		return nil, err
	}
	end, err := address(lines, hi, start)
	if err != nil {
		return nil, err
	}
	if end < start {
		return nil, fmt.Errorf("address %q comes before %q", hi, lo)
	}
	return lines[start : end+1], nil
}

// splitRange splits "a,b" at its comma outside regexps.
func splitRange(s string) (string, string, bool) {
	in := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '/':
			in = !in
		case ',':
			if !in {
				return s[:i], s[i+1:], true
			}
		}
	}
	return s, "", false
}

// address is the 0-based line an address names, regexps searched from
// line from on (wrapping around, as sam does).
func address(lines []string, a string, from int) (int, error) {
	a = strings.TrimSpace(a)
	if a == "" {
		return 0, fmt.Errorf("empty address")
	}
	cur := from
	first := true
	for a != "" {
		sign := 0
		switch a[0] {
		case '+':
			sign, a = 1, a[1:]
		case '-':
			sign, a = -1, a[1:]
		default:
			if !first {
				return 0, fmt.Errorf("bad address near %q", a)
			}
		}
		first = false
		switch {
		case a == "" || a[0] == '+' || a[0] == '-':
			if sign == 0 {
				return 0, fmt.Errorf("bad address")
			}
			cur += sign
		case a[0] == '$':
			cur, a = len(lines)-1, a[1:]
		case a[0] >= '0' && a[0] <= '9':
			k := 0
			for k < len(a) && a[k] >= '0' && a[k] <= '9' {
				k++
			}
			n, _ := strconv.Atoi(a[:k])
			a = a[k:]
			switch sign {
			case 0:
				cur = n - 1
			default:
				cur += sign * n
			}
		case a[0] == '/':
			k := 1
			for k < len(a) && a[k] != '/' {
				if a[k] == '\\' {
					k++
				}
				k++
			}
			if k >= len(a) {
				return 0, fmt.Errorf("unclosed regexp in address %q", a)
			}
			re, err := regexp.Compile(a[1:k])
			if err != nil {
				return 0, fmt.Errorf("address: %w", err)
			}
			a = a[k+1:]
			found := -1
			if sign < 0 {
				for n := 1; n <= len(lines); n++ {
					if i := ((cur-n)%len(lines) + len(lines)) % len(lines); re.MatchString(lines[i]) {
						found = i
						break
					}
				}
			} else {
				begin := cur
				if sign > 0 {
					begin = cur + 1
				}
				for n := 0; n < len(lines); n++ {
					if i := (begin + n) % len(lines); re.MatchString(lines[i]) {
						found = i
						break
					}
				}
			}
			if found < 0 {
				return 0, fmt.Errorf("no line matches /%s/", re)
			}
			cur = found
		default:
			return 0, fmt.Errorf("bad address %q", a)
		}
		if cur < 0 || cur >= len(lines) {
			return 0, fmt.Errorf("address out of the file's %d lines", len(lines))
		}
	}
	return cur, nil
}

// videoPage turns a video's embed URL into the page a reader can open.
func videoPage(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	switch strings.TrimPrefix(p.Host, "www.") {
	case "youtube.com", "youtube-nocookie.com":
		if id, ok := strings.CutPrefix(p.Path, "/embed/"); ok && id != "" {
			return "https://www.youtube.com/watch?v=" + url.QueryEscape(path.Base(id))
		}
	case "player.vimeo.com":
		if id, ok := strings.CutPrefix(p.Path, "/video/"); ok && id != "" {
			return "https://vimeo.com/" + url.PathEscape(id)
		}
	}
	return u
}

// arg is one argument of a directive: a quoted string (unquoted), or a
// bare word; named is set for key=value arguments.
type arg struct {
	name   string
	text   string
	quoted bool
}

// splitArgs splits a directive's text into arguments: Go-quoted strings,
// raw `strings`, 'quoted' strings, key=value pairs and bare words.
func splitArgs(s string) ([]arg, error) {
	var out []arg
	for {
		s = strings.TrimLeft(s, " \t\r\n")
		if s == "" {
			return out, nil
		}
		var a arg
		// key=value
		if k := strings.IndexAny(s, "= \t\r\n\"`'"); k > 0 && s[k] == '=' && isName(s[:k]) {
			a.name, s = s[:k], s[k+1:]
		}
		var err error
		a.text, a.quoted, s, err = word(s)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
}

// word reads one argument off s.
func word(s string) (text string, quoted bool, rest string, err error) {
	if s == "" {
		return "", false, "", nil
	}
	switch q := s[0]; q {
	case '"':
		k := 1
		for k < len(s) && s[k] != '"' {
			if s[k] == '\\' {
				k++
			}
			k++
		}
		if k >= len(s) {
			return "", false, "", fmt.Errorf("unclosed string")
		}
		t, err := strconv.Unquote(s[:k+1])
		if err != nil {
			t = s[1:k] // not Go's quoting (Hugo and Liquid do not unescape): take it as written
		}
		return t, true, s[k+1:], nil
	case '`', '\'':
		k := strings.IndexByte(s[1:], q)
		if k < 0 {
			return "", false, "", fmt.Errorf("unclosed string")
		}
		return s[1 : k+1], true, s[k+2:], nil
	}
	k := strings.IndexAny(s, " \t\r\n")
	if k < 0 {
		k = len(s)
	}
	return s[:k], false, s[k:], nil
}

func isName(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '-' && r != '.' {
			return false
		}
	}
	return s != ""
}
