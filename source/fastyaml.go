package source

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// fastYAML decodes the flat front matter most exports write (easyPress,
// Hugo, Jekyll: "key: scalar" lines and lists of scalars) without building
// a yaml.v3 node tree, which costs about ten times as much. It returns
// ok=false for anything outside that subset (nested maps, block scalars,
// anchors, multi-line or escaped strings, numbers other than plain
// integers, duplicate keys, ...), and the caller falls back to yaml.v3, so
// the result is always what yamlToMap would give.
func fastYAML(data []byte) (map[string]any, bool) {
	if !yamlPrintable(data) {
		return nil, false // yaml.v3 reports these characters
	}
	m := make(map[string]any, 24)
	var listKey string // key whose value is a block list being read
	var list []any
	listIndent := -1 // indentation of the list's items
	flush := func() {
		if listKey != "" {
			if list == nil {
				m[listKey] = nil // "key:" with nothing after it is null
			} else {
				m[listKey] = list
			}
			listKey, list, listIndent = "", nil, -1
		}
	}
	for len(data) > 0 {
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		if bytes.IndexByte(line, '\t') >= 0 {
			return nil, false
		}
		trimmed := trimASCII(line)
		if len(trimmed) == 0 || trimmed[0] == '#' {
			continue
		}
		if trimmed[0] == '-' {
			// A list item: only directly under a "key:" line.
			if listKey == "" || len(trimmed) < 2 || trimmed[1] != ' ' {
				return nil, false
			}
			indent := len(line) - len(bytes.TrimLeft(line, " "))
			if listIndent < 0 {
				listIndent = indent
			} else if indent != listIndent {
				return nil, false
			}
			v, ok := scalar(trimASCII(trimmed[2:]))
			if !ok {
				return nil, false
			}
			list = append(list, v)
			continue
		}
		if line[0] == ' ' {
			return nil, false // nested mapping or continuation line
		}
		flush()
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return nil, false
		}
		key := line[:colon]
		if !plainKey(key) {
			return nil, false
		}
		rest := line[colon+1:]
		if len(rest) > 0 && rest[0] != ' ' {
			return nil, false // "a:b" is a plain scalar key, not a pair
		}
		k := string(key)
		if _, dup := m[k]; dup {
			return nil, false
		}
		rest = trimASCII(rest)
		if len(rest) == 0 || rest[0] == '#' {
			listKey = k
			m[k] = nil // placeholder so duplicates are caught
			continue
		}
		if rest[0] == '[' {
			v, ok := flowList(rest)
			if !ok {
				return nil, false
			}
			m[k] = v
			continue
		}
		v, ok := scalar(rest)
		if !ok {
			return nil, false
		}
		m[k] = v
	}
	flush()
	if len(m) == 0 {
		return nil, false // only comments: yaml.v3 says what that is
	}
	return m, true
}

// trimASCII trims the white space YAML knows (space, tab, CR); Unicode
// spaces such as U+2000 are content to YAML, so they are not trimmed.
func trimASCII(b []byte) []byte {
	return bytes.Trim(b, " \t\r")
}

func plainKey(k []byte) bool {
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return k[0] != '-'
}

// flowList reads ["a", b, 'c'] with scalar items only.
func flowList(s []byte) ([]any, bool) {
	if s[len(s)-1] != ']' {
		return nil, false
	}
	inner := trimASCII(s[1 : len(s)-1])
	out := []any{}
	for len(inner) > 0 {
		var item []byte
		switch inner[0] {
		case '"', '\'':
			end := closingQuote(inner)
			if end < 0 {
				return nil, false
			}
			item, inner = inner[:end+1], trimASCII(inner[end+1:])
		default:
			i := bytes.IndexByte(inner, ',')
			if i < 0 {
				item, inner = trimASCII(inner), nil
			} else {
				item, inner = trimASCII(inner[:i]), inner[i:]
			}
			if bytes.ContainsAny(item, "[]{}") {
				return nil, false
			}
		}
		if len(item) == 0 {
			return nil, false
		}
		v, ok := scalar(item)
		if !ok {
			return nil, false
		}
		out = append(out, v)
		if len(inner) > 0 {
			if inner[0] != ',' {
				return nil, false
			}
			inner = trimASCII(inner[1:])
			if len(inner) == 0 {
				return nil, false // trailing comma: leave it to yaml.v3
			}
		}
	}
	return out, true
}

// closingQuote finds the quote that ends the quoted string s starts with.
func closingQuote(s []byte) int {
	q := s[0]
	for i := 1; i < len(s); i++ {
		switch {
		case q == '"' && s[i] == '\\':
			i++
		case s[i] == q:
			if q == '\'' && i+1 < len(s) && s[i+1] == '\'' {
				i++ // '' inside single quotes
				continue
			}
			return i
		}
	}
	return -1
}

var (
	timestampLike = regexp.MustCompile(`^\d{4}-\d{1,2}-\d{1,2}([Tt ]|$)`)
	decimalInt    = regexp.MustCompile(`^(0|[1-9][0-9]{0,17})$`)
)

// scalar reads one value: a quoted string, or a plain scalar resolved the
// way yaml.v3 resolves it into an interface (null, bool, int, string;
// timestamps stay text).
func scalar(s []byte) (any, bool) {
	if len(s) == 0 {
		return nil, true
	}
	switch s[0] {
	case '"':
		end := closingQuote(s)
		if end < 0 || !onlyComment(s[end+1:]) {
			return nil, false
		}
		return unquoteDouble(s[1:end])
	case '\'':
		end := closingQuote(s)
		if end < 0 || !onlyComment(s[end+1:]) {
			return nil, false
		}
		return strings.ReplaceAll(string(s[1:end]), "''", "'"), true
	case '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '%', '@', '`', ',', '?', ':', '-', '+', '.', '~':
		if len(s) == 1 && s[0] == '~' {
			return nil, true
		}
		return nil, false
	}
	if bytes.Contains(s, []byte(": ")) || bytes.Contains(s, []byte(" #")) || s[len(s)-1] == ':' {
		return nil, false
	}
	str := string(s)
	switch str {
	case "null", "Null", "NULL":
		return nil, true
	case "true", "True", "TRUE":
		return true, true
	case "false", "False", "FALSE":
		return false, true
	case "<<":
		return nil, false
	}
	if s[0] >= '0' && s[0] <= '9' {
		if timestampLike.Match(s) {
			return str, true
		}
		if decimalInt.Match(s) {
			n, err := strconv.Atoi(str)
			return n, err == nil
		}
		return nil, false // floats, octal, hex, versions: yaml.v3 decides
	}
	return str, true
}

func onlyComment(rest []byte) bool {
	rest = trimASCII(rest)
	return len(rest) == 0 || rest[0] == '#'
}

// unquoteDouble handles the escapes JSON also has; any other escape makes
// the caller fall back to yaml.v3.
func unquoteDouble(s []byte) (any, bool) {
	if bytes.IndexByte(s, '\\') < 0 {
		return string(s), true
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(s) {
			return nil, false
		}
		switch s[i] {
		case '"', '\\', '/':
			b.WriteByte(s[i])
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'u':
			if i+4 >= len(s) {
				return nil, false
			}
			n, err := strconv.ParseUint(string(s[i+1:i+5]), 16, 32)
			if err != nil || n >= 0xd800 && n < 0xe000 || n < 0x20 {
				return nil, false
			}
			b.WriteRune(rune(n))
			i += 4
		default:
			return nil, false
		}
	}
	out := b.String()
	if !utf8.ValidString(out) {
		return nil, false
	}
	return out, true
}

// yamlPrintable reports whether valid UTF-8 text holds only characters
// YAML allows (its c-printable set): no DEL, no C1 controls but NEL, no
// U+FFFE/U+FFFF, no byte order mark inside.
func yamlPrintable(data []byte) bool {
	for i := 0; i < len(data); i++ {
		switch c := data[i]; {
		case c == 0x7f:
			return false
		case c == 0xc2 && i+1 < len(data) && data[i+1] >= 0x80 && data[i+1] <= 0x9f && data[i+1] != 0x85:
			return false
		case c == 0xef && i+2 < len(data) && (data[i+1] == 0xbf && data[i+2] >= 0xbe || data[i+1] == 0xbb && data[i+2] == 0xbf):
			return false
		case c < 0x20 && c != '\n' && c != '\t' && c != '\r':
			return false
		}
	}
	return true
}
