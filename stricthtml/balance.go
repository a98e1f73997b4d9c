package stricthtml

import (
	"errors"
	"strings"

	"github.com/syndicate/syndicate/feedtext"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// maxPasses bounds the repairs: each pass fixes every problem it meets in
// place except content moved out of a table, which the next pass sees.
const maxPasses = 8

// Balance returns a fragment that passes Check and that an HTML5 parser
// reads as it reads fragment, up to the repairs Check's rules need.
//
// It parses fragment with golang.org/x/net/html as a browser would (in a
// <div>: stray end tags dropped, open elements closed, misnested
// formatting elements split by the adoption agency, references to C1
// controls mapped) and writes the tree back in canonical form. Trees the
// parser builds but that would not parse back without error are repaired:
// comments are dropped; elements Check does not accept (and table parts
// or ruby text out of place, headings in headings, an <a> inside an <a>)
// are replaced by their content; a <p> holding a block becomes a <div>;
// a list item that would close another is wrapped in its own list; rows
// and cells missing their table body or row get one; anything else inside
// a table's structure moves before the table, as the parser itself moves
// it. Characters follow feedtext.HTML. Should the result still fail
// Check, which no test has found, the fragment's text is returned as one
// escaped paragraph.
func Balance(fragment string) string {
	nodes, err := parseFragment(fragment)
	if err != nil {
		// x/net/html refuses trees nested deeper than 512 elements (the
		// only error a strings.Reader leaves it): elements opened beyond
		// maxDepth are dropped, their content kept, and failing that the
		// text is all that is left.
		if nodes, err = parseFragment(flatten(fragment, maxDepth)); err != nil {
			return textOnly(textNode(fragment))
		}
	}
	root := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	for _, n := range nodes {
		root.AppendChild(n)
	}
	for range maxPasses {
		if !repair(root, nil) {
			break
		}
	}
	var b []byte
	for c := root.FirstChild; c != nil; c = c.NextSibling {
		b = render(b, c)
	}
	out := feedtext.HTML(string(b))
	if Check(out) != nil {
		return textOnly(root)
	}
	return out
}

func parseFragment(fragment string) ([]*html.Node, error) {
	ctx := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	return html.ParseFragment(strings.NewReader(fragment), ctx)
}

// maxDepth is how deep flatten lets elements nest, well below
// x/net/html's limit of 512 so that elements the parser adds (table
// bodies, reopened formatting elements) still fit.
const maxDepth = 256

// autoClosed are elements the parser closes when another of their kind
// starts: flatten counts them once when the new one would be their child
// (elsewhere it counts both, erring towards depth the parser has room for).
var autoClosed = map[string]bool{"p": true, "li": true, "dd": true, "dt": true, "tr": true, "td": true, "th": true, "option": true}

// flatten drops the start tags of elements that would open deeper than
// max, keeping everything else byte for byte. It estimates the depth
// from the tokens: void elements do not count, an end tag closes up to
// the element it names, and an element of autoClosed closes one of its
// name that is the current element.
func flatten(fragment string, max int) string {
	z := html.NewTokenizer(strings.NewReader(fragment))
	var out strings.Builder
	var stack []string
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return out.String()
		}
		raw := z.Raw()
		switch tt {
		case html.StartTagToken:
			name, _ := z.TagName()
			n := string(name)
			if k, _ := kindOf(atom.Lookup(name)); k&void != 0 {
				break
			}
			if autoClosed[n] && len(stack) > 0 && stack[len(stack)-1] == n {
				stack = stack[:len(stack)-1]
			}
			if len(stack) >= max {
				continue
			}
			stack = append(stack, n)
		case html.EndTagToken:
			name, _ := z.TagName()
			if i := lastIndex(stack, string(name)); i >= 0 {
				stack = stack[:i]
			}
		}
		out.Write(raw)
	}
}

func lastIndex(stack []string, name string) int {
	for i := len(stack) - 1; i >= 0; i-- {
		if stack[i] == name {
			return i
		}
	}
	return -1
}

// textNode is a tree holding the text of fragment's tokens.
func textNode(fragment string) *html.Node {
	root := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	z := html.NewTokenizer(strings.NewReader(fragment))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return root
		case html.TextToken:
			root.AppendChild(&html.Node{Type: html.TextNode, Data: string(z.Text())})
		}
	}
}

// repair fixes n's subtree in place, with stack the elements above n's
// children (below the fragment's root). It reports whether it moved
// content somewhere already walked, so another pass is needed.
func repair(n *html.Node, stack []open) (again bool) {
	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		switch c.Type {
		case html.TextNode:
			if inTableStructure(top(stack).name) && strings.Trim(c.Data, " \t\n\r\f") != "" {
				fosterParent(c)
				again = true
			}
			c = next
			continue
		case html.ElementNode:
		default: // comments, doctypes
			n.RemoveChild(c)
			c = next
			continue
		}
		e, ok := kindOf(c.DataAtom)
		if !ok || c.Namespace != "" {
			c = unwrap(c)
			continue
		}
		switch err := startAllowed(top(stack), c.DataAtom, e); {
		case err == nil:
		case errors.Is(err, errTable):
			if w := tableWrapper(top(stack).name, c.DataAtom); w != 0 {
				c = wrap(c, w)
				continue // the wrapper, then c inside it
			}
			fosterParent(c)
			again = true
			c = next
			continue
		case errors.Is(err, errInP):
			renameP(c, stack)
			continue // c again, in its new context
		case errors.Is(err, errListItem):
			w := atom.Ul
			if c.DataAtom != atom.Li {
				w = atom.Dl
			}
			c = wrap(c, w)
			continue
		default: // errTablePart, errRuby, errHeading, errNestedA
			c = unwrap(c)
			continue
		}
		dedupeAttrs(c)
		if e&void != 0 {
			for c.FirstChild != nil {
				c.RemoveChild(c.FirstChild)
			}
		} else if repair(c, append(stack, push(top(stack), c.DataAtom))) {
			again = true
		}
		c = next
	}
	return again
}

// unwrap replaces c by its children and returns what now follows c's
// previous sibling: its first child, or its next sibling.
func unwrap(c *html.Node) *html.Node {
	first, next := c.FirstChild, c.NextSibling
	p := c.Parent
	for ch := c.FirstChild; ch != nil; ch = c.FirstChild {
		c.RemoveChild(ch)
		p.InsertBefore(ch, c)
	}
	p.RemoveChild(c)
	if first != nil {
		return first
	}
	return next
}

// wrap puts c inside a new element a, in c's place, and returns it.
func wrap(c *html.Node, a atom.Atom) *html.Node {
	w := &html.Node{Type: html.ElementNode, Data: a.String(), DataAtom: a}
	c.Parent.InsertBefore(w, c)
	c.Parent.RemoveChild(c)
	w.AppendChild(c)
	return w
}

// tableWrapper is the element the parser would have put between a
// table's part and a child that belongs one level further down, or 0.
func tableWrapper(parent, child atom.Atom) atom.Atom {
	switch {
	case parent == atom.Table && (child == atom.Tr || child == atom.Td || child == atom.Th):
		return atom.Tbody
	case parent == atom.Table && child == atom.Col:
		return atom.Colgroup
	case (parent == atom.Tbody || parent == atom.Thead || parent == atom.Tfoot) && (child == atom.Td || child == atom.Th):
		return atom.Tr
	}
	return 0
}

// fosterParent moves c out of its table to just before it.
func fosterParent(c *html.Node) {
	t := c.Parent
	for t.DataAtom != atom.Table || t.Type != html.ElementNode {
		t = t.Parent
	}
	c.Parent.RemoveChild(c)
	t.Parent.InsertBefore(c, t)
}

// renameP turns the <p> that c would close (the nearest one in button
// scope) into a <div>, which may hold blocks, in the tree and on the
// stack, whose entries from there up are then pushed again.
func renameP(c *html.Node, stack []open) {
	a := c.Parent
	for i := len(stack) - 1; i >= 0; i, a = i-1, a.Parent {
		if stack[i].name != atom.P {
			continue
		}
		a.Data, a.DataAtom = "div", atom.Div
		stack[i].name = atom.Div
		parent := root
		if i > 0 {
			parent = stack[i-1]
		}
		for j := i; j < len(stack); j++ {
			stack[j] = push(parent, stack[j].name)
			parent = stack[j]
		}
		return
	}
}

// dedupeAttrs keeps the first of attributes sharing a name, as the
// parser would read them, and drops names Check does not read as
// attributes.
func dedupeAttrs(c *html.Node) {
	out := c.Attr[:0]
next:
	for _, a := range c.Attr {
		if a.Namespace != "" || !attrName(a.Key) {
			continue
		}
		for _, b := range out {
			if b.Key == a.Key {
				continue next
			}
		}
		out = append(out, a)
	}
	c.Attr = out
}

// attrName is readTag's rule for attribute names.
func attrName(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == ':' || c == '.') {
			return false
		}
	}
	return true
}

// render writes n in the canonical form Check reads: x/net/html's escaping
// (&amp; &#39; &lt; &gt; &#34;), void elements without a slash, and CR,
// which a parser reads as LF, written as LF.
func render(b []byte, n *html.Node) []byte {
	switch n.Type {
	case html.TextNode:
		return appendEscaped(b, n.Data)
	case html.ElementNode:
	default:
		return b
	}
	b = append(b, '<')
	b = append(b, n.Data...)
	for _, a := range n.Attr {
		b = append(b, ' ')
		b = append(b, a.Key...)
		b = append(b, `="`...)
		b = appendEscaped(b, a.Val)
		b = append(b, '"')
	}
	b = append(b, '>')
	if k, _ := kindOf(n.DataAtom); k&void != 0 {
		return b
	}
	if c := n.FirstChild; c != nil && c.Type == html.TextNode && strings.HasPrefix(c.Data, "\n") && n.DataAtom == atom.Pre {
		b = append(b, '\n') // the parser drops a newline right after <pre>
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b = render(b, c)
	}
	b = append(b, "</"...)
	b = append(b, n.Data...)
	return append(b, '>')
}

func appendEscaped(b []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); i++ {
		var e string
		switch s[i] {
		case '&':
			e = "&amp;"
		case '\'':
			e = "&#39;"
		case '<':
			e = "&lt;"
		case '>':
			e = "&gt;"
		case '"':
			e = "&#34;"
		case '\r':
			e = "\n"
		default:
			continue
		}
		b = append(b, s[last:i]...)
		b = append(b, e...)
		last = i + 1
	}
	return append(b, s[last:]...)
}

// textOnly is the last resort: the text of the tree as one paragraph.
func textOnly(root *html.Node) string {
	var text []byte
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.TextNode {
				text = append(text, c.Data...)
			}
			walk(c)
		}
	}
	walk(root)
	s := strings.Join(strings.Fields(string(text)), " ")
	if s == "" {
		return ""
	}
	return feedtext.HTML("<p>" + string(appendEscaped(nil, s)) + "</p>")
}
