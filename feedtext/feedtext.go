// Package feedtext decides which characters may reach a feed document.
//
// Every string syndicate writes into RSS, Atom or JSON Feed passes through
// Plain (titles, names, tags, summaries as text) or HTML (content and
// summaries as HTML) on its way out of source and into feedgen, so both
// packages follow one set of rules:
//
//   - XML 1.0 forbids most C0 controls, surrogates, U+FFFE and U+FFFF even as
//     character references; they are dropped.
//   - DEL and the C1 controls (U+007F-U+009F) are allowed by XML but are
//     never text: they come from Windows-1252 decoded as Latin-1. The W3C
//     Feed Validation Service flags them in plain text (BadCharacters) and
//     a strict HTML5 parser rejects them, raw or as references, in HTML
//     (NotHtml). Each is mapped to the character the HTML standard's
//     numeric-reference table gives it (U+0085 becomes "…", U+0092 "’"),
//     or dropped where that table keeps the control (U+0081, U+008D,
//     U+008F, U+0090, U+009D).
//   - Noncharacters (U+FDD0-U+FDEF and the last two code points of every
//     plane) are dropped: HTML5 parsers reject them.
//   - U+FFFD and invalid UTF-8 are dropped from plain text (the validator
//     flags U+FFFD as a sign of a botched conversion) and written as the
//     reference "&#xFFFD;" in HTML, which parsers accept.
package feedtext

import (
	"fmt"
	"html"
	"strings"
	"unicode/utf8"
)

// c1 maps U+0080-U+009F to the character the HTML standard's numeric
// character reference table replaces it with, or -1 where the table keeps
// the control. html.UnescapeString implements that table, so it is the
// source rather than a copy of it.
var c1 = func() (t [0x20]rune) {
	for i := range t {
		r, _ := utf8.DecodeRuneInString(html.UnescapeString(fmt.Sprintf("&#x%X;", 0x80+i)))
		if r >= 0x80 && r <= 0x9F {
			r = -1
		}
		t[i] = r
	}
	return t
}()

// Rune is Plain's rule for one character, in the form strings.Map takes:
// the character to write, or -1 to drop it. utf8.RuneError, which is what
// decoding invalid UTF-8 gives, is dropped.
func Rune(r rune) rune {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return r
	case r < 0x20 || r == 0x7F:
		return -1
	case r < 0x7F:
		return r
	case r <= 0x9F:
		return c1[r-0x80]
	case r == utf8.RuneError, noncharacter(r), r >= 0xD800 && r <= 0xDFFF, r > utf8.MaxRune:
		return -1
	}
	return r
}

// noncharacter reports the 66 code points Unicode reserves as
// noncharacters.
func noncharacter(r rune) bool {
	return r >= 0xFDD0 && r <= 0xFDEF || r&0xFFFE == 0xFFFE && r <= utf8.MaxRune
}

// Plain makes plain text safe for every format (see the package comment).
// It returns s itself when nothing needs changing, which is nearly always.
func Plain(s string) string {
	if clean(s) {
		return s
	}
	return strings.Map(Rune, s)
}

// HTML makes the characters of an HTML fragment safe for every format and
// for strict HTML5 parsers: as Plain, except that U+FFFD and invalid UTF-8
// become "&#xFFFD;". It changes characters only; markup is the caller's
// (references to C1 controls written in the markup are the HTML parser's
// to map, as it does when the fragment is parsed and written back).
func HTML(s string) string {
	if clean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		if r == utf8.RuneError {
			b.WriteString("&#xFFFD;")
			continue
		}
		if r = Rune(r); r >= 0 {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// clean is the fast path of Plain and HTML: true when neither would
// change s. In valid UTF-8 the characters
// to find have fixed encodings: ASCII controls, C1 controls (0xC2
// 0x80-0x9F), U+FDD0-U+FDEF (0xEF 0xB7 0x90-0xAF), U+FFFD-U+FFFF (0xEF 0xBF
// 0xBD-0xBF) and the supplementary planes' noncharacters (a four-byte
// sequence ending in 0xBF 0xBE or 0xBF 0xBF), so a byte scan finds them
// without decoding, eight ASCII bytes at a time.
func clean(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for i := 0; i < len(s); {
		if i+8 <= len(s) {
			v := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
				uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
			const ones, highs = 0x0101010101010101, 0x8080808080808080
			// A byte >= 0x80, or 0x7F (which +1 carries into bit 7), or
			// < 0x20 (which -0x20 borrows into bit 7).
			if (v|(v+ones)|(v-0x20*ones))&highs == 0 {
				i += 8
				continue
			}
		}
		c := s[i]
		switch {
		case c < 0x20:
			if c != '\t' && c != '\n' && c != '\r' {
				return false
			}
		case c == 0x7F:
			return false
		case c == 0xC2:
			if s[i+1] <= 0x9F {
				return false
			}
		case c == 0xEF:
			b1, b2 := s[i+1], s[i+2]
			if b1 == 0xB7 && b2 >= 0x90 && b2 <= 0xAF || b1 == 0xBF && b2 >= 0xBD {
				return false
			}
		case c >= 0xF0:
			if s[i+1]&0x0F == 0x0F && s[i+2] == 0xBF && s[i+3] >= 0xBE {
				return false
			}
		}
		i++
	}
	return true
}
