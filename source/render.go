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
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	ghtml "github.com/yuin/goldmark/renderer/html"
	gtext "github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
	"golang.org/x/sync/errgroup"
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
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(s.cfg.Workers)
	for i, p := range posts {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := s.render(p); err != nil {
				errs[i] = fileError(p.Path, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
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

func (s *Scanner) render(p *Post) error {
	if p.Rendered() {
		return nil // from the cache: its file has not changed
	}
	data, info, err := s.load(p.Path)
	if err != nil {
		return err
	}
	if info.Size() != p.size || !info.ModTime().Equal(p.modTime) {
		return errors.New("file changed during the build; it will be read again next time")
	}
	if p.bodyOffset > int64(len(data)) {
		return errors.New("file changed during the build")
	}
	body := data[p.bodyOffset:]
	if nestingCost(body) > maxNestingCost {
		return ErrTooDeep
	}
	RenderBody(p, body)
	if s.cfg.Cache != nil {
		s.cfg.Cache.storeRendered(p)
	}
	return nil
}

// RenderBody turns a post's Markdown body into safe, absolute HTML and
// derives its summary. A body nested too deeply to render in reasonable
// time (Scanner.Render reports it as ErrTooDeep) becomes preformatted text.
func RenderBody(p *Post, body []byte) {
	defer p.sumRendered()
	p.ContentHTML = toHTML(body, p.Link)
	switch {
	case p.frontSummary != "":
		p.SummaryHTML = toHTML([]byte(p.frontSummary), p.Link)
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
		p.SummaryHTML = escapeSpecials("<p>" + html.EscapeString(p.SummaryText) + "</p>")
	}
}

// maxNestingCost bounds the work goldmark does on deeply nested
// containers. Its cost grows with the square of each line's container
// prefix ("> > > ", list markers, indentation): a few MB of lines each
// nested a thousand levels deep would take minutes. Real posts stay far
// below the bound (10,000 lines indented 300 columns is 9e8).
const maxNestingCost = 1_000_000_000

// ErrTooDeep: the Markdown nests containers too deeply to render in
// reasonable time.
var ErrTooDeep = errors.New("Markdown nests blockquotes or lists too deeply to render")

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
// absolute against base and escapes characters feeds must not carry raw.
// Markdown nested too deeply for goldmark (see maxNestingCost) is shown
// as preformatted text instead.
func toHTML(md []byte, base string) string {
	if nestingCost(md) > maxNestingCost {
		return escapeSpecials("<pre>" + html.EscapeString(string(md)) + "</pre>")
	}
	o := getOut()
	defer putOut(o)
	safe := renderSafe(o, md)
	abs := absolutize(o.scratch, safe, base)
	if len(abs) > 0 && &abs[0] != &safe[0] {
		o.scratch = abs // keep the grown buffer for the next post
	}
	return escapeSpecials(string(bytes.TrimSpace(abs)))
}

// renderSafe renders Markdown into o's buffer as sanitised HTML: what the
// policy makes of goldmark's unsafe rendering, up to the raw HTML split
// across nodes (see htmlrender.go). The result is valid until o is reused.
func renderSafe(o *htmlOut, md []byte) []byte {
	o.buf = o.buf[:0]
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

// escapeSpecials writes C1 controls, U+FFFD and non-characters as numeric
// references (valid in XML, but readers and validators choke on them raw)
// and drops the C0 controls XML forbids even as references, which
// entities such as &#1; in a post produce.
func escapeSpecials(s string) string {
	special := func(r rune) bool {
		return r < 0x20 && r != '\t' && r != '\n' && r != '\r' ||
			r >= 0x7f && r <= 0x9f || r == utf8.RuneError || r == 0xfffe || r == 0xffff
	}
	// What strings.IndexFunc(s, special) < 0 says, without a call per
	// character: most of a post is ASCII.
	clean := true
	for i := 0; i < len(s); {
		if i+8 <= len(s) {
			// Eight bytes at a time while they are printable ASCII.
			v := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
				uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
			const ones, highs = 0x0101010101010101, 0x8080808080808080
			// A byte >= 0x80, or 0x7f (which +1 carries into bit 7), or < 0x20.
			if (v|(v+ones)|(v-0x20*ones))&highs == 0 {
				i += 8
				continue
			}
		}
		if c := s[i]; c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
				clean = false
				break
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if special(r) {
			clean = false
			break
		}
		i += size
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for _, r := range s {
		switch {
		case r < 0x20 && r != '\t' && r != '\n' && r != '\r':
			// XML 1.0 forbids it; drop.
		case special(r):
			fmt.Fprintf(&b, "&#x%X;", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// cleanText drops from plain text the controls and non-characters that
// have no place in a title or summary; U+FFFD stays, it is a character.
func cleanText(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\n' && r != '\t' || r >= 0x7f && r <= 0x9f || r == 0xfffe || r == 0xffff {
			return -1
		}
		return r
	}, s)
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
