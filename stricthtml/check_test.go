package stricthtml

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html/atom"
)

func TestCheck(t *testing.T) {
	valid := []string{
		"",
		"plain text > with a greater-than sign",
		"<p>a</p>\n<p>b &amp; c &lt; &gt; &#34; &#39; &quot; &apos; &nbsp; &#xFFFD; &#x1F600; &#8230;</p>",
		`<p><a href="https://example.org/?a=1&amp;b=2" title="t" rel="nofollow">x</a></p>`,
		"<p>a<br>b<br/>c<img src=\"x\" alt=\"y\"><wbr></p>",
		"<ul>\n<li>a<ul><li>b</li></ul></li>\n<li><p>c</p></li>\n</ul>",
		"<ol><li><div><p>x</p></div></li></ol><dl><dt>t</dt><dd>d</dd></dl>",
		"<table><thead><tr><th>h</th></tr></thead>\n<tbody><tr><td>x<table><tbody><tr><td>y</td></tr></tbody></table></td></tr></tbody></table>",
		"<table><caption>c</caption><colgroup><col></colgroup><tbody></tbody><tfoot><tr><td></td></tr></tfoot></table>",
		"<h2 id=\"x\">t <em>e</em></h2><h3><a href=\"#x\">b</a></h3>",
		"<blockquote><p>q</p></blockquote><pre><code>a &lt; b\n</code></pre><hr>",
		"<figure><picture><source srcset=\"a 1x\"><img src=\"b\"></picture><figcaption>c</figcaption></figure>",
		"<details><summary>s</summary><p>d</p></details>",
		"<a href=\"a\"><div>block in a link</div></a>",
		"<a href=\"a\"><table><tbody><tr><td><a href=\"b\">cell</a></td></tr></tbody></table></a>",
		"<b><b><b><b>Noah</b></b></b></b>",
		"<li>outside a list</li><p><span>a</span><code>b</code></p>",
		"<ruby>漢<rp>(</rp><rt>kan</rt><rp>)</rp></ruby>",
		"<p><input type=\"checkbox\" checked=\"\" disabled=\"\"> task</p>",
		"text\twith\ttabs\r\nand CR LF and \f form feed",
	}
	for _, s := range valid {
		if err := Check(s); err != nil {
			t.Errorf("Check(%q) = %v, want nil", s, err)
		}
	}
	invalid := []struct{ in, want string }{
		{"</p>", `end tag "p" does not close`},
		{"<p>a", `"p" not closed`},
		{"<div><p>a</div>", `end tag "div" does not close`},
		{"<b><i>x</b></i>", `end tag "b" does not close`},
		{"<p>a<div>b</div></p>", "<div> would close an open <p>"},
		{"<p><ul><li>x</li></ul></p>", "<ul> would close an open <p>"},
		{"<p><table></table></p>", "<table> would close an open <p>"},
		{"<p>a<hr></p>", "<hr> would close an open <p>"},
		{"<p><p>a</p></p>", "<p> would close an open <p>"},
		{"<a href=\"x\"><a href=\"y\">b</a></a>", "<a> inside another <a>"},
		{"<a href=\"x\"><span><a href=\"y\">b</a></span></a>", "<a> inside another <a>"},
		{"<h2><h3>x</h3></h2>", "<h3> inside a heading"},
		{"<li>a<li>b</li></li>", "<li> would close an open list item"},
		{"<li><span><li>b</li></span></li>", "<li> would close an open list item"},
		{"<dt><dd>b</dd></dt>", "<dd> would close an open list item"},
		{"<table><tr><td>x</td></tr></table>", "<tr> out of place in a table"},
		{"<table>text</table>", "text out of place in a table"},
		{"<table><tbody><p>x</p></tbody></table>", "<p> out of place in a table"},
		{"<td>x</td>", "<td> outside its place in a table"},
		{"<rt>x</rt>", "<rt> outside <ruby>"},
		{"<bdo dir=\"rtl\">x</bdo>", `element "bdo" not allowed`},
		{"<font>x</font>", `element "font" not allowed`},
		{"<script>x</script>", `element "script" not allowed`},
		{"<br></br>", "end tag of void element"},
		{"<div/>", "self-closing non-void element"},
		{"<P>x</P>", "'<' that starts no tag"},
		{"<a href=x>y</a>", `attribute not in the form name="value"`},
		{"<a  href=\"x\">y</a>", `attribute not in the form`},
		{"<a href='x'>y</a>", `attribute not in the form`},
		{"<a href=\"x\" href=\"y\">z</a>", `duplicate attribute "href"`},
		{"<a href=\"x?a=1&b=2\">z</a>", `attribute "href": '&' that starts no known`},
		{"<p >x</p>", "attribute not in the form"},
		{"</p >", "end tag not in the form"},
		{"a < b", "'<' that starts no tag"},
		{"<!-- c -->", "'<' that starts no tag"},
		{"<blink>x</blink>", `element "blink" not allowed`},
		{"<zork>x</zork>", `unknown element "zork"`},
		{"AT&T", "'&' that starts no known character reference"},
		{"&copy", "'&' that starts no known character reference"},
		{"&amp", "'&' that starts no known character reference"},
		{"&#38", "not ended by ';'"},
		{"&#x81;", "character reference to U+0081"},
		{"&#133;", "character reference to U+0085"},
		{"&#0;", "character reference to U+0000"},
		{"&#13;", "character reference to U+000D"},
		{"&#xD800;", "character reference to U+D800"},
		{"&#x110000;", "character reference to U+110000"},
		{"&#xFDD0;", "character reference to U+FDD0"},
		{"&#x10FFFF;", "character reference to U+10FFFF"},
		{"&#x000000041;", "not ended by ';'"},
		{"a\u0081b", "character U+0081"},
		{"a\x01b", "character U+0001"},
		{"a\x00b", "character U+0000"},
		{"a\x7fb", "character U+007F"},
		{"a\uFDEFb", "character U+FDEF"},
		{"a\uFFFEb", "character U+FFFE"},
		{"a\U0010FFFFb", "character U+10FFFF"},
		{"a\xffb", "invalid UTF-8"},
	}
	for _, tt := range invalid {
		err := Check(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Check(%q) = %v, want an error containing %q", tt.in, err, tt.want)
		}
	}
}

// TestCheckAgreesWithHTML5Lib holds Check to the parser the W3C Feed
// Validation Service runs: every fragment Check accepts, html5lib in strict
// mode accepts too, and so does every fragment Balance writes. Fragments
// come from the tests' tables, the fuzz corpus and generated tag soup and
// element trees.
func TestCheckAgreesWithHTML5Lib(t *testing.T) {
	var frags []string
	frags = append(frags, balanceInputs...)
	frags = append(frags, fuzzCorpus(t)...)
	rng := rand.New(rand.NewPCG(11, 7))
	for range 2500 {
		frags = append(frags, soup(rng))
	}
	for range 2500 {
		frags = append(frags, tree(rng, 3))
	}
	var all []string
	for _, f := range frags {
		all = append(all, f, Balance(f))
	}
	verdicts := html5lib(t, all)
	accepted, conservative := 0, 0
	for i, f := range all {
		checkErr := Check(f)
		if i%2 == 1 && checkErr != nil {
			t.Errorf("Balance(%q) = %q fails Check: %v", all[i-1], f, checkErr)
		}
		switch {
		case checkErr == nil && verdicts[i] != "":
			t.Errorf("Check accepts %q, html5lib reports %s", f, verdicts[i])
		case checkErr == nil:
			accepted++
		case verdicts[i] == "":
			conservative++
		}
	}
	t.Logf("%d fragments: %d accepted by both, %d accepted by html5lib only (Check is stricter)", len(all), accepted, conservative)
	if accepted < len(all)/3 {
		t.Errorf("only %d fragments accepted: the comparison says little", accepted)
	}
}

// html5lib returns html5lib's verdict on each fragment ("" when it parses
// without error), skipping the test when Debian's python3-html5lib is not
// installed (.ci/run installs it).
func html5lib(t *testing.T, frags []string) []string {
	t.Helper()
	const python = "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil {
		t.Skipf("skipped: %s not found; install python3-html5lib (Debian) to compare with the W3C validator's parser", python)
	}
	in, err := json.Marshal(frags)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, filepath.Join("testdata", "html5lib_check.py"))
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) && ee.ExitCode() == 3 {
		t.Skipf("skipped: %s; install python3-html5lib (Debian) to compare with the W3C validator's parser", strings.TrimSpace(stderr.String()))
	}
	if err != nil {
		t.Fatalf("html5lib_check.py: %v\n%s", err, stderr.String())
	}
	var verdicts []string
	if err := json.Unmarshal(out, &verdicts); err != nil || len(verdicts) != len(frags) {
		t.Fatalf("html5lib_check.py: %d verdicts for %d fragments (%v)", len(verdicts), len(frags), err)
	}
	return verdicts
}

// fuzzCorpus reads the string inputs kept in testdata/fuzz.
func fuzzCorpus(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("testdata", "fuzz", "*", "*"))
	var out []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "string("); ok {
				if s, err := strconv.Unquote(strings.TrimSuffix(v, ")")); err == nil {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

// Accepted elements with typical attributes, and others Check refuses.
var (
	soupStarts = []string{
		`<a href="https://example.org/">`, "<a>", "<abbr>", "<b>", "<bdi>", "<blockquote>", "<br>", "<br/>",
		"<caption>", "<cite>", "<code>", "<col>", "<colgroup>", "<dd>", "<del>", "<details>", "<div>",
		"<dl>", "<dt>", "<em>", "<figcaption>", "<figure>", "<h1>", "<h2>", "<hr>", "<i>",
		`<img src="x.png" alt="x">`, `<input type="checkbox">`, "<li>", "<mark>", "<ol>", "<p>",
		`<p class="x">`, "<picture>", "<pre>", "<q>", "<rp>", "<rt>", "<ruby>", "<s>", "<section>",
		"<small>", "<source>", "<span>", "<strong>", "<sub>", "<summary>", "<sup>", "<table>", "<tbody>",
		`<td colspan="2">`, "<td>", "<tfoot>", "<th>", "<thead>", "<tr>", "<u>", "<ul>", "<wbr>",
		"<hgroup>", "<article>", "<aside>", "<area>", "<map>",
	}
	soupOthers = []string{
		"<bdo>", "<font>", "<nobr>", "<button>", "<form>", "<select>", "<option>", "<svg>", "<math>",
		"<script>", "<textarea>", "<template>", "<xmp>", "<body>", "<html>", "<iframe>", "<noscript>",
		"<listing>", "<center>", "<address>", "<main>", "<nav>", "<menu>", "<object>", "<image>",
		"<P>", "<a href=x>", "<div/>", "<p title='t'>", `<a href="1" href="2">`, "<span  >", "<br />",
	}
	soupText = []string{
		"x", "word ", " ", "\n", "\n\n", "a&b", "&amp;", "&#x81;", "&#133;", "&#0;", "&copy", "&copy;",
		"&foo;", "&#xD800;", "&#x10FFFF;", "&#xFDD0;", "\u0081", "\u0085", "\x01", "\x0c", "\r", "\uFFFE",
		"<", ">", "<!-- c -->", "<!DOCTYPE html>", "<?x?>", "\x00", "&#13;", "&nbsp;", "é", "\t",
	}
)

// soup is random tag soup: start and end tags, accepted or not, and text.
func soup(rng *rand.Rand) string {
	var b strings.Builder
	for range 1 + rng.IntN(24) {
		switch r := rng.IntN(10); {
		case r < 4:
			b.WriteString(soupStarts[rng.IntN(len(soupStarts))])
		case r < 5:
			b.WriteString(soupOthers[rng.IntN(len(soupOthers))])
		case r < 8:
			s := soupStarts[rng.IntN(len(soupStarts))]
			name := strings.FieldsFunc(s, func(r rune) bool { return r == '<' || r == '>' || r == ' ' || r == '/' })[0]
			b.WriteString("</" + name + ">")
		default:
			b.WriteString(soupText[rng.IntN(len(soupText))])
		}
	}
	return b.String()
}

// tree is a random element tree, every element closed, nested in any
// order: many are what Check accepts, many break one rule.
func tree(rng *rand.Rand, depth int) string {
	var b strings.Builder
	for range rng.IntN(4) {
		if depth == 0 || rng.IntN(3) == 0 {
			b.WriteString([]string{"text", " ", "\n", "&amp;", "é"}[rng.IntN(5)])
			continue
		}
		s := soupStarts[rng.IntN(len(soupStarts))]
		name := strings.FieldsFunc(s, func(r rune) bool { return r == '<' || r == '>' || r == ' ' || r == '/' })[0]
		b.WriteString(s)
		if k, _ := kindOf(atomOf(name)); k&void != 0 {
			continue
		}
		b.WriteString(tree(rng, depth-1))
		b.WriteString("</" + name + ">")
	}
	return b.String()
}

func atomOf(name string) atom.Atom { return atom.Lookup([]byte(name)) }

// FuzzCheckChars holds checkChars's byte scan to decoding every rune and
// asking allowedRune.
func FuzzCheckChars(f *testing.F) {
	for _, s := range []string{
		"plain ASCII text, longer than eight bytes", "\u0081", "é\u0085é", "日本語のテキスト\uFDD0",
		"\U0001FFFEabc", "\U0010FFFD ok", "\xc2", "abcdefg\x01", "\x7f", "abcdefgh\uFFFF", "\r\n\t\f",
		"ÿÿÿÿÿÿÿÿ", "\uFFFD\uFFFD", "\U0001F600\U0001F600",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := utf8.ValidString(s)
		for _, r := range s {
			want = want && allowedRune(r)
		}
		if got := checkChars(s) == nil; got != want {
			t.Fatalf("checkChars(%q) accepts: %v, want %v", s, got, want)
		}
	})
}
