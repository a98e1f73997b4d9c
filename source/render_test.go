package source

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/syndicate/syndicate/internal/casefile"
	"github.com/syndicate/syndicate/stricthtml"
	"golang.org/x/net/html"
)

const testLink = "https://example.org/blog/2024/01/02/post/"

func render(body string) *Post {
	p := &Post{Title: "The title", Link: testLink}
	renderBody(p, []byte(body), p.frontSummary)
	return p
}

func TestGFM(t *testing.T) {
	tests := []struct {
		name string
		md   string
		want []string
	}{
		{"table", "| a | b |\n|:--|--:|\n| 1 | 2 |\n", []string{"<table>", "<th align=\"left\">a</th>", "<td align=\"right\">2</td>"}},
		{"strikethrough", "~~gone~~", []string{"<del>gone</del>"}},
		{"autolink www", "see www.example.com now", []string{`<a href="http://www.example.com" rel="nofollow">www.example.com</a>`}},
		{"autolink https", "see https://example.com/x?y=1 now", []string{`<a href="https://example.com/x?y=1" rel="nofollow">https://example.com/x?y=1</a>`}},
		{"autolink angle", "<https://example.com/>", []string{`<a href="https://example.com/" rel="nofollow">https://example.com/</a>`}},
		{"task list", "- [x] done\n- [ ] todo\n", []string{`<li><input checked="" disabled="" type="checkbox"> done</li>`, `<li><input disabled="" type="checkbox"> todo</li>`}},
		{"footnote", "Text[^1].\n\n[^1]: The note.\n", []string{
			`<sup id="fnref:1"><a href="` + testLink + `#fn:1" class="footnote-ref" role="doc-noteref" rel="nofollow">1</a></sup>`,
			`<div class="footnotes" role="doc-endnotes">`,
			`<li id="fn:1">`,
			`<a href="` + testLink + `#fnref:1" class="footnote-backref" role="doc-backlink" rel="nofollow">`,
		}},
		{"heading ids", "## Hello world", []string{`<h2 id="hello-world">Hello world</h2>`}},
		{"raw HTML kept", "<figure><img src=\"a.png\" alt=\"A\"><figcaption>Cap</figcaption></figure>", []string{`<figure><img src="` + testLink + `a.png" alt="A"><figcaption>Cap</figcaption></figure>`}},
		{"code", "```go\nx := 1 < 2\n```", []string{"<pre><code>x := 1 &lt; 2\n</code></pre>"}},
		{"picture", `<picture><source srcset="a.webp 1x, b.webp 2x" type="image/webp"><img src="a.jpg" alt=""></picture>`, []string{
			`<source srcset="` + testLink + `a.webp 1x, ` + testLink + `b.webp 2x" type="image/webp">`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := render(tt.md).ContentHTML
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("output lacks %s\ngot: %s", w, got)
				}
			}
			assertSafe(t, got)
		})
	}
}

// xssCorpus is hostile input, raw HTML and Markdown alike.
var xssCorpus = []string{
	`<script>alert(1)</script>`,
	`<SCRIPT SRC=//evil.example/x.js></SCRIPT>`,
	`<scr<script>ipt>alert(1)</scr</script>ipt>`,
	`<img src=x onerror=alert(1)>`,
	`<img src="x" OnError="alert(1)">`,
	`<body onload=alert(1)>`,
	`<svg onload=alert(1)><script>alert(2)</script></svg>`,
	`<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>`,
	`<math><a xlink:href="javascript:alert(1)">x</a></math>`,
	`<iframe srcdoc="<script>alert(1)</script>"></iframe>`,
	`<iframe src="javascript:alert(1)"></iframe>`,
	`<object data="javascript:alert(1)"></object>`,
	`<embed src="data:text/html,<script>alert(1)</script>">`,
	`<a href="javascript:alert(1)">x</a>`,
	`<a href="JaVaScRiPt:alert(1)">x</a>`,
	`<a href=" javascript:alert(1)">x</a>`,
	`<a href="java&#x09;script:alert(1)">x</a>`,
	`<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>`,
	`<a href="&#x6A;avascript&colon;alert(1)">x</a>`,
	`<a href="javascript&#58;alert(1)">x</a>`,
	`<a href="vbscript:msgbox(1)">x</a>`,
	`<a href="VBScript:msgbox(1)">x</a>`,
	`<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>`,
	`<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">`,
	`<img srcset="javascript:alert(1) 1x, data:image/png;base64,AAAA 2x, ok.png 3x">`,
	`<form action="javascript:alert(1)"><button formaction="javascript:alert(2)">x</button></form>`,
	`<div style="background:url(javascript:alert(1))">x</div>`,
	`<div style="width: expression(alert(1))">x</div>`,
	`<style>body{background:url("javascript:alert(1)")}</style>`,
	`<link rel="stylesheet" href="javascript:alert(1)">`,
	`<meta http-equiv="refresh" content="0;url=javascript:alert(1)">`,
	`<base href="javascript:alert(1)//">`,
	`<details open ontoggle=alert(1)>x</details>`,
	`<video poster="javascript:alert(1)"><source src="javascript:alert(2)"></video>`,
	`<input type="image" src="javascript:alert(1)">`,
	`<input type="text" onfocus="alert(1)" autofocus>`,
	`<table background="javascript:alert(1)"><tr><td>x</td></tr></table>`,
	`<a href="#" onclick="alert(1)">x</a>`,
	`<template><script>alert(1)</script></template>`,
	`<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>`,
	`<!--<script>alert(1)</script>-->`,
	`<![CDATA[<script>alert(1)</script>]]>`,
	`[x](javascript:alert(1))`,
	`[x](JAVASCRIPT:alert(1))`,
	`[x](javascript&#58;alert(1))`,
	`[x](<javascript:alert(1)>)`,
	`[x]( javascript:alert(1) )`,
	`[x](vbscript:msgbox(1))`,
	`[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)`,
	"[x][r]\n\n[r]: javascript:alert(1)",
	`![x](javascript:alert(1))`,
	`![x](data:image/svg+xml,<svg onload=alert(1)>)`,
	`<javascript:alert(1)>`,
	"`<script>` in code is text",
	"```html\n<script>alert(1)</script>\n```",
	`<a href="https://ok.example/" target="_blank" onmouseover="alert(1)">ok</a>`,
	`<img src="x.png" alt="x" onerror="alert(1)" / >`,
	`<a href="https://ok.example/"onclick=alert(1)>x</a>`,
	`<p/onmouseover=alert(1)>x</p>`,
	`<x onclick=alert(1)>x</x>`,
	"<scr\x00ipt>alert(1)</scr\x00ipt>",
}

func TestSanitise(t *testing.T) {
	for i, in := range xssCorpus {
		t.Run(fmt.Sprintf("%02d", i), func(t *testing.T) {
			p := render(in)
			assertSafe(t, p.ContentHTML)
			assertSafe(t, p.SummaryHTML)
			// The same input as a front matter summary.
			q := &Post{Title: "T", Link: testLink, frontSummary: in}
			renderBody(q, nil, q.frontSummary)
			assertSafe(t, q.SummaryHTML)
		})
	}
}

var (
	badElements = map[string]bool{
		"script": true, "style": true, "iframe": true, "frame": true, "frameset": true, "object": true,
		"embed": true, "applet": true, "svg": true, "math": true, "form": true, "button": true, "base": true,
		"meta": true, "link": true, "template": true, "noscript": true, "textarea": true, "select": true, "body": true,
	}
	urlAttributes = map[string]bool{
		"href": true, "src": true, "poster": true, "cite": true, "longdesc": true, "action": true,
		"formaction": true, "background": true, "data": true, "xlink:href": true, "lowsrc": true, "dynsrc": true,
	}
	scriptish = regexp.MustCompile(`(?i)<\s*/?\s*script`)
)

// assertSafe parses HTML the way a reader would and fails on anything
// that could run script: dangerous elements, event handlers, style, and
// any URL that is not absolute http(s) or mailto.
func assertSafe(t *testing.T, fragment string) {
	t.Helper()
	if scriptish.MatchString(fragment) {
		t.Errorf("output contains a script tag: %s", fragment)
	}
	z := html.NewTokenizer(strings.NewReader(fragment))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		if badElements[tok.Data] {
			t.Errorf("output contains <%s>: %s", tok.Data, fragment)
		}
		for _, a := range tok.Attr {
			k := strings.ToLower(a.Key)
			switch {
			case strings.HasPrefix(k, "on"), k == "style", k == "srcdoc", k == "formaction":
				t.Errorf("output has attribute %s=%q: %s", a.Key, a.Val, fragment)
			case tok.Data == "input" && k == "type" && a.Val != "checkbox":
				t.Errorf("output has an input of type %q: %s", a.Val, fragment)
			case urlAttributes[k]:
				checkURL(t, k, a.Val, fragment)
			case k == "srcset":
				for _, c := range strings.Split(a.Val, ",") {
					if f := strings.Fields(c); len(f) > 0 {
						checkURL(t, k, f[0], fragment)
					}
				}
			}
		}
	}
}

func checkURL(t *testing.T, attr, v, fragment string) {
	t.Helper()
	clean := strings.ToLower(strings.Map(func(r rune) rune {
		if r <= ' ' {
			return -1
		}
		return r
	}, v))
	if !strings.HasPrefix(clean, "https://") && !strings.HasPrefix(clean, "http://") && !strings.HasPrefix(clean, "mailto:") {
		t.Errorf("%s=%q is not an absolute http(s) or mailto URL: %s", attr, v, fragment)
	}
}

func TestAbsoluteURLs(t *testing.T) {
	tests := []struct {
		name, md, want string
	}{
		{"markdown link", "[a](other/)", `href="https://example.org/blog/2024/01/02/post/other/"`},
		{"markdown root-relative", "[a](/about/)", `href="https://example.org/about/"`},
		{"markdown parent", "[a](../x.html)", `href="https://example.org/blog/2024/01/02/x.html"`},
		{"markdown image", "![i](img/a.png)", `src="https://example.org/blog/2024/01/02/post/img/a.png"`},
		{"markdown reference", "[a][r]\n\n[r]: b.html", `href="https://example.org/blog/2024/01/02/post/b.html"`},
		{"fragment only", "[a](#section)", `href="https://example.org/blog/2024/01/02/post/#section"`},
		{"query only", "[a](?page=2)", `href="https://example.org/blog/2024/01/02/post/?page=2"`},
		{"protocol-relative", "[a](//cdn.example/x.js)", `href="https://cdn.example/x.js"`},
		{"absolute untouched", "[a](http://other.example/x)", `href="http://other.example/x"`},
		{"mailto untouched", "[a](mailto:me@example.org)", `href="mailto:me@example.org"`},
		{"raw a", `<a href="rel.html">a</a>`, `href="https://example.org/blog/2024/01/02/post/rel.html"`},
		{"raw img", `<img src="/wp-content/uploads/a.jpg" alt="">`, `src="https://example.org/wp-content/uploads/a.jpg"`},
		{"raw img srcset", `<img src="a.jpg" srcset="a-300.jpg 300w, /b-600.jpg 600w" sizes="(max-width: 600px) 100vw, 600px" alt="">`,
			`srcset="https://example.org/blog/2024/01/02/post/a-300.jpg 300w, https://example.org/b-600.jpg 600w"`},
		{"srcset without descriptors", `<img src="a.jpg" srcset="a.jpg, b.jpg 2x">`,
			`srcset="https://example.org/blog/2024/01/02/post/a.jpg, https://example.org/blog/2024/01/02/post/b.jpg 2x"`},
		{"raw blockquote cite", `<blockquote cite="src.html">q</blockquote>`, `cite="https://example.org/blog/2024/01/02/post/src.html"`},
		{"raw fragment", `<a href="#top">top</a>`, `href="https://example.org/blog/2024/01/02/post/#top"`},
		{"entity in URL", `<a href="a.html?x=1&amp;y=2">a</a>`, `href="https://example.org/blog/2024/01/02/post/a.html?x=1&amp;y=2"`},
		{"spaces percent-encoded", `[a](<my file.pdf>)`, `href="https://example.org/blog/2024/01/02/post/my%20file.pdf"`},
		{"unicode path", "[a](café/)", `href="https://example.org/blog/2024/01/02/post/caf%C3%A9/"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := render(tt.md).ContentHTML
			if !strings.Contains(got, tt.want) {
				t.Errorf("got %s\nwant it to contain %s", got, tt.want)
			}
			assertSafe(t, got)
		})
	}
}

func TestNoLinkLeavesURLsAlone(t *testing.T) {
	p := &Post{Title: "T"}
	renderBody(p, []byte(`[a](rel/) <img srcset="javascript:alert(1) 1x, ok.png 2x">`), p.frontSummary)
	if !strings.Contains(p.ContentHTML, `href="rel/"`) || strings.Contains(p.ContentHTML, "javascript") {
		t.Errorf("got %s", p.ContentHTML)
	}
}

func TestSpecialCharacters(t *testing.T) {
	tests := []struct {
		name, md string
		want     []string
	}{
		{"C1 control, mapped as Windows-1252", "a\u0085b \u009fc", []string{"a…b Ÿc"}},
		{"C1 control Windows-1252 leaves undefined", "a\u0081b\u009dc", []string{"abc"}},
		{"replacement character", "bad \ufffd byte", []string{"bad &#xFFFD; byte"}},
		{"non-characters", "x\ufffey\uffffz\ufdd0!", []string{"xyz!"}},
		{"C1 from an entity", "a&#x85;b", []string{"a…b"}},
		{"Windows-1252 remap of &#133;", "<p>a&#133;b</p>", []string{"a…b"}},
		{"NUL becomes U+FFFD", "a&#0;b", []string{"a&#xFFFD;b"}},
		{"XML-forbidden entity", "a&#1;b&#x1F;c", nil},
		{"CDATA end", "a ]]> b", []string{"a ]]&gt; b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := render(tt.md)
			for _, s := range []string{p.ContentHTML, p.SummaryHTML} {
				for _, w := range tt.want {
					if s == p.ContentHTML && !strings.Contains(s, w) {
						t.Errorf("content %q lacks %q", s, w)
					}
				}
				checkXMLText(t, s, true)
			}
			checkXMLText(t, p.SummaryText, false)
		})
	}
}

// TestStrictHTML: raw HTML as WordPress exports hold it, unbalanced and
// misnested, comes out in content and summaries as HTML a strict HTML5
// parser reads without error, shaped as a browser shapes it.
func TestStrictHTML(t *testing.T) {
	tests := []struct{ name, md, want string }{
		{"stray end tag", "text</p>\n\nmore", "<p>text</p><p></p>\n<p>more</p>"},
		{"end tags for nothing", "a</span></em> b", "<p>a b</p>"},
		{"a inside a", `<a href="/x">one <a href="/y">two</a></a>`,
			`<p><a href="https://example.org/x" rel="nofollow">one </a><a href="https://example.org/y" rel="nofollow">two</a></p>`},
		{"open at the end", "<div><blockquote>\n\nquote *em*", "<div><blockquote>\n<p>quote <em>em</em></p></blockquote></div>"},
		{"block in a paragraph", "<p>a<div>b</div>c</p>", "<p>a</p><div>b</div>c<p></p>"},
		{"misnested heading", "<h2><strong>x</h2></strong>", "<h2><strong>x</strong></h2>"},
		{"table without tbody", "<table><tr><td>x</table>", "<table><tbody><tr><td>x</td></tr></tbody></table>"},
		{"C1 references in raw HTML", "<p>a&#x81;b&#133;c&#150;</p>", "<p>ab…c–</p>"},
		{"bare ampersand in raw HTML", `<p>Q&A <a href="/?a=1&b=2">x</a></p>`,
			`<p>Q&amp;A <a href="https://example.org/?a=1&amp;b=2" rel="nofollow">x</a></p>`},
		{"balanced raw HTML untouched", "<div class=\"x\"><p>a</p></div>", "<div><p>a</p></div>"},
		// goldmark's own markup nests links here: balanced too (x/net/html
		// sorts the attributes of links it parses).
		{"autolink in link text", "[<http://a.example>](http://b.example)",
			`<p><a href="http://b.example" rel="nofollow"></a><a href="http://a.example" rel="nofollow">http://a.example</a></p>`},
		{"no linkify in link text", "[see www.a.example now](http://b.example)",
			`<p><a href="http://b.example" rel="nofollow">see www.a.example now</a></p>`},
		{"footnote reference in link text", "[a[^1]](http://b.example)\n\n[^1]: n",
			`<p><a href="http://b.example" rel="nofollow">a<sup id="fnref:1"></sup></a><a class="footnote-ref" href="https://example.org/blog/2024/01/02/post/#fn:1" rel="nofollow" role="doc-noteref">1</a></p>` +
				"\n<div class=\"footnotes\" role=\"doc-endnotes\">\n<hr>\n<ol>\n<li id=\"fn:1\">\n<p>n\u00a0<a class=\"footnote-backref\" href=\"https://example.org/blog/2024/01/02/post/#fnref:1\" rel=\"nofollow\" role=\"doc-backlink\">\u21a9\ufe0e</a></p>\n</li>\n</ol>\n</div>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := render(tt.md)
			if p.ContentHTML != tt.want {
				t.Errorf("content = %q, want %q", p.ContentHTML, tt.want)
			}
			q := &Post{Title: "T", Link: testLink, frontSummary: tt.md}
			renderBody(q, []byte("Body."), q.frontSummary)
			for _, s := range []string{p.ContentHTML, p.SummaryHTML, q.SummaryHTML} {
				if err := stricthtml.Check(s); err != nil {
					t.Errorf("Check(%q): %v", s, err)
				}
			}
		})
	}
}

// TestFixtureCorporaRender renders every post of the fixture corpora
// (../testdata/corpora, which scripts/feedcheck-all also checks with the
// W3C validator): every content and summary passes stricthtml.Check.
func TestFixtureCorporaRender(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join("..", "testdata", "corpora", "*", "content"))
	if len(dirs) == 0 {
		t.Fatal("no fixture corpora")
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(filepath.Dir(dir)), func(t *testing.T) {
			res := scan(t, dir)
			if len(res.Skipped) > 0 || len(res.Posts) == 0 {
				t.Fatalf("%d posts, skipped %v", len(res.Posts), res.Skipped)
			}
			for _, p := range res.Posts {
				renderPost(t, dir, p)
				for _, s := range []string{p.ContentHTML, p.SummaryHTML} {
					if err := stricthtml.Check(s); err != nil {
						t.Errorf("%s: Check(%q): %v", p.Path, s, err)
					}
				}
			}
		})
	}
}

// checkXMLText fails on characters XML forbids and, in HTML, on raw C1
// controls and U+FFFD (which must be character references there). Plain
// text must not carry controls at all.
func checkXMLText(t *testing.T, s string, isHTML bool) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Errorf("not UTF-8: %q", s)
	}
	for _, r := range s {
		switch {
		case r < 0x20 && r != '\n' && r != '\t' && r != '\r':
			t.Errorf("XML-forbidden U+%04X in %q", r, s)
		case r >= 0x7f && r <= 0x9f:
			t.Errorf("raw control U+%04X in %q", r, s)
		case isHTML && (r == 0xfffd || r == 0xfffe || r == 0xffff):
			t.Errorf("raw U+%04X in HTML %q", r, s)
		case r == 0xfffe || r == 0xffff:
			t.Errorf("non-character U+%04X in %q", r, s)
		}
	}
	if isHTML {
		for _, m := range regexp.MustCompile(`&#(x[0-9a-fA-F]+|[0-9]+);`).FindAllStringSubmatch(s, -1) {
			var n int
			if m[1][0] == 'x' {
				fmt.Sscanf(m[1][1:], "%x", &n)
			} else {
				fmt.Sscanf(m[1], "%d", &n)
			}
			if n < 0x20 && n != '\n' && n != '\t' && n != '\r' {
				t.Errorf("XML-forbidden reference %s in %q", m[0], s)
			}
		}
	}
}

func TestDeepNesting(t *testing.T) {
	tests := []struct {
		name string
		md   string
	}{
		{"10,000 nested blockquotes", strings.Repeat(">", 10000) + " deep"},
		{"10,000 nested lists on one line", strings.Repeat("- ", 10000) + "x"},
		{"10,000 nested ordered lists", strings.Repeat("1. ", 10000) + "x"},
		{"10,000 nested divs", strings.Repeat("<div>", 10000) + "x"},
		{"10,000 nested emphasis", strings.Repeat("*", 10000) + "x" + strings.Repeat("*", 10000)},
		{"10,000 brackets", strings.Repeat("[", 10000) + "x" + strings.Repeat("](y)", 10000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := render(tt.md)
			assertSafe(t, p.ContentHTML)
			if p.SummaryText == "" {
				t.Error("empty summary")
			}
		})
	}
}

func TestNestingTooDeep(t *testing.T) {
	var b strings.Builder
	for i := range 1500 {
		b.WriteString(strings.Repeat("> ", i) + "x\n")
	}
	deep := b.String()
	t.Run("RenderBody falls back to text", func(t *testing.T) {
		start := time.Now()
		p := render(deep + "<script>alert(1)</script>")
		if time.Since(start) > 10*time.Second {
			t.Errorf("took %v", time.Since(start))
		}
		if !strings.HasPrefix(p.ContentHTML, "<pre>x\n&gt; x\n&gt; &gt; x\n") {
			t.Errorf("content starts %q", p.ContentHTML[:40])
		}
		assertSafe(t, p.ContentHTML)
	})
	t.Run("Render reports it", func(t *testing.T) {
		root := writeTree(t, map[string]string{"deep.md": fm("title: Deep", dateLine) + deep})
		res := scan(t, root)
		sc, _ := NewScanner(root, testConfig())
		errs := sc.Render(context.Background(), res.Posts)
		if len(errs) != 1 || !errors.Is(errs[0], ErrTooDeep) || errs[0].Path != "deep.md" {
			t.Errorf("errs = %v, want deep.md: %v", errs, ErrTooDeep)
		}
	})
	t.Run("real indentation is fine", func(t *testing.T) {
		code := "```\n" + strings.Repeat(strings.Repeat(" ", 200)+"x\n", 10000) + "```\n"
		if c := nestingCost([]byte(code)); c > maxNestingCost {
			t.Errorf("cost of a long indented listing = %d", c)
		}
	})
}

// TestRenderSum: RenderBody sums what it made, and another body makes
// another sum.
func TestRenderSum(t *testing.T) {
	sum := func(body string) [16]byte {
		p := &Post{Link: "https://example.org/p/", Title: "T"}
		renderBody(p, []byte(body), p.frontSummary)
		if p.RenderSum == ([16]byte{}) {
			t.Fatal("RenderBody left RenderSum zero")
		}
		return p.RenderSum
	}
	first, again := sum("Hello *world*."), sum("Hello *world*.")
	if first != again || first == sum("Hello *World*.") {
		t.Error("RenderSum does not follow the rendered HTML")
	}
}

// TestSampleIsVerbatim guards the fixture: it must stay a byte-identical
// copy of the real export, quirks included.
func TestSampleIsVerbatim(t *testing.T) {
	const name = "2023/07/us-officials-hold-back-channel-ukraine-talks-with-russia.md"
	orig, err := os.ReadFile(filepath.Join("..", "..", "shared", "content-sample", filepath.FromSlash(name)))
	if err != nil {
		t.Skipf("shared sample not available: %v", err)
	}
	copied, err := os.ReadFile(filepath.Join("testdata", "dialects", "easypress", filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(orig, copied) {
		t.Errorf("testdata copy of %s differs from ../shared/content-sample", name)
	}
}

func TestSampleRender(t *testing.T) {
	root := filepath.Join("testdata", "dialects", "easypress")
	res := scan(t, root)
	if len(res.Posts) != 1 {
		t.Fatalf("got %d posts", len(res.Posts))
	}
	p := res.Posts[0]
	renderPost(t, root, p)
	checkGolden(t, "sample.html", []byte(p.ContentHTML))
	checkGolden(t, "sample.summary.txt", []byte(p.SummaryText+"\n"))
	for _, want := range []string{
		`<a href="https://www.nbcnews.com/news/world/former-us-officials-secret-ukraine-talks-russians-war-ukraine-rcna92610" rel="nofollow">NBCnews</a>`,
		"<blockquote>",
		"<code>&lt;strong&gt;&lt;mark",
	} {
		if !bytes.Contains([]byte(p.ContentHTML), []byte(want)) {
			t.Errorf("content lacks %q", want)
		}
	}
}

func TestDialectRender(t *testing.T) {
	tests := []struct {
		dir, path string
		summary   string
		content   []string
	}{
		{"jekyll", "_posts/2024-05-06-jekyll-post.md", "Jekyll body.", []string{"<p>After the fold.</p>"}},
		{"hugo-toml", "posts/offset.md", "A short description.", []string{"<p>Body of the <strong>TOML</strong> post.</p>"}},
		{"hugo-toml", "posts/date-only.md", "Date only.", nil},
		{"hugo-yaml", "posts/my-bundle/index.md", "See the other post and notes.", []string{
			`<img src="https://example.org/blog/2024/04/01/my-bundle/cover.jpg" alt="cover" title="Cover">`,
			`<a href="https://example.org/blog/2024/04/01/other/" rel="nofollow">the other post</a>`,
			`<a href="https://example.org/blog/2024/04/01/my-bundle/#notes" rel="nofollow">notes</a>`,
		}},
		{"eleventy", "posts/eleventy-post.md", "Custom excerpt.", nil},
		{"zola", "blog/zola-post.md", "Zola description", []string{"<p>Zola body.</p>"}},
		{"json", "json-post.md", "JSON body.", nil},
		{"json", "one-line.md", "One-line JSON body.", []string{"<p>One-line JSON body.</p>"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			root := filepath.Join("testdata", "dialects", tt.dir)
			var p *Post
			for _, x := range scan(t, root).Posts {
				if x.Path == tt.path {
					p = x
				}
			}
			if p == nil {
				t.Fatalf("%s not published", tt.path)
			}
			renderPost(t, root, p)
			if p.SummaryText != tt.summary {
				t.Errorf("SummaryText = %q, want %q", p.SummaryText, tt.summary)
			}
			for _, w := range tt.content {
				if !strings.Contains(p.ContentHTML, w) {
					t.Errorf("content lacks %s\ngot: %s", w, p.ContentHTML)
				}
			}
			assertSafe(t, p.ContentHTML)
		})
	}
}

var caseNum = flag.Int("case", 0, "run only this case of testdata/summary.txt")

// The cases of testdata/summary.txt (casefile.Case) have these sections:
//
//	--- title      (optional; default "The title")
//	--- summary    (optional front matter summary)
//	--- body       (Markdown)
//	--- text       (expected SummaryText)
//	--- html       (optional expected SummaryHTML)

// TestSummaries runs the Markdown -> summary cases of testdata/summary.txt;
// go test -run TestSummaries -case N runs one.
func TestSummaries(t *testing.T) {
	cases := casefile.Read(t, filepath.Join("testdata", "summary.txt"))
	if len(cases) == 0 {
		t.Fatal("no cases")
	}
	for _, c := range cases {
		if *caseNum != 0 && c.Num != *caseNum {
			continue
		}
		t.Run(fmt.Sprintf("%d %s", c.Num, c.Name), func(t *testing.T) {
			title, ok := c.Sections["title"]
			if !ok {
				title = "The title"
			}
			p := &Post{Title: title, Link: testLink, frontSummary: c.Sections["summary"]}
			renderBody(p, []byte(c.Sections["body"]), p.frontSummary)
			if want := c.Sections["text"]; p.SummaryText != want {
				t.Errorf("SummaryText\n got: %q\nwant: %q", p.SummaryText, want)
			}
			if want, ok := c.Sections["html"]; ok && p.SummaryHTML != want {
				t.Errorf("SummaryHTML\n got: %q\nwant: %q", p.SummaryHTML, want)
			}
			if n := len([]rune(p.SummaryText)); n > summaryTarget+summaryTarget/5+1 {
				t.Errorf("summary is %d characters long", n)
			}
			assertSafe(t, p.SummaryHTML)
			checkXMLText(t, p.SummaryHTML, true)
			checkXMLText(t, p.SummaryText, false)
		})
	}
}
