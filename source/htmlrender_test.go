package source

import (
	"bytes"
	"fmt"
	"html"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
	"github.com/syndicate/syndicate/feedtext"
	"github.com/syndicate/syndicate/internal/casefile"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	ghtml "github.com/yuin/goldmark/renderer/html"
	gtext "github.com/yuin/goldmark/text"
	xhtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// reference is the pipeline renderSafe replaces: goldmark's own HTML with
// raw HTML passed through, then the policy over the whole document.
var reference = goldmark.New(
	goldmark.WithExtensions(
		extension.Linkify,
		extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute)),
		extension.Strikethrough,
		extension.TaskList,
		extension.Footnote,
	),
	goldmark.WithParserOptions(parser.WithAutoHeadingID()),
	goldmark.WithRendererOptions(ghtml.WithUnsafe()),
)

func referenceHTML(t testing.TB, md []byte) string {
	t.Helper()
	var buf bytes.Buffer
	if err := reference.Convert(md, &buf); err != nil {
		t.Fatal(err)
	}
	return string(policy().SanitizeBytes(buf.Bytes()))
}

// hasRawHTML reports whether Markdown holds raw HTML, the one part of the
// output the reference sanitised as a whole and renderSafe by node.
func hasRawHTML(md []byte) bool {
	doc := markdown.Parser().Parse(gtext.NewReader(md))
	found := false
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if k := n.Kind(); k == ast.KindRawHTML || k == ast.KindHTMLBlock {
			found = true
			return ast.WalkStop, nil
		}
		return ast.WalkContinue, nil
	})
	return found
}

func renderSafeString(md []byte) string {
	o := getOut()
	defer putOut(o)
	return string(renderSafe(o, md))
}

// checkRenderSafe asserts that renderSafe's output is a fixed point of the
// policy and, when exact is set or the input has no raw HTML, that it is
// byte for byte what the reference pipeline makes.
func checkRenderSafe(t *testing.T, md []byte, exact bool) {
	t.Helper()
	got := renderSafeString(md)
	if again := string(policy().SanitizeBytes([]byte(got))); again != got {
		t.Errorf("the sanitiser changes the output of %q\n got: %q\nthen: %q", md, got, again)
	}
	content := toHTML(md, testLink)
	for _, limit := range []int{0, summaryTarget + 1} {
		if got, want := paragraphs(content, limit), paragraphsTokenized(content, limit); !slices.Equal(got, want) {
			t.Errorf("paragraphs(%q, %d)\n got: %q\nwant: %q", content, limit, got, want)
		}
	}
	// Reading only the first paragraphs makes the same summary as all.
	if got, want := autoSummary(content, summaryTarget), summarise(paragraphs(content, 0), summaryTarget); got != want {
		t.Errorf("autoSummary(%q) = %q, from all paragraphs %q", content, got, want)
	}
	if exact || !hasRawHTML(md) {
		if want := referenceHTML(t, md); got != want {
			t.Errorf("output of %q differs from goldmark+bluemonday\n got: %q\nwant: %q", md, got, want)
		}
	}
}

// renderInputs are Markdown inputs whose output must be exactly today's:
// every Markdown fixture and summary case, and, with -corpus, a content
// folder (such as cmd/gencontent's).
func renderInputs(t *testing.T) map[string][]byte {
	t.Helper()
	in := map[string][]byte{}
	roots := []string{"testdata"}
	if *benchCorpus != "" {
		roots = append(roots, *benchCorpus)
	}
	for _, root := range roots {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.Contains(p, "fuzz") {
				return err
			}
			if ext := filepath.Ext(p); ext != ".md" && ext != ".markdown" {
				return nil
			}
			data, err := os.ReadFile(p)
			in[p] = data
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range casefile.Read(t, filepath.Join("testdata", "summary.txt")) {
		in["summary.txt body "+c.Name] = []byte(c.Sections["body"])
		if s, ok := c.Sections["summary"]; ok {
			in["summary.txt summary "+c.Name] = []byte(s)
		}
	}
	return in
}

func TestRenderMatchesReference(t *testing.T) {
	for name, md := range renderInputs(t) {
		t.Run(name, func(t *testing.T) { checkRenderSafe(t, md, true) })
	}
}

// TestRenderIsSanitiserFixedPoint covers hostile and odd input, where raw
// HTML split across nodes may legitimately come out differently from the
// reference (see htmlrender.go); without raw HTML it must not.
func TestRenderIsSanitiserFixedPoint(t *testing.T) {
	cases := append([]string{}, xssCorpus...)
	cases = append(cases,
		"[a](<>) [b]() [c](# \"t\") [d](x \"bad?title\") [e](javascript:x \"Good title\")",
		"![](javascript:x) ![alt **b** `c`](y \"t\") ![a\nb](c) ![a  \nb](c)",
		"![x](java\tscript:1) [x](http://a b) [x](<a b>) [x](http://[::1) [x](%zz)",
		"<https://a.example/?x=<y>> <mailto:a@b.example> a@b.example www.x.example/a_(b) http://x.example/&amp;",
		"mail a.b+c@example.org, (www.example.com) *http://x.example/y* _ftp://f.example_ ~https://s.example~ x@y (a@b.c) me@here.\n"+
			strings.Repeat("a", 64)+"@example.org "+strings.Repeat("b", 65)+"@example.org\twww.tab.example\nhttps://line.example/ Www.no.example HTTP://no.example",
		// A first paragraph one character short of a summary.
		strings.Repeat("a ", (summaryTarget-1)/2)+"b\n\nSecond paragraph.",
		"# Café\n## ü\n## \"quoted\" & <b>\n### 1\n#\n",
		"1. a\n2. b\n\n3) c\n\n7. d\n",
		"```go weird\"lang\nx\n```\n    indented <code>\n\n`a & b` ``c`d``",
		"Text[^a] again[^a] and[^b].\n\n[^a]: Note *one*.\n[^b]: Two.\n",
		"a\\*b \\< &copy; &#x26; &#38; &#0; &#xD800; &bogus; &amp &#1234567; &#39;'\"",
		"line  \nbreak\\\nand soft\nbreak\r\nwith CR\rlone",
		"| a | b |\n|:-:|:--|\n| `|` | ~~x~~ |\n",
		"- [ ] a\n- [x] b\n  - [X] c\n",
		"<div>\n\n*md inside*\n\n</div>",
		"<iframe>\n\n*kept now*\n\n</iframe>",
		"<a href=\"/x\">one\n\ntwo</a>",
		"<div title=\"unterminated\n\nnext paragraph",
		"<!-- open comment\n\n*md*\n\n-->",
		"a <span>inline</span> b <a href=/z>c</a> <a>d</a> <img src=x onerror=y>",
		"x\x00y `a\x00b` <b>\x00</b>\n\n<div>\x00</div>",
	)
	for i, in := range cases {
		t.Run(strings.ReplaceAll(in[:min(len(in), 30)], "/", "_")+"#"+string(rune('a'+i%26)), func(t *testing.T) {
			checkRenderSafe(t, []byte(in), false)
		})
	}
}

// FuzzRenderSafe: for any Markdown the output is left unchanged by the
// policy, and without raw HTML it is exactly the reference's.
func FuzzRenderSafe(f *testing.F) {
	addFixtureSeeds(f, func(b []byte) { f.Add(b) })
	for _, x := range xssCorpus {
		f.Add([]byte(x))
	}
	f.Fuzz(func(t *testing.T, md []byte) {
		if nestingCost(md) > maxNestingCost/100 {
			return
		}
		checkRenderSafe(t, md, false)
	})
}

// FuzzPolicyURL holds policyURL to the sanitiser's verdict on the same
// URL in an <a href>.
func FuzzPolicyURL(f *testing.F) {
	for _, s := range []string{
		"https://example.org/a?b=c&d#e", "/rel", "#frag", "", " ", "javascript:alert(1)", "mailto:x@y",
		"HTTP://X", "//cdn.example/x", "a b", " http://x ", "http://[::1", "%zz", "data:image/png;base64,AA==",
		"?q=a&amp;b", "http://x/\u00e9", "ftp://x", "\x00", "http://a\tb",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.ContainsAny(s, "\r\x00") {
			return // the tokenizer rewrites them before bluemonday looks
		}
		in := `<a href="` + html.EscapeString(s) + `">x</a>`
		want := string(policy().SanitizeBytes([]byte(in)))
		got := "x"
		if v, ok := policyURL(s); ok {
			got = string(appendEscaped([]byte(`<a href="`), v)) + `" rel="nofollow">x</a>`
		}
		if got != want {
			t.Errorf("policyURL(%q): got %q, bluemonday %q", s, got, want)
		}
	})
}

// paragraphsTokenized is paragraphs done with x/net/html's tokenizer, as
// it was before paragraphs relied on toHTML's serialised form.
func paragraphsTokenized(fragment string, limit int) []string {
	z := xhtml.NewTokenizer(strings.NewReader(fragment))
	var paras []string
	total := 0
	var cur strings.Builder
	skip := 0
	flush := func() {
		if t := strings.Join(strings.Fields(feedtext.Plain(cur.String())), " "); t != "" {
			paras = append(paras, t)
			total += utf8.RuneCountInString(t) + 1
		}
		cur.Reset()
	}
	notProse := func(a atom.Atom, hasAttr bool) bool {
		if a == atom.Script || a == atom.Style || a == atom.Template {
			return true
		}
		for hasAttr {
			var k, v []byte
			k, v, hasAttr = z.TagAttr()
			if string(k) == "class" && (string(v) == "footnotes" || string(v) == "footnote-ref") {
				return true
			}
		}
		return false
	}
	for {
		if limit > 0 && total >= limit {
			return paras
		}
		tt := z.Next()
		switch tt {
		case xhtml.ErrorToken:
			flush()
			return paras
		case xhtml.TextToken:
			if skip == 0 {
				cur.Write(z.Text())
			}
		case xhtml.StartTagToken, xhtml.EndTagToken, xhtml.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			a := atom.Lookup(name)
			void := voidTags[a] || tt == xhtml.SelfClosingTagToken
			switch {
			case skip > 0 && tt == xhtml.StartTagToken && !void:
				skip++
				continue
			case skip > 0 && tt == xhtml.EndTagToken:
				skip--
				continue
			case skip > 0:
				continue
			case tt == xhtml.StartTagToken && !void && notProse(a, hasAttr):
				skip = 1
				continue
			}
			if blockTags[a] {
				flush()
			} else if a == atom.Img {
				cur.WriteByte(' ')
			}
		}
	}
}

// FuzzHasScheme: absolutize skips a URL hasScheme accepts, which is right
// only if resolveRef would have left it alone.
func FuzzHasScheme(f *testing.F) {
	for _, s := range []string{"https://x", "HTTP://x", "mailto:a", "a:b", ":x", "1a:b", "a.b-c+d:e", "/x:y", " http://x", "http://[::1", "a\x00:b"} {
		f.Add(s)
	}
	base, err := url.Parse(testLink)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !hasScheme([]byte(s)) {
			return
		}
		if v, ok := resolveRef(base, s); ok {
			t.Errorf("hasScheme(%q) but resolveRef makes it %q", s, v)
		}
	})
}

// FuzzPolicyText holds policyText and policyID to the policy's patterns.
func FuzzPolicyText(f *testing.F) {
	for _, s := range []string{"", "Plain text, (really) [ok]!", "a?b", "é ü 漢字 ² ª", "tab\there\r\n", "\v", "\u00a0", "\ufffd", "\xff", "_-.:", "ü"} {
		f.Add(s)
	}
	idPattern := regexp.MustCompile(`[a-zA-Z0-9\:\-_\.]+`)
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := policyText(s), bluemonday.Paragraph.MatchString(s); got != want {
			t.Errorf("policyText(%q) = %v, bluemonday.Paragraph says %v", s, got, want)
		}
		if got, want := policyID(s), idPattern.MatchString(s); got != want {
			t.Errorf("policyID(%q) = %v, the id pattern says %v", s, got, want)
		}
	})
}

// FuzzMayLinkify: where mayLinkify says no, goldmark's linkify parser
// finds nothing either.
func FuzzMayLinkify(f *testing.F) {
	for _, s := range []string{" http://x.example", "(www.a.example)", "*https://a", "~ftp://x", " me@example.org", "a.b+c@d.e", strings.Repeat("a", 64) + "@b.c", strings.Repeat("a", 65) + "@b.c", "a b@c.d", "a\tb@c.d", "_x@y.z_", " Www.x.y"} {
		f.Add([]byte(s))
	}
	inner := extension.NewLinkifyParser()
	// The harness can see a link at all.
	for _, s := range []string{" me@example.org", "(www.a.example)", " https://a.example/"} {
		if inner.Parse(ast.NewParagraph(), gtext.NewReader([]byte(s)), parser.NewContext()) == nil {
			f.Fatalf("linkify finds nothing in %q", s)
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		r := gtext.NewReader(src)
		line, _ := r.PeekLine()
		if len(line) == 0 || mayLinkify(line) {
			return
		}
		if n := inner.Parse(ast.NewParagraph(), r, parser.NewContext()); n != nil {
			t.Errorf("mayLinkify(%q) = false, but linkify makes a %s", line, n.Kind())
		}
	})
}

// TestRenderConcurrently renders the same inputs from several goroutines:
// pooled buffers and the raw HTML memo must not leak between posts.
func TestRenderConcurrently(t *testing.T) {
	var inputs [][]byte
	for _, md := range renderInputs(t) {
		inputs = append(inputs, md)
	}
	for _, x := range xssCorpus {
		inputs = append(inputs, []byte(x))
	}
	want := make([]string, len(inputs))
	for i, md := range inputs {
		want[i] = toHTML(md, testLink)
	}
	errs := make(chan string, 4*len(inputs))
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for k := range inputs {
				i := (k + g*len(inputs)/4) % len(inputs)
				if got := toHTML(inputs[i], testLink); got != want[i] {
					errs <- fmt.Sprintf("input %d: got %q, want %q", i, got, want[i])
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
