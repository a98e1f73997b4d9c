package feedgen

import (
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Items and entries are most of every document's bytes and were most of a
// build's time when encoded by reflection: the append-style encoders here
// write the very bytes encoding/xml (MarshalIndent, with the indentation
// the items get in their documents) and encoding/json (without HTML
// escaping) write for the same wire structs, items and document heads.
// The reflection encoders stay the reference: each wire struct's
// marshalRef is what its appendFast must equal, TestFastEncoding,
// TestFastHeads and FuzzFastEncoding compare them, and a struct using a
// field the fast encoder does not write falls back to marshalRef.

// wire is a wire struct (an item or a document head) that encodes
// itself; appendWire encodes one.
type wire interface {
	// appendFast appends the encoding the fast way; only called when
	// fast says it writes every field set.
	appendFast(dst []byte) ([]byte, error)
	// marshalRef is the reference encoding, which appendFast equals.
	marshalRef() ([]byte, error)
	// fast reports whether appendFast writes every field set.
	fast() bool
}

// appendWire appends w's encoding: appendFast's when it writes every
// field w sets, else the reference's.
func appendWire(dst []byte, w wire) ([]byte, error) {
	if !w.fast() {
		b, err := w.marshalRef()
		return append(dst, b...), err
	}
	return w.appendFast(dst)
}

// xmlEscapes is what encoding/xml writes for each ASCII byte it escapes
// ("" for the others); other C0 controls become U+FFFD, as any character
// outside XML's character range does.
var xmlEscapes = func() (t [utf8.RuneSelf]string) {
	for c := range 0x20 {
		t[c] = "\uFFFD"
	}
	t['"'], t['\''], t['&'], t['<'], t['>'] = "&#34;", "&#39;", "&amp;", "&lt;", "&gt;"
	t['\t'], t['\n'], t['\r'] = "&#x9;", "&#xA;", "&#xD;"
	return t
}()

// xmlPlain marks the bytes appendXMLText copies without a second look:
// ASCII that encoding/xml does not escape.
var xmlPlain = func() (t [256]bool) {
	for c := range utf8.RuneSelf {
		t[c] = xmlEscapes[c] == ""
	}
	return t
}()

// appendXMLText appends s escaped as encoding/xml escapes character data
// and attribute values.
func appendXMLText(dst []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if xmlPlain[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			dst = append(dst, s[last:i]...)
			dst = append(dst, xmlEscapes[c]...)
			i++
			last = i
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || r == 0xFFFE || r == 0xFFFF {
			dst = append(dst, s[last:i]...)
			dst = append(dst, "\uFFFD"...)
			last = i + n
		}
		i += n
	}
	return append(dst, s[last:]...)
}

// appendCDATA appends s as encoding/xml writes a ",cdata" field: nothing
// when empty, else one CDATA section, split wherever s holds "]]>".
func appendCDATA(dst []byte, s string) []byte {
	if s == "" {
		return dst
	}
	dst = append(dst, "<![CDATA["...)
	for {
		before, after, ok := strings.Cut(s, "]]>")
		if !ok {
			break
		}
		dst = append(dst, before...)
		dst = append(dst, "]]]]><![CDATA[>"...)
		s = after
	}
	dst = append(dst, s...)
	return append(dst, "]]>"...)
}

// xmlElem appends an element holding text, at the indentation nl (a
// newline and spaces).
func xmlElem(dst []byte, nl, name, text string) []byte {
	return xmlClose(appendXMLText(xmlOpen(dst, nl, name), text), name)
}

// xmlOpen appends a start tag at the indentation nl.
func xmlOpen(dst []byte, nl, name string) []byte {
	dst = append(dst, nl...)
	dst = append(dst, '<')
	dst = append(dst, name...)
	return append(dst, '>')
}

// xmlClose appends an end tag.
func xmlClose(dst []byte, name string) []byte {
	dst = append(dst, "</"...)
	dst = append(dst, name...)
	return append(dst, '>')
}

// xmlAttr appends ` name="value"`.
func xmlAttr(dst []byte, name, value string) []byte {
	dst = append(dst, ' ')
	dst = append(dst, name...)
	dst = append(dst, `="`...)
	dst = appendXMLText(dst, value)
	return append(dst, '"')
}

// jsonSafe marks the ASCII bytes encoding/json copies as they are when
// not escaping HTML.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// appendJSONString appends s quoted as encoding/json quotes strings with
// HTML escaping off: short escapes where JSON has them, \u00XX for other
// controls, U+FFFD for invalid UTF-8, and U+2028 and U+2029 escaped.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			dst = append(dst, s[last:i]...)
			switch c {
			case '\\', '"':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			last = i
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			dst = append(dst, s[last:i]...)
			dst = append(dst, `\ufffd`...)
			last = i + n
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[last:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			last = i + n
		}
		i += n
	}
	dst = append(dst, s[last:]...)
	return append(dst, '"')
}

// jsonField appends `,"name":` (without the comma for the first field).
// jsonString is a JSON member whose value is a string.
type jsonString struct{ name, value string }

// appendJSONOptional appends the members whose value is not empty, in
// order, as encoding/json's omitempty leaves them.
func appendJSONOptional(dst []byte, members ...jsonString) []byte {
	for _, m := range members {
		if m.value != "" {
			dst = jsonField(dst, m.name)
			dst = appendJSONString(dst, m.value)
		}
	}
	return dst
}

func jsonField(dst []byte, name string) []byte {
	if dst[len(dst)-1] != '{' {
		dst = append(dst, ',')
	}
	dst = append(dst, '"')
	dst = append(dst, name...)
	return append(dst, `":`...)
}

// appendJSONTime appends t as time.Time's MarshalJSON does; ok is false
// for an instant it refuses (a year outside 0-9999, an offset of 24 hours
// or more), whose error only the reference reports.
func appendJSONTime(dst []byte, t time.Time) (_ []byte, ok bool) {
	n0 := len(dst) + 1
	dst = append(dst, '"')
	dst = t.AppendFormat(dst, time.RFC3339Nano)
	b := dst[n0:]
	if len(b) < len("2006-01-02T15:04:05Z") || b[4] != '-' {
		return dst, false
	}
	if b[len(b)-1] != 'Z' {
		c := b[len(b)-len("Z07:00")]
		h := b[len(b)-len("07:00"):]
		if '0' <= c && c <= '9' || 10*(h[0]-'0')+(h[1]-'0') >= 24 {
			return dst, false
		}
	}
	return append(dst, '"'), true
}

// encBufs holds scratch buffers items are encoded into before being
// copied out at their exact size: items are kept until every document
// listing them is written, and a generous capacity would be kept too.
var encBufs = sync.Pool{New: func() any { return new([]byte) }}

// encodeExact encodes w (appendWire) on a scratch buffer and returns a
// copy of what it appended.
func encodeExact(w wire) ([]byte, error) {
	buf := encBufs.Get().(*[]byte)
	defer encBufs.Put(buf)
	b, err := appendWire((*buf)[:0], w)
	if err != nil {
		return nil, err
	}
	*buf = b
	return append(make([]byte, 0, len(b)), b...), nil
}
