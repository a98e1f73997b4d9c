package source

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"html"
	"io"
	"regexp"
	"strings"
	"sync"
	"unicode"

	"github.com/microcosm-cc/bluemonday"
	"github.com/syndicate/syndicate/feedtext"
	"github.com/syndicate/syndicate/stricthtml"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	ghtml "github.com/yuin/goldmark/renderer/html"
	gtext "github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// markdown is built once: goldmark converters are safe for concurrent use.
// safeRenderer (htmlrender.go) takes over every node whose HTML the
// sanitiser would change, so the output needs no sanitising beyond the
// raw HTML it contains, which safeRenderer sanitises node by node.
var markdown = goldmark.New(
	// GFM, spelt out so table alignment comes as the align attribute the
	// sanitiser keeps (goldmark's default is a style attribute it drops).
	goldmark.WithExtensions(
		extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute)),
		extension.Strikethrough,
		extension.TaskList,
		extension.Footnote,
	),
	goldmark.WithParserOptions(
		parser.WithAutoHeadingID(),
		// GFM autolinks: what extension.Linkify adds, behind a quicker
		// first look.
		parser.WithInlineParsers(util.Prioritized(quickLinkify{extension.NewLinkifyParser()}, 999)),
	),
	goldmark.WithRendererOptions(
		renderer.WithNodeRenderers(util.Prioritized(safeRenderer{}, 100)),
		ghtml.WithWriter(canonWriter{}),
	),
)

// quickLinkify is goldmark's linkify parser, asked only when it could
// find something. goldmark calls it at every space, '*', '_', '~' and '('
// of every paragraph, and for each it tries the word as an e-mail address
// (util.FindEmailIndex) unless it starts with a URL prefix; most words
// are neither. It declines exactly where the inner parser would: the
// word, after the trigger character the inner parser skips, starts with
// none of its prefixes (http:, https:, ftp:, www.) and has no '@' within
// FindEmailIndex's reach (up to 64 bytes of local part, which never
// holds white space, then the '@').
type quickLinkify struct{ parser.InlineParser }

func (q quickLinkify) Parse(parent ast.Node, block gtext.Reader, pc parser.Context) ast.Node {
	if line, _ := block.PeekLine(); len(line) > 0 && !mayLinkify(line) {
		return nil
	}
	return q.InlineParser.Parse(parent, block, pc)
}

func mayLinkify(line []byte) bool {
	switch line[0] {
	case ' ', '*', '_', '~', '(':
		line = line[1:]
	}
	if len(line) == 0 {
		return false
	}
	switch line[0] {
	case 'h':
		if bytes.HasPrefix(line, []byte("http:")) || bytes.HasPrefix(line, []byte("https:")) {
			return true
		}
	case 'f':
		if bytes.HasPrefix(line, []byte("ftp:")) {
			return true
		}
	case 'w':
		if bytes.HasPrefix(line, []byte("www.")) {
			return true
		}
	}
	for i := 0; i < len(line) && i <= 64; i++ {
		switch line[i] {
		case '@':
			return true
		case ' ', '\t', '\n', '\r', '\v', '\f':
			return false
		}
	}
	return false
}

// policy is bluemonday's UGC policy plus responsive images and the few
// attributes GFM output needs; it never lets scripts, event handlers or
// non-http(s) URLs through.
var policy = sync.OnceValue(func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowAttrs("srcset").Matching(regexp.MustCompile(`^[^<>"']*$`)).OnElements("img", "source")
	p.AllowAttrs("sizes").Matching(regexp.MustCompile(`^[\w\s(),.:%-]*$`)).OnElements("img", "source")
	p.AllowElements("picture", "source", "mark", "figure", "figcaption")
	p.AllowAttrs("type", "media").OnElements("source")
	p.AllowAttrs("checked", "disabled").OnElements("input")
	p.AllowAttrs("type").Matching(regexp.MustCompile(`^checkbox$`)).OnElements("input")
	p.AllowElements("input")
	p.AllowAttrs("align").Matching(regexp.MustCompile(`^(left|right|center)$`)).OnElements("th", "td")
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^(footnote-ref|footnote-backref|footnotes|task-list-item)$`)).OnElements("a", "div", "li", "sup", "section")
	p.AllowAttrs("role").Matching(regexp.MustCompile(`^doc-(noteref|backlink|endnotes)$`)).Globally()
	return p
})

const moreMarker = "<!--more-->"

// summaryTarget is the length, in characters, an automatic summary aims at.
const summaryTarget = 300

// Render fills ContentHTML, SummaryHTML and SummaryText of each post,
// reading bodies again from disk. Posts that fail are returned as errors
// and left unrendered; the rest are done.
func (s *Scanner) Render(ctx context.Context, posts []*Post) []*FileError {
	errs := make([]*FileError, len(posts))
	err := s.parallel(ctx, len(posts), func(ctx context.Context, i int) {
		if err := s.render(ctx, posts[i]); err != nil {
			errs[i] = fileError(posts[i].Path, err)
		}
	})
	if err != nil {
		return []*FileError{{Path: ".", Err: err}}
	}
	var out []*FileError
	for _, e := range errs {
		if e != nil {
			out = append(out, e)
		}
	}
	return out
}

func (s *Scanner) render(ctx context.Context, p *Post) error {
	if p.Rendered() {
		return nil // from the cache: its file has not changed
	}
	data, info, err := s.load(ctx, p.Path)
	if err != nil {
		return err
	}
	if info.Size() != p.size || !info.ModTime().Equal(p.modTime) {
		return errors.New("file changed during the build; it will be read again next time")
	}
	if p.bodyOffset > int64(len(data)) {
		return errors.New("file changed during the build")
	}
	body, summary, warns, deps := s.expand(p, data)
	if nestingCost(body) > maxNestingCost {
		return ErrTooDeep
	}
	renderBody(p, body, summary)
	p.RenderWarnings, p.deps = warns, deps
	if s.cfg.Cache != nil {
		s.cfg.Cache.storeRendered(p)
	}
	return nil
}

// renderBody turns a post's Markdown body into safe, absolute HTML and
// derives its summary: from frontSummary (the front matter's, template
// directives expanded) when there is one, else from the body. A body
// nested too deeply to render in reasonable time (Scanner.Render reports
// it as ErrTooDeep) becomes preformatted text.
func renderBody(p *Post, body []byte, frontSummary string) {
	defer p.sumRendered()
	p.ContentHTML = toHTML(body, p.Link)
	switch {
	case frontSummary != "":
		p.SummaryHTML = toHTML([]byte(frontSummary), p.Link)
		p.SummaryText = plainText(p.SummaryHTML)
	case bytes.Contains(body, []byte(moreMarker)):
		before, _, _ := bytes.Cut(body, []byte(moreMarker))
		p.SummaryHTML = toHTML(before, p.Link)
		p.SummaryText = plainText(p.SummaryHTML)
	}
	if strings.TrimSpace(p.SummaryText) == "" {
		p.SummaryText = autoSummary(p.ContentHTML, summaryTarget)
		if p.SummaryText == "" {
			p.SummaryText = p.Title // readers need something to show
		}
		p.SummaryHTML = feedtext.HTML("<p>" + html.EscapeString(p.SummaryText) + "</p>")
	}
}

// maxNestingCost bounds the work goldmark does on deeply nested
// containers. Its cost grows with the square of each line's container
// prefix ("> > > ", list markers, indentation): a few MB of lines each
// nested a thousand levels deep would take minutes. Real posts stay far
// below the bound (10,000 lines indented 300 columns is 9e8).
const maxNestingCost = 1_000_000_000

// ErrTooDeep says the Markdown nests containers too deeply to render in
// reasonable time.
var ErrTooDeep = errors.New("Markdown nests blockquotes or lists too deeply to render") //nolint:staticcheck // ST1005: Markdown is a name

// nestingCost sums the squares of the lines' container prefixes, stopping
// once it passes the bound.
func nestingCost(md []byte) int {
	cost := 0
	for len(md) > 0 && cost <= maxNestingCost {
		w := 0
	prefix:
		for _, c := range md {
			switch c {
			case '\t':
				w += 4
			case ' ', '>', '-', '*', '+', '.', ')', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
				w++
			default:
				break prefix
			}
		}
		cost += w * w
		i := bytes.IndexByte(md, '\n')
		if i < 0 {
			break
		}
		md = md[i+1:]
	}
	return cost
}

// toHTML renders Markdown (with raw HTML), sanitises it, makes every URL
// absolute against base, escapes characters feeds must not carry raw and
// balances the tags, so a strict HTML5 parser reads the result without
// error (stricthtml.Check).
// Markdown nested too deeply for goldmark (see maxNestingCost) is shown
// as preformatted text instead.
func toHTML(md []byte, base string) string {
	if nestingCost(md) > maxNestingCost {
		return feedtext.HTML("<pre>" + html.EscapeString(string(md)) + "</pre>")
	}
	o := getOut()
	defer putOut(o)
	safe := renderSafe(o, md)
	abs := absolutize(o.scratch, safe, base)
	if len(abs) > 0 && &abs[0] != &safe[0] {
		o.scratch = abs // keep the grown buffer for the next post
	}
	out := feedtext.HTML(string(bytes.TrimSpace(abs)))
	if o.mixed && stricthtml.Check(out) != nil {
		// Raw HTML with unbalanced or misnested tags, or links in link
		// text: parsed as a browser would and written back. Output
		// without either is balanced as written (see htmlOut.mixed).
		out = stricthtml.Balance(out)
	}
	return out
}

// renderSafe renders Markdown into o's buffer as sanitised HTML: what the
// policy makes of goldmark's unsafe rendering, up to the raw HTML split
// across nodes (see htmlrender.go). The result is valid until o is reused.
func renderSafe(o *htmlOut, md []byte) []byte {
	o.buf, o.mixed = o.buf[:0], false
	if cap(o.buf) < len(md)+len(md)/4 {
		o.buf = make([]byte, 0, len(md)+len(md)/4)
	}
	if err := markdown.Convert(md, o); err != nil {
		// goldmark only fails on writer errors; htmlOut has none.
		panic(fmt.Sprintf("goldmark: %v", err))
	}
	if bytes.IndexByte(o.buf, '\r') >= 0 {
		// Text keeps the CRs of its source; the sanitiser's tokenizer
		// turned them into LFs. Raw HTML and attributes have none left.
		o.buf = bytes.ReplaceAll(bytes.ReplaceAll(o.buf, []byte("\r\n"), []byte("\n")), []byte("\r"), []byte("\n"))
	}
	return o.buf
}

// autoSummary takes the first paragraphs of the text up to about max
// characters, cut on a word boundary.
func autoSummary(contentHTML string, max int) string {
	// summarise stops at the paragraph that brings it to max characters,
	// separators included; paragraphs counts one after each paragraph.
	return summarise(paragraphs(contentHTML, max+1), max)
}

// summarise is autoSummary given the paragraphs' text.
func summarise(paras []string, max int) string {
	out := make([]rune, 0, 2*max) // enough for most summaries
	for _, para := range paras {
		if len(out) > 0 {
			out = append(out, ' ')
		}
		for _, r := range para {
			out = append(out, r)
		}
		if len(out) >= max {
			break
		}
	}
	if len(out) <= max+max/5 {
		return strings.TrimSpace(string(out))
	}
	cut := max
	for cut > max/2 && !unicode.IsSpace(out[cut]) {
		cut--
	}
	if cut <= max/2 {
		cut = max // one long word (or a script without spaces): cut anyway
	}
	s := strings.TrimRightFunc(string(out[:cut]), func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsPunct(r) && r != ')' && r != '"'
	})
	return s + "…"
}

// sumRendered sets RenderSum from the rendered fields.
func (p *Post) sumRendered() {
	h := sha256.New()
	for _, s := range []string{p.ContentHTML, p.SummaryHTML, p.SummaryText} {
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		io.WriteString(h, s)
	}
	var sum [sha256.Size]byte
	copy(p.RenderSum[:], h.Sum(sum[:0]))
}
