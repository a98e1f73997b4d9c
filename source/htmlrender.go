package source

import (
	"bytes"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/renderer"
	ghtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/util"
)

// This file renders Markdown to HTML that is already what the sanitiser
// (policy) would make of goldmark's unsafe output, so only the raw HTML an
// author wrote has to go through bluemonday.
//
// Markdown-generated markup is emitted the way bluemonday serialises it
// (x/net/html's Token.String): text escaped with exactly &amp; &#39; &lt;
// &gt; &#34;, entities resolved, attributes double-quoted, and each
// attribute goldmark would write kept only if the policy keeps it (URLs
// through policyURL, titles and alt text through bluemonday.Paragraph,
// rel="nofollow" added to links). An element left without attributes the
// policy needs (a link whose URL it rejects) is dropped with its end tag,
// as bluemonday does. The nodes left to goldmark's renderers (paragraphs,
// emphasis, code, lists, tables...) write fixed tags the policy keeps and
// their text through canonWriter; they would write attributes only if
// the parser set some, which it does for headings alone (no
// parser.WithAttribute). renderSafe's output is therefore a fixed point
// of the policy; TestRenderIsSanitiserFixedPoint and FuzzRenderSafe check
// it.
//
// Raw HTML (ast.RawHTML inline, ast.HTMLBlock) is sanitised one node at a
// time. That is safe although bluemonday no longer sees the whole
// document, because of what it emits for any fragment:
//   - only whole tokens, re-serialised: a tag or comment left open at the
//     end of a fragment ("<div title=", "<!--") is dropped, never
//     completed by the Markdown output that follows, and text is escaped,
//     so no '<' or '&' of one fragment can join with the next;
//   - no element that switches an HTML parser out of its data state
//     (script, style, textarea, title, xmp, iframe, noembed, noframes,
//     noscript, plaintext, svg, math are all refused by the policy), so
//     whatever follows a fragment is parsed as the separate tokens it is.
//
// Concatenating such fragments with safe Markdown output thus yields only
// tokens the policy allows. What changes from sanitising the whole
// document is only which harmless content survives when an element spans
// fragments: "<iframe>" in one HTML block and "</iframe>" in a later one
// used to swallow the Markdown between them, now the Markdown shows (the
// iframe is still dropped); likewise an <a> the policy drops in one
// fragment no longer takes a "</a>" of another fragment with it.

// canonEsc is x/net/html's escaping of text and attribute values, plus
// goldmark's replacement of NUL (util.EscapeHTMLByte), which every piece
// of Markdown text went through before the sanitiser saw it.
var canonEsc = [256]string{0: "\ufffd", '&': "&amp;", '\'': "&#39;", '<': "&lt;", '>': "&gt;", '"': "&#34;"}

// appendEscaped escapes text or an attribute value as x/net/html's
// serialiser does, so the sanitiser would leave it byte for byte.
func appendEscaped[S ~string | ~[]byte](dst []byte, s S) []byte {
	last := 0
	for i := 0; i < len(s); i++ {
		if e := canonEsc[s[i]]; e != "" {
			dst = append(dst, s[last:i]...)
			dst = append(dst, e...)
			last = i + 1
		}
	}
	return append(dst, s[last:]...)
}

// appendAttr appends ` name="value"`, the value escaped as appendEscaped
// does.
func appendAttr(dst []byte, name, value string) []byte {
	dst = append(dst, ' ')
	dst = append(dst, name...)
	dst = append(dst, `="`...)
	dst = appendEscaped(dst, value)
	return append(dst, '"')
}

// appendMarkdownText appends the characters goldmark's default writer
// would produce for Markdown text (backslash escapes removed, entity and
// numeric references resolved, NUL replaced), escaped when escape is set.
// It mirrors html.defaultWriter.Write so the two never disagree on what
// the text is; only the escaping differs.
func appendMarkdownText(dst, source []byte, escape bool) []byte {
	if bytes.IndexByte(source, '&') < 0 && bytes.IndexByte(source, '\\') < 0 && bytes.IndexByte(source, 0) < 0 {
		// Nothing to resolve: most text.
		if escape {
			return appendEscaped(dst, source)
		}
		return append(dst, source...)
	}
	raw := func(dst, b []byte) []byte {
		if escape {
			return appendEscaped(dst, b)
		}
		return append(dst, b...)
	}
	escaped := false
	limit := len(source)
	n := 0
	for i := 0; i < limit; i++ {
		c := source[i]
		if escaped {
			if util.IsPunct(c) {
				dst = raw(dst, source[n:i-1])
				n = i
				escaped = false
				continue
			}
		}
		if c == 0 {
			dst = raw(dst, source[n:i])
			dst = append(dst, "\ufffd"...)
			n = i + 1
			escaped = false
			continue
		}
		if c == '&' {
			pos := i
			next := i + 1
			var ok bool
			if next < limit && source[next] == '#' {
				nnext := next + 1
				if nnext < limit {
					nc := source[nnext]
					if nc == 'x' || nc == 'X' {
						start := nnext + 1
						i, ok = util.ReadWhile(source, [2]int{start, limit}, util.IsHexDecimal)
						if ok && i < limit && source[i] == ';' && i-start < 7 {
							v, _ := strconv.ParseUint(string(source[start:i]), 16, 32)
							dst = raw(dst, source[n:pos])
							n = i + 1
							dst = appendRune(dst, rune(v), escape)
							continue
						}
					} else if nc >= '0' && nc <= '9' {
						start := nnext
						i, ok = util.ReadWhile(source, [2]int{start, limit}, util.IsNumeric)
						if ok && i < limit && i-start < 8 && source[i] == ';' {
							v, _ := strconv.ParseUint(string(source[start:i]), 10, 32)
							dst = raw(dst, source[n:pos])
							n = i + 1
							dst = appendRune(dst, rune(v), escape)
							continue
						}
					}
				}
			} else {
				start := next
				i, ok = util.ReadWhile(source, [2]int{start, limit}, util.IsAlphaNumeric)
				if ok && i < limit && source[i] == ';' {
					if entity, ok := util.LookUpHTML5EntityByName(string(source[start:i])); ok {
						dst = raw(dst, source[n:pos])
						n = i + 1
						dst = raw(dst, entity.Characters)
						continue
					}
				}
			}
			i = next - 1
		}
		if c == '\\' {
			escaped = true
			continue
		}
		escaped = false
	}
	return raw(dst, source[n:])
}

// appendRune appends a character reference's rune as goldmark resolves it.
func appendRune(dst []byte, r rune, escape bool) []byte {
	r = util.ToValidRune(r)
	if escape && r < utf8.RuneSelf && canonEsc[r] != "" {
		return append(dst, canonEsc[r]...)
	}
	return utf8.AppendRune(dst, r)
}

// canonWriter is goldmark's text writer for the renderers this file does
// not replace (paragraph text, code, table cells): the same characters as
// goldmark's default writer, escaped the sanitiser's way.
type canonWriter struct{}

var _ ghtml.Writer = canonWriter{}

func (canonWriter) Write(w util.BufWriter, source []byte) {
	o := w.(*htmlOut)
	o.buf = appendMarkdownText(o.buf, source, true)
}

func (canonWriter) RawWrite(w util.BufWriter, source []byte) {
	o := w.(*htmlOut)
	o.buf = appendEscaped(o.buf, source)
}

// SecureWrite is goldmark's raw HTML writer; raw HTML is written only by
// this file's renderers, after sanitising, so nothing calls it.
func (canonWriter) SecureWrite(w util.BufWriter, source []byte) {
	o := w.(*htmlOut)
	o.buf = appendEscaped(o.buf, bytes.ReplaceAll(source, []byte{0}, []byte("\ufffd")))
}

// htmlOut is the writer goldmark renders into, and holds the per-document
// state of safeRenderer; it is pooled so its buffers are reused.
type htmlOut struct {
	buf     []byte
	scratch []byte
	raw     []byte
	// links records, for each Markdown link being rendered, whether its
	// <a> was written, so its end tag goes too.
	links []bool
	// mixed: the output holds sanitised raw HTML, or a link written
	// inside a link (an autolink or footnote reference in link text), so
	// its tags may not nest as a strict HTML5 parser needs. Everything
	// else the renderers write node by node, start and end tags around
	// the node's children, and Markdown puts blocks only where HTML
	// allows them (no block in a paragraph, no heading in a heading, list
	// items in lists, table parts in tables), so toHTML checks only mixed
	// output (stricthtml.Check); FuzzRenderBody checks all of it.
	mixed bool
}

var _ util.BufWriter = (*htmlOut)(nil)

func (o *htmlOut) Write(p []byte) (int, error)       { o.buf = append(o.buf, p...); return len(p), nil }
func (o *htmlOut) WriteString(s string) (int, error) { o.buf = append(o.buf, s...); return len(s), nil }
func (o *htmlOut) WriteByte(c byte) error            { o.buf = append(o.buf, c); return nil }
func (o *htmlOut) WriteRune(r rune) (int, error) {
	n := len(o.buf)
	o.buf = utf8.AppendRune(o.buf, r)
	return len(o.buf) - n, nil
}
func (o *htmlOut) Available() int { return cap(o.buf) - len(o.buf) }
func (o *htmlOut) Buffered() int  { return len(o.buf) }
func (o *htmlOut) Flush() error   { return nil }

// outPool keeps render buffers between posts; a buffer grown by a huge
// post is not kept, so the pool does not pin memory.
var outPool = sync.Pool{New: func() any { return new(htmlOut) }}

const maxPooledBuf = 1 << 20

func getOut() *htmlOut { return outPool.Get().(*htmlOut) }

func putOut(o *htmlOut) {
	if cap(o.buf) > maxPooledBuf || cap(o.scratch) > maxPooledBuf || cap(o.raw) > maxPooledBuf {
		return
	}
	o.buf, o.scratch, o.raw, o.links = o.buf[:0], o.scratch[:0], o.raw[:0], o.links[:0]
	outPool.Put(o)
}

// safeRenderer replaces goldmark's renderers for every node whose output
// the sanitiser would change: raw HTML, URLs, attributes it filters and
// entities goldmark writes as references.
type safeRenderer struct{}

func (r safeRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindHeading, r.renderHeading)
	reg.Register(ast.KindFencedCodeBlock, r.renderFencedCodeBlock)
	reg.Register(ast.KindHTMLBlock, r.renderHTMLBlock)
	reg.Register(ast.KindList, r.renderList)
	reg.Register(ast.KindAutoLink, r.renderAutoLink)
	reg.Register(ast.KindImage, r.renderImage)
	reg.Register(ast.KindLink, r.renderLink)
	reg.Register(ast.KindRawHTML, r.renderRawHTML)
	reg.Register(ast.KindString, r.renderString)
	reg.Register(east.KindFootnoteLink, r.renderFootnoteLink)
	reg.Register(east.KindFootnoteBacklink, r.renderFootnoteBacklink)
}

// sanitizeRaw appends raw HTML as the policy cleans it.
func (o *htmlOut) sanitizeRaw(fragment []byte) {
	if len(fragment) == 0 {
		return
	}
	o.mixed = true
	if len(fragment) > maxMemoFragment {
		o.buf = append(o.buf, policy().SanitizeBytes(fragment)...)
		return
	}
	rawMemo.RLock()
	clean, ok := rawMemo.m[string(fragment)]
	rawMemo.RUnlock()
	if !ok {
		clean = policy().SanitizeBytes(fragment)
		rawMemo.Lock()
		if len(rawMemo.m) < maxMemoEntries {
			if rawMemo.m == nil {
				rawMemo.m = make(map[string][]byte)
			}
			rawMemo.m[string(fragment)] = bytes.Clone(clean)
		}
		rawMemo.Unlock()
	}
	o.buf = append(o.buf, clean...)
}

// rawMemo remembers what the policy makes of short raw fragments: inline
// tags such as <strong> or </mark> recur in nearly every post, and
// bluemonday spends more on setting up (a tokenizer and its 4 KiB buffer)
// than on such a tag. A fragment is sanitised alone, so the result
// depends on its bytes only. The bounds keep hostile input from growing
// it: at most maxMemoEntries fragments of maxMemoFragment bytes.
var rawMemo struct {
	sync.RWMutex
	m map[string][]byte
}

const (
	maxMemoFragment = 64
	maxMemoEntries  = 4096
)

func (safeRenderer) renderRawHTML(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkSkipChildren, nil
	}
	o := w.(*htmlOut)
	n := node.(*ast.RawHTML)
	o.raw = o.raw[:0]
	for i := range n.Segments.Len() {
		seg := n.Segments.At(i)
		o.raw = append(o.raw, seg.Value(source)...)
	}
	o.sanitizeRaw(o.raw)
	return ast.WalkSkipChildren, nil
}

func (safeRenderer) renderHTMLBlock(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	o := w.(*htmlOut)
	n := node.(*ast.HTMLBlock)
	o.raw = o.raw[:0]
	for i := range n.Lines().Len() {
		line := n.Lines().At(i)
		o.raw = append(o.raw, line.Value(source)...)
	}
	if n.HasClosure() {
		o.raw = append(o.raw, n.ClosureLine.Value(source)...)
	}
	// goldmark's SecureWrite replaced NUL in HTML blocks (not in inline
	// raw HTML); keep that so the sanitiser sees the same bytes.
	if bytes.IndexByte(o.raw, 0) >= 0 {
		o.raw = bytes.ReplaceAll(o.raw, []byte{0}, []byte("\ufffd"))
	}
	o.sanitizeRaw(o.raw)
	return ast.WalkSkipChildren, nil
}

func (safeRenderer) renderString(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	o := w.(*htmlOut)
	n := node.(*ast.String)
	switch {
	case n.IsCode(): // HTML from an extension; none of ours makes any
		o.sanitizeRaw(n.Value)
	case n.IsRaw():
		o.buf = appendEscaped(o.buf, n.Value)
	default:
		o.buf = appendMarkdownText(o.buf, n.Value, true)
	}
	return ast.WalkContinue, nil
}

// policyID reports whether the policy keeps an id: its pattern
// (AllowStandardAttributes) is the unanchored [a-zA-Z0-9\:\-_\.]+, so
// one such character suffices.
func policyID(id string) bool {
	for i := 0; i < len(id); i++ {
		if c := id[i]; 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == ':' || c == '-' || c == '_' || c == '.' {
			return true
		}
	}
	return false
}

// policyText reports whether the policy keeps a title or alt text:
// bluemonday.Paragraph, ^[\p{L}\p{N}\s\-_',\[\]!\./\\\(\)]*$, without a
// regexp (Go's \s is ASCII white space; invalid UTF-8 never matches).
func policyText(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
				continue
			}
			switch c {
			case '\t', '\n', '\f', '\r', ' ', '-', '_', '\'', ',', '[', ']', '!', '.', '/', '\\', '(', ')':
				continue
			}
			return false
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || !unicode.IsLetter(r) && !unicode.IsNumber(r) {
			return false
		}
		i += size
	}
	return true
}

func (safeRenderer) renderHeading(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	o := w.(*htmlOut)
	n := node.(*ast.Heading)
	if !entering {
		o.buf = append(o.buf, "</h"...)
		o.buf = append(o.buf, "0123456"[n.Level], '>', '\n')
		return ast.WalkContinue, nil
	}
	attrs := n.Attributes()
	if len(attrs) == 0 {
		o.buf = append(o.buf, "<h"...)
		o.buf = append(o.buf, "0123456"[n.Level], '>')
		return ast.WalkContinue, nil
	}
	if len(attrs) == 1 && string(attrs[0].Name) == "id" {
		// The only attribute our parser options give headings.
		o.buf = append(o.buf, "<h"...)
		o.buf = append(o.buf, "0123456"[n.Level])
		if id := attrValue(attrs[0].Value); policyID(id) {
			o.buf = appendAttr(o.buf, "id", id)
		}
		o.buf = append(o.buf, '>')
		return ast.WalkContinue, nil
	}
	// Anything else: let the policy judge goldmark's own start tag.
	o.scratch = append(o.scratch[:0], "<h"...)
	o.scratch = append(o.scratch, "0123456"[n.Level])
	o.scratch = appendGoldmarkAttrs(o.scratch, node, ghtml.HeadingAttributeFilter)
	o.scratch = append(o.scratch, '>')
	o.sanitizeRaw(o.scratch)
	return ast.WalkContinue, nil
}

// attrValue is an AST attribute value as the sanitiser reads it back.
func attrValue(v any) string {
	var s string
	switch v := v.(type) {
	case []byte:
		s = string(v)
	case string:
		s = v
	}
	return convertNewlines(s)
}

// appendGoldmarkAttrs writes attributes as ghtml.RenderAttributes does.
func appendGoldmarkAttrs(dst []byte, node ast.Node, filter util.BytesFilter) []byte {
	for _, a := range node.Attributes() {
		if filter != nil && !filter.Contains(a.Name) && !bytes.HasPrefix(a.Name, []byte("data-")) {
			continue
		}
		dst = append(dst, ' ')
		dst = append(dst, a.Name...)
		dst = append(dst, `="`...)
		dst = appendEscaped(dst, attrValue(a.Value))
		dst = append(dst, '"')
	}
	return dst
}

// convertNewlines makes an attribute value what the sanitiser's tokenizer
// reads back: CR LF and lone CR become LF, NUL becomes U+FFFD.
func convertNewlines(s string) string {
	if strings.IndexByte(s, '\r') >= 0 {
		s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "\ufffd")
	}
	return s
}

// renderFencedCodeBlock drops the language class, which the policy does
// not allow on code.
func (safeRenderer) renderFencedCodeBlock(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	o := w.(*htmlOut)
	if !entering {
		o.buf = append(o.buf, "</code></pre>\n"...)
		return ast.WalkContinue, nil
	}
	o.buf = append(o.buf, "<pre><code>"...)
	lines := node.Lines()
	for i := range lines.Len() {
		line := lines.At(i)
		o.buf = appendEscaped(o.buf, line.Value(source))
	}
	return ast.WalkContinue, nil
}

// renderList drops start="N", which the policy does not allow.
func (safeRenderer) renderList(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	o := w.(*htmlOut)
	tag := "ul"
	if node.(*ast.List).IsOrdered() {
		tag = "ol"
	}
	if entering {
		o.buf = append(o.buf, '<')
	} else {
		o.buf = append(o.buf, "</"...)
	}
	o.buf = append(o.buf, tag...)
	o.buf = append(o.buf, ">\n"...)
	return ast.WalkContinue, nil
}

func (safeRenderer) renderLink(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	o := w.(*htmlOut)
	n := node.(*ast.Link)
	if !entering {
		if o.links[len(o.links)-1] {
			o.buf = append(o.buf, "</a>"...)
		}
		o.links = o.links[:len(o.links)-1]
		return ast.WalkContinue, nil
	}
	if len(o.links) > 0 {
		o.mixed = true // CommonMark allows none, but a link in link text
	}
	href, hrefOK := policyURL(convertNewlines(string(util.URLEscape(n.Destination, true))))
	var title string
	titleOK := false
	if n.Title != nil {
		title = convertNewlines(string(appendMarkdownText(o.scratch[:0], n.Title, false)))
		titleOK = policyText(title)
	}
	o.links = append(o.links, hrefOK || titleOK)
	if !hrefOK && !titleOK {
		return ast.WalkContinue, nil // bluemonday drops <a> and its </a>
	}
	o.buf = append(o.buf, "<a"...)
	if hrefOK {
		o.buf = appendAttr(o.buf, "href", href)
	}
	if titleOK {
		o.buf = appendAttr(o.buf, "title", title)
	}
	if hrefOK {
		o.buf = append(o.buf, ` rel="nofollow"`...)
	}
	o.buf = append(o.buf, '>')
	return ast.WalkContinue, nil
}

func (safeRenderer) renderAutoLink(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	o := w.(*htmlOut)
	n := node.(*ast.AutoLink)
	if len(o.links) > 0 {
		o.mixed = true // a link in link text
	}
	u := util.URLEscape(n.URL(source), false)
	o.scratch = o.scratch[:0]
	if n.AutoLinkType == ast.AutoLinkEmail && !bytes.HasPrefix(bytes.ToLower(u), []byte("mailto:")) {
		o.scratch = append(o.scratch, "mailto:"...)
	}
	o.scratch = append(o.scratch, u...)
	href, ok := policyURL(convertNewlines(string(o.scratch)))
	if ok {
		o.buf = append(o.buf, `<a href="`...)
		o.buf = appendEscaped(o.buf, href)
		o.buf = append(o.buf, `" rel="nofollow">`...)
	}
	o.buf = appendEscaped(o.buf, n.Label(source))
	if ok {
		o.buf = append(o.buf, "</a>"...)
	}
	return ast.WalkContinue, nil
}

func (safeRenderer) renderImage(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	o := w.(*htmlOut)
	n := node.(*ast.Image)
	src, srcOK := policyURL(convertNewlines(string(util.URLEscape(n.Destination, true))))
	alt := convertNewlines(string(appendAltText(o.scratch[:0], source, n)))
	altOK := policyText(alt)
	var title string
	titleOK := false
	if n.Title != nil {
		title = convertNewlines(string(appendMarkdownText(o.scratch[:0], n.Title, false)))
		titleOK = policyText(title)
	}
	if !srcOK && !altOK && !titleOK {
		return ast.WalkSkipChildren, nil // bluemonday drops an <img> with no attributes
	}
	o.buf = append(o.buf, "<img"...)
	if srcOK {
		o.buf = appendAttr(o.buf, "src", src)
	}
	if altOK {
		o.buf = appendAttr(o.buf, "alt", alt)
	}
	if titleOK {
		o.buf = appendAttr(o.buf, "title", title)
	}
	o.buf = append(o.buf, '>')
	return ast.WalkSkipChildren, nil
}

// appendAltText appends the characters goldmark writes into an image's
// alt attribute (its renderTexts): text only, with the line breaks as
// goldmark writes them, markup such as "<br>" included as characters.
func appendAltText(dst, source []byte, n ast.Node) []byte {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.String:
			if c.IsCode() || c.IsRaw() {
				dst = append(dst, c.Value...)
			} else {
				dst = appendMarkdownText(dst, c.Value, false)
			}
		case *ast.Text:
			v := c.Segment.Value(source)
			if c.IsRaw() {
				dst = append(dst, v...)
				continue
			}
			dst = appendMarkdownText(dst, v, false)
			if c.HardLineBreak() {
				dst = append(dst, "<br>\n"...)
			} else if c.SoftLineBreak() {
				dst = append(dst, '\n')
			}
		default:
			dst = appendAltText(dst, source, c)
		}
	}
	return dst
}

// The footnote renderers write goldmark's markup with rel="nofollow" and
// the backlink's references resolved, as the sanitiser leaves them.
func (safeRenderer) renderFootnoteLink(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	o := w.(*htmlOut)
	n := node.(*east.FootnoteLink)
	if len(o.links) > 0 {
		o.mixed = true // a link in link text
	}
	o.buf = append(o.buf, `<sup id="fnref`...)
	if n.RefIndex > 0 {
		o.buf = strconv.AppendInt(o.buf, int64(n.RefIndex), 10)
	}
	o.buf = append(o.buf, ':')
	o.buf = strconv.AppendInt(o.buf, int64(n.Index), 10)
	o.buf = append(o.buf, `"><a href="#fn:`...)
	o.buf = strconv.AppendInt(o.buf, int64(n.Index), 10)
	o.buf = append(o.buf, `" class="footnote-ref" role="doc-noteref" rel="nofollow">`...)
	o.buf = strconv.AppendInt(o.buf, int64(n.Index), 10)
	o.buf = append(o.buf, `</a></sup>`...)
	return ast.WalkContinue, nil
}

func (safeRenderer) renderFootnoteBacklink(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	o := w.(*htmlOut)
	n := node.(*east.FootnoteBacklink)
	o.buf = append(o.buf, "\u00a0<a href=\"#fnref"...)
	if n.RefIndex > 0 {
		o.buf = strconv.AppendInt(o.buf, int64(n.RefIndex), 10)
	}
	o.buf = append(o.buf, ':')
	o.buf = strconv.AppendInt(o.buf, int64(n.Index), 10)
	o.buf = append(o.buf, "\" class=\"footnote-backref\" role=\"doc-backlink\" rel=\"nofollow\">\u21a9\ufe0e</a>"...)
	return ast.WalkContinue, nil
}

// policyURL is bluemonday's validURL for policy(): the URL as the
// sanitiser rewrites it, and whether it keeps it at all (http, https and
// mailto, or relative; parseable, no inner white space).
// FuzzPolicyURL holds it to bluemonday's own verdict.
func policyURL(raw string) (string, bool) {
	raw = strings.TrimSpace(raw)
	if strings.ContainsAny(raw, " \t\n") {
		// bluemonday lets white space through only in data: URLs, a
		// scheme the policy refuses anyway.
		return "", false
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", false
	}
	switch u.Scheme {
	case "http", "https", "mailto":
	case "":
		s := u.String()
		return s, s != ""
	default:
		return "", false
	}
	return u.String(), true
}
