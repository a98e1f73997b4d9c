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

// selectLines picks the lines the addresses name, as present's .code
// does (sam's address syntax over the file's bytes): none means the whole
// file; two are a start and an end, the end evaluated from where the
// start's match ends ("a" and "b" are the range "a,b"). An address is a
// line number, "$" (the end of the file) or "/regexp/" (searched forward,
// wrapping around; ^ and $ match at line breaks), each optionally
// followed by "+N" or "-N" lines ("+" alone is "+1"). The selection is
// widened to whole lines. Lines ending in OMIT and leading and trailing
// blank lines are the caller's to drop.
func selectLines(text string, addrs []string) ([]string, error) {
	data := []byte(text)
	lo, hi := 0, len(data)
	switch len(addrs) {
	case 0:
	case 1, 2:
		var err error
		if lo, hi, err = evalAddr(data, strings.Join(addrs, ","), 0); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%d addresses (at most 2)", len(addrs))
	}
	if lo > hi {
		lo, hi = hi, lo // a search that wrapped around
	}
	for lo > 0 && data[lo-1] != '\n' {
		lo--
	}
	if hi > 0 {
		for hi < len(data) && data[hi-1] != '\n' {
			hi++
		}
	}
	sel := strings.TrimSuffix(string(data[lo:hi]), "\n")
	if sel == "" {
		return nil, nil
	}
	lines := strings.Split(sel, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines, nil
}

// evalAddr evaluates a sam address from offset at: the byte range it
// selects.
func evalAddr(data []byte, addr string, at int) (lo, hi int, err error) {
	lo, hi = at, at
	var dir byte // a pending '+' or '-'
	for addr != "" {
		c := addr[0]
		switch {
		case c == ',':
			if addr == "," {
				return lo, len(data), nil
			}
			_, end, err := evalAddr(data, addr[1:], hi)
			return lo, end, err
		case c == '+' || c == '-':
			if dir != 0 {
				if lo, hi, err = lineAddr(data, lo, hi, dir, 1); err != nil {
					return 0, 0, err
				}
			}
			dir, addr = c, addr[1:]
		case c == '$':
			lo, hi, addr = len(data), len(data), addr[1:]
			if addr != "" {
				dir = '+'
			}
		case c >= '0' && c <= '9':
			k := 1
			for k < len(addr) && addr[k] >= '0' && addr[k] <= '9' {
				k++
			}
			n, err := strconv.Atoi(addr[:k])
			if err != nil {
				return 0, 0, err
			}
			if lo, hi, err = lineAddr(data, lo, hi, dir, n); err != nil {
				return 0, 0, err
			}
			dir, addr = 0, addr[k:]
		case c == '/':
			k := closer(addr, '/')
			pattern := addr[1:min(k, len(addr))]
			addr = addr[min(k+1, len(addr)):]
			if dir == '-' {
				return 0, 0, fmt.Errorf("backward search -/%s/ is not supported", pattern)
			}
			re, err := regexp.Compile("(?m:" + pattern + ")")
			if err != nil {
				return 0, 0, fmt.Errorf("address: %w", err)
			}
			m := re.FindIndex(data[hi:])
			if m != nil {
				m[0], m[1] = m[0]+hi, m[1]+hi
			} else if hi > 0 {
				m = re.FindIndex(data) // wrap around
			}
			if m == nil {
				return 0, 0, fmt.Errorf("no line matches /%s/", pattern)
			}
			lo, hi, dir = m[0], m[1], 0
		default:
			return 0, 0, fmt.Errorf("bad address near %q", addr)
		}
	}
	if dir != 0 {
		return lineAddr(data, lo, hi, dir, 1)
	}
	return lo, hi, nil
}

// lineAddr selects line n: of the file (dir 0), after the line hi ends
// (dir '+'), or before the line lo starts (dir '-'), counting lines as
// present does. Line 0 is the empty selection at that line's start.
func lineAddr(data []byte, lo, hi int, dir byte, n int) (int, int, error) {
	switch dir {
	case 0, '+':
		if dir == 0 {
			hi = 0
		} else if hi > 0 {
			for hi < len(data) && data[hi-1] != '\n' {
				hi++
			}
		}
		lo = hi
		for ; n > 0; n-- {
			if hi >= len(data) {
				return 0, 0, fmt.Errorf("address: line out of range")
			}
			lo = hi
			if nl := bytes.IndexByte(data[hi:], '\n'); nl >= 0 {
				hi += nl + 1
			} else {
				hi = len(data)
			}
		}
		return lo, hi, nil
	default: // '-': as present counts, "-1" is the empty selection at
		// the start of lo's line, "-2" the line before it.
		for lo > 0 && data[lo-1] != '\n' {
			lo--
		}
		hi = lo
		for n--; n > 0; n-- {
			if lo == 0 {
				return 0, 0, fmt.Errorf("address: line out of range")
			}
			hi = lo
			lo = bytes.LastIndexByte(data[:lo-1], '\n') + 1
		}
		return lo, hi, nil
	}
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

// closer is the index of the byte q that closes what s's first byte
// opens, a backslash escaping the byte after it; len(s) or more when no
// q does.
func closer(s string, q byte) int {
	k := 1
	for k < len(s) && s[k] != q {
		if s[k] == '\\' {
			k++
		}
		k++
	}
	return k
}

// word reads one argument off s.
func word(s string) (text string, quoted bool, rest string, err error) {
	if s == "" {
		return "", false, "", nil
	}
	switch q := s[0]; q {
	case '"':
		k := closer(s, '"')
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
