// Package stricthtml keeps the HTML that goes into feed items within what
// a strict HTML5 parser reads without a single parse error.
//
// The W3C Feed Validation Service parses every HTML content and summary
// element with html5lib in strict mode (a fragment inside a <div>) and
// warns "Invalid HTML [NotHtml]" on the first parse error; feedcheck's
// JSON Feed checker does the same with content_html. Sanitising alone
// does not prevent that: bluemonday keeps tags balanced only as the
// author wrote them, and WordPress exports hold "</p>" with no <p> open,
// an <a> inside an <a> and elements left open at the end of a post.
//
// Check decides, in one pass over the bytes, whether a fragment is in a
// form such a parser reads without error; Balance rewrites any fragment
// into one that passes Check.
package stricthtml

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/atom"
)

// Check reports why a strict HTML5 parser (html5lib, strict=True,
// parsing the fragment in a <div>, as the W3C Feed Validation Service
// does) might report a parse error on fragment, or nil when it cannot.
//
// It is deliberately stricter than the parser: it accepts only fragments
// in the canonical form x/net/html and bluemonday serialise (lower-case
// tags, attributes written name="value" after single spaces, text with
// '<' escaped), built from the elements in the elements table, every
// non-void element closed by its own end tag while it is the current
// node, and each start tag only where the HTML5 tree builder inserts it
// without closing or moving anything (no block inside <p>, no <a> inside
// <a>, no <li> implying the end of another, tables complete down to
// <tbody>...). Character references must name allowed characters and end
// in ';'; characters html5lib reports as invalid (C0 and C1 controls,
// noncharacters) and invalid UTF-8 are refused. Whatever it accepts,
// html5lib accepts: a test runs both over the fuzz corpus and the
// fixtures.
func Check(fragment string) error {
	if err := checkChars(fragment); err != nil {
		return err
	}
	var buf [64]open
	stack := buf[:0]
	var attrs [8]string
	for i := 0; i < len(fragment); {
		lt := strings.IndexByte(fragment[i:], '<')
		text := fragment[i:]
		if lt >= 0 {
			text = fragment[i : i+lt]
		}
		if len(text) > 0 {
			if err := checkText(text, top(stack)); err != nil {
				return fmt.Errorf("offset %d: %w", i, err)
			}
		}
		if lt < 0 {
			break
		}
		start := i + lt
		t, n, err := readTag(fragment[start:], attrs[:0])
		if err != nil {
			return fmt.Errorf("offset %d: %w", start, err)
		}
		i = start + n
		e, ok := kindOf(t.name)
		if !ok {
			return fmt.Errorf("offset %d: element %q not allowed", start, t.name.String())
		}
		if t.end {
			if e&void != 0 {
				return fmt.Errorf("offset %d: end tag of void element %q", start, t.name.String())
			}
			if len(stack) == 0 || stack[len(stack)-1].name != t.name {
				return fmt.Errorf("offset %d: end tag %q does not close the current element", start, t.name.String())
			}
			stack = stack[:len(stack)-1]
			continue
		}
		if t.selfClosing && e&void == 0 {
			return fmt.Errorf("offset %d: self-closing non-void element %q", start, t.name.String())
		}
		if err := startAllowed(top(stack), t.name, e); err != nil {
			return fmt.Errorf("offset %d: <%s> %w", start, t.name.String(), err)
		}
		if e&void == 0 {
			stack = append(stack, push(top(stack), t.name))
		}
	}
	if len(stack) > 0 {
		return fmt.Errorf("element %q not closed", stack[len(stack)-1].name.String())
	}
	return nil
}

// Element kinds (see kindOf): how the HTML5 tree builder treats a start tag "in body",
// and which contexts of a table an element belongs to.
const (
	void       = 1 << iota // no end tag, never on the stack
	closesP                // closes a <p> in button scope
	heading                // h1-h6: also closes a heading that is the current node
	listItem               // li, dd, dt: close an open item of their kind
	formatting             // kept in the list of active formatting elements
	marker                 // td, th, caption: a marker in that list; a scope boundary
	special                // stops the list-item walk (special in both html5lib and the standard)
	tablePart              // only inside a table's structure
	rubyText               // rp, rt: only as a child of <ruby>
)

// kindOf says whether Check accepts an element and of what kind it is.
// The elements are what the sanitiser's policy lets through, less <bdo>,
// which the W3C validator flags as a security risk (it is missing from
// its list of acceptable elements).
func kindOf(a atom.Atom) (kind int, ok bool) {
	switch a {
	case atom.A, atom.B, atom.Code, atom.Em, atom.I, atom.S, atom.Small, atom.Strike, atom.Strong,
		atom.Tt, atom.U:
		return formatting, true
	case atom.Abbr, atom.Acronym, atom.Bdi, atom.Cite, atom.Del, atom.Dfn, atom.Ins, atom.Map,
		atom.Mark, atom.Picture, atom.Q, atom.Ruby, atom.Samp, atom.Span, atom.Sub, atom.Sup, atom.Time,
		atom.Var:
		return 0, true
	case atom.Area, atom.Br, atom.Img, atom.Input, atom.Wbr:
		return void | special, true
	case atom.Article, atom.Aside, atom.Blockquote, atom.Details, atom.Dl, atom.Figure, atom.Ol,
		atom.Pre, atom.Section, atom.Table, atom.Ul:
		return closesP | special, true
	case atom.Caption, atom.Td, atom.Th:
		return tablePart | marker | special, true
	case atom.Col:
		return void | tablePart | special, true
	case atom.Colgroup, atom.Tbody, atom.Tfoot, atom.Thead, atom.Tr:
		return tablePart | special, true
	case atom.Dd, atom.Dt, atom.Li:
		return listItem | closesP | special, true
	case atom.Div, atom.Figcaption, atom.Hgroup, atom.P, atom.Summary:
		return closesP, true
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		return heading | closesP | special, true
	case atom.Hr:
		return void | closesP | special, true
	case atom.Rp, atom.Rt:
		return rubyText, true
	case atom.Source:
		return void, true
	}
	return 0, false
}

// tableChildren lists what each element of a table's structure may hold;
// anything else there (text included) would be moved out by the parser,
// with a parse error.
func tableChildren(parent, child atom.Atom) bool {
	switch parent {
	case atom.Table:
		return child == atom.Caption || child == atom.Colgroup || child == atom.Thead || child == atom.Tbody || child == atom.Tfoot
	case atom.Thead, atom.Tbody, atom.Tfoot:
		return child == atom.Tr
	case atom.Tr:
		return child == atom.Td || child == atom.Th
	case atom.Colgroup:
		return child == atom.Col
	}
	return false
}

// inTableStructure reports a current node whose children are table parts
// only.
func inTableStructure(current atom.Atom) bool {
	switch current {
	case atom.Table, atom.Thead, atom.Tbody, atom.Tfoot, atom.Tr, atom.Colgroup:
		return true
	}
	return false
}

// Reasons startAllowed gives; Balance repairs the tree by them.
var (
	errTable     = errors.New("out of place in a table")
	errTablePart = errors.New("outside its place in a table")
	errInP       = errors.New("would close an open <p>")
	errHeading   = errors.New("inside a heading")
	errListItem  = errors.New("would close an open list item")
	errNestedA   = errors.New("inside another <a>")
	errRuby      = errors.New("outside <ruby>")
)

// open is an element on the stack of open elements, with what the tree
// builder would find walking up the stack from it, so that no start tag
// needs a walk: whether a <p> is in button scope, an <a> open since the
// last marker, and an <li> (or a <dd> or <dt>) that a new item would
// close.
type open struct {
	name  atom.Atom
	flags uint8
}

const (
	pInScope = 1 << iota
	aOpen
	liOpen
	ddOpen
)

// root stands for the fragment's context, a <div>.
var root = open{name: atom.Div}

// top is the current node.
func top(stack []open) open {
	if len(stack) == 0 {
		return root
	}
	return stack[len(stack)-1]
}

// push is the entry for an element opened as a child of parent.
func push(parent open, name atom.Atom) open {
	k := kind(name)
	o := open{name: name}
	switch name {
	case atom.P:
		o.flags |= pInScope
	case atom.Table, atom.Td, atom.Th, atom.Caption: // button scope ends
	default:
		o.flags |= parent.flags & pInScope
	}
	if name == atom.A {
		o.flags |= aOpen
	} else if k&marker == 0 {
		o.flags |= parent.flags & aOpen
	}
	switch {
	case name == atom.Li:
		o.flags |= liOpen
	case name == atom.Dd || name == atom.Dt:
		o.flags |= ddOpen
	case k&special != 0 && name != atom.Div && name != atom.P:
		// The walk for a list item stops here.
	default:
		o.flags |= parent.flags & (liOpen | ddOpen)
	}
	return o
}

// startAllowed reports whether the tree builder inserts an element of
// kind e as a child of current without a parse error and without closing
// or moving anything.
func startAllowed(current open, name atom.Atom, e int) error {
	if inTableStructure(current.name) {
		if !tableChildren(current.name, name) {
			return errTable
		}
		return nil
	}
	switch {
	case e&tablePart != 0:
		return errTablePart
	case e&rubyText != 0 && current.name != atom.Ruby:
		return errRuby
	case e&closesP != 0 && current.flags&pInScope != 0:
		return errInP
	case e&heading != 0 && kind(current.name)&heading != 0:
		return errHeading
	case name == atom.Li && current.flags&liOpen != 0,
		(name == atom.Dd || name == atom.Dt) && current.flags&ddOpen != 0:
		return errListItem
	case name == atom.A && current.flags&aOpen != 0:
		return errNestedA
	}
	return nil
}

// checkText checks text between tags: character references, and only
// white space where a table's structure allows no text.
func checkText(text string, current open) error {
	if inTableStructure(current.name) {
		for i := 0; i < len(text); i++ {
			switch text[i] {
			case ' ', '\t', '\n', '\r', '\f':
			default:
				return errors.New("text out of place in a table")
			}
		}
		return nil
	}
	return checkRefs(text)
}

// checkRefs checks that every '&' starts a character reference the
// parser reads without error and that names an allowed character.
func checkRefs(s string) error {
	for {
		i := strings.IndexByte(s, '&')
		if i < 0 {
			return nil
		}
		n, err := refLen(s[i:])
		if err != nil {
			return err
		}
		s = s[i+n:]
	}
}

// named are the named references Check accepts: the ones serialisers
// write, all ending in ';'.
var named = []string{"amp;", "lt;", "gt;", "quot;", "apos;", "nbsp;"}

// refLen is the length of the reference at the start of s (which starts
// with '&').
func refLen(s string) (int, error) {
	if len(s) > 1 && s[1] == '#' {
		i, base := 2, 10
		if len(s) > 2 && (s[2] == 'x' || s[2] == 'X') {
			i, base = 3, 16
		}
		start, v := i, 0
		for ; i < len(s) && i-start < 8; i++ {
			d := digit(s[i], base)
			if d < 0 {
				break
			}
			v = v*base + d
		}
		if i == start || i >= len(s) || s[i] != ';' {
			return 0, errors.New("numeric character reference not ended by ';'")
		}
		if !allowedRune(rune(v)) || v < 0x20 && v != '\t' && v != '\n' {
			return 0, fmt.Errorf("character reference to U+%04X", v)
		}
		return i + 1, nil
	}
	for _, n := range named {
		if len(s) > len(n) && s[1:1+len(n)] == n {
			return 1 + len(n), nil
		}
	}
	return 0, errors.New("'&' that starts no known character reference")
}

func digit(c byte, base int) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case base == 16 && 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case base == 16 && 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// allowedRune is html5lib's rule for the characters of its input stream
// (its invalid_unicode_re), with NUL and surrogates added: no C0 control
// but tab, LF, FF and CR; no DEL or C1 control; no noncharacter.
func allowedRune(r rune) bool {
	switch {
	case r < 0x20:
		return r == '\t' || r == '\n' || r == '\f' || r == '\r'
	case r < 0x7F:
		return true
	case r <= 0x9F:
		return false
	case r >= 0xD800 && r <= 0xDFFF, r > utf8.MaxRune:
		return false
	case r >= 0xFDD0 && r <= 0xFDEF, r&0xFFFE == 0xFFFE:
		return false
	}
	return true
}

// checkChars refuses invalid UTF-8 and the characters allowedRune
// refuses. Runs of ASCII without controls or DEL, most of any post, are
// passed over eight bytes at a time; other characters are decoded.
func checkChars(s string) error {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for i := 0; i < len(s); {
		if i+8 <= len(s) {
			v := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
				uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
			// No byte >= 0x80, none below 0x20 (which -0x20 borrows
			// into bit 7) and none 0x7F (which +1 carries into bit 7).
			if (v|(v+ones)|(v-0x20*ones))&highs == 0 {
				i += 8
				continue
			}
		}
		if c := s[i]; c < utf8.RuneSelf {
			if !allowedRune(rune(c)) {
				return fmt.Errorf("offset %d: character U+%04X", i, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			return fmt.Errorf("offset %d: invalid UTF-8", i)
		}
		if !allowedRune(r) {
			return fmt.Errorf("offset %d: character U+%04X", i, r)
		}
		i += n
	}
	return nil
}

// tag is a start or end tag as readTag finds it.
type tag struct {
	name        atom.Atom
	end         bool
	selfClosing bool
}

// readTag reads the tag at the start of s (which starts with '<') in the
// canonical form: "<name", then ` attr="value"` pairs with distinct
// names, then ">" or (void elements) "/>"; or "</name>". It returns the
// tag and its length. names is scratch space for attribute names.
func readTag(s string, names []string) (tag, int, error) {
	var t tag
	i := 1
	if i < len(s) && s[i] == '/' {
		t.end = true
		i++
	}
	start := i
	for i < len(s) && ('a' <= s[i] && s[i] <= 'z' || i > start && '0' <= s[i] && s[i] <= '9') {
		i++
	}
	if i == start {
		return t, 0, errors.New("'<' that starts no tag")
	}
	t.name = atom.Lookup([]byte(s[start:i]))
	if t.name == 0 {
		return t, 0, fmt.Errorf("unknown element %q", s[start:i])
	}
	if t.end {
		if i < len(s) && s[i] == '>' {
			return t, i + 1, nil
		}
		return t, 0, errors.New("end tag not in the form </name>")
	}
	for {
		if i >= len(s) {
			return t, 0, errors.New("tag not closed")
		}
		switch s[i] {
		case '>':
			return t, i + 1, nil
		case '/':
			if i+1 < len(s) && s[i+1] == '>' {
				t.selfClosing = true
				return t, i + 2, nil
			}
			return t, 0, errors.New("'/' inside a tag")
		case ' ':
		default:
			return t, 0, fmt.Errorf("unexpected %q inside a tag", s[i])
		}
		i++
		ns := i
		for i < len(s) && ('a' <= s[i] && s[i] <= 'z' || i > ns && ('0' <= s[i] && s[i] <= '9' || s[i] == '-' || s[i] == '_' || s[i] == ':' || s[i] == '.')) {
			i++
		}
		if i == ns || i+1 >= len(s) || s[i] != '=' || s[i+1] != '"' {
			return t, 0, errors.New("attribute not in the form name=\"value\"")
		}
		name := s[ns:i]
		for _, n := range names {
			if n == name {
				return t, 0, fmt.Errorf("duplicate attribute %q", name)
			}
		}
		names = append(names, name)
		i += 2
		q := strings.IndexByte(s[i:], '"')
		if q < 0 {
			return t, 0, errors.New("attribute value not closed")
		}
		if err := checkRefs(s[i : i+q]); err != nil {
			return t, 0, fmt.Errorf("attribute %q: %w", name, err)
		}
		i += q + 1
	}
}

// kind is kindOf for elements known to be accepted.
func kind(a atom.Atom) int {
	k, _ := kindOf(a)
	return k
}
