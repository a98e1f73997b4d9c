package stricthtml

import (
	"strings"
	"testing"
)

// balanceCases are what WordPress exports hold and what Balance makes of
// it: the tree a browser builds, written back so a strict parser agrees.
var balanceCases = []struct{ name, in, want string }{
	{"balanced stays", "<p>a <em>b</em></p>\n<ul><li>c</li></ul>", "<p>a <em>b</em></p>\n<ul><li>c</li></ul>"},
	{"stray end tag p", "text</p>\n<p>more</p>", "text<p></p>\n<p>more</p>"},
	{"stray end tag div", "<p>a</p></div>b", "<p>a</p>b"},
	{"unclosed at end of file", "<div><p>a<blockquote>b", "<div><p>a</p><blockquote>b</blockquote></div>"},
	{"a inside a", `<a href="x">one <a href="y">two</a></a>`, `<a href="x">one </a><a href="y">two</a>`},
	{"misnested formatting", "<b><i>x</b>y</i>", "<b><i>x</i></b><i>y</i>"},
	{"block in p", "<p>a<div>b</div>c</p>", "<p>a</p><div>b</div>c<p></p>"},
	{"list item closes list item", "<ul><li>a<li>b</ul>", "<ul><li>a</li><li>b</li></ul>"},
	{"table without tbody", "<table><tr><td>x</table>", "<table><tbody><tr><td>x</td></tr></tbody></table>"},
	{"text in table moved before it", "<table>oops<tr><td>x</td></tr></table>", "oops<table><tbody><tr><td>x</td></tr></tbody></table>"},
	{"cell outside a table", "<td>x</td>", "x"},
	{"heading in heading", "<h2><h3>x</h3></h2>", "<h2></h2><h3>x</h3>"},
	{"C1 references", "a&#x81;b &#133; &#150;", "ab … –"},
	{"C1 characters", "a\u0081b \u0085", "ab …"},
	{"bare ampersand", "AT&T &copy &amp", "AT&amp;T © &amp;"},
	{"noncharacter reference", "a&#xFDD0;b&#xFFFE;c", "abc"},
	{"NUL", "a\x00b", "ab"},
	{"CR reference", "a&#13;b", "a\nb"},
	{"comment and doctype", "<!DOCTYPE html><!-- c -->x", "x"},
	{"bdo unwrapped", `<bdo dir="rtl">x</bdo>`, "x"},
	{"duplicate attribute", `<a href="1" href="2">x</a>`, `<a href="1">x</a>`},
	{"canonical attributes", `<img src=x alt='y "z"'>`, `<img src="x" alt="y &#34;z&#34;">`},
	{"self-closing non-void", "<div/>x", "<div>x</div>"},
	{"end tag of void element", "a</br>b", "a<br>b"},
	{"pre keeps its first newline", "<pre>\n\nx</pre>", "<pre>\n\nx</pre>"},
	{"rt outside ruby", "<rt>x</rt>", "x"},
	{"table in a span in a p", "<p><span><table><tr><td><div>x</div></td></tr></table></span></p>",
		"<p><span></span></p><table><tbody><tr><td><div>x</div></td></tr></tbody></table><p></p>"},
}

// balanceInputs are balanceCases' inputs, for the html5lib comparison.
var balanceInputs = func() []string {
	var in []string
	for _, tc := range balanceCases {
		in = append(in, tc.in)
	}
	return in
}()

func TestBalance(t *testing.T) {
	for _, tc := range balanceCases {
		t.Run(tc.name, func(t *testing.T) {
			got := Balance(tc.in)
			if got != tc.want {
				t.Errorf("Balance(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if err := Check(got); err != nil {
				t.Errorf("Check(Balance(%q)): %v", tc.in, err)
			}
		})
	}
}

// TestBalanceRepairs covers trees the parser builds that do not parse
// back: repair must fix them, not fall back to text.
func TestBalanceRepairs(t *testing.T) {
	tests := []struct{ in, want string }{
		// The adoption agency nests <a> in <a> across a block.
		{`<a href="1">x<div><a href="2">y</a></div></a>`, `<a href="1">x</a><div><a href="1"></a><a href="2">y</a></div>`},
		// Foster parenting leaves a <p> whose content was a table's.
		{"<p>a<table><tr><td>b</td></tr></table>", "<p>a</p><table><tbody><tr><td>b</td></tr></tbody></table>"},
		// A list item inside an inline element inside a list item.
		{"<ul><li><span><li>x</li></span></li></ul>", "<ul><li><span></span></li><li>x</li></ul>"},
	}
	for _, tt := range tests {
		got := Balance(tt.in)
		if got != tt.want {
			t.Errorf("Balance(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if Check(got) != nil || strings.HasPrefix(got, "<p>") && !strings.HasPrefix(tt.want, "<p>") {
			t.Errorf("Balance(%q) = %q fell back or fails Check", tt.in, got)
		}
	}
}

// FuzzBalance: whatever the input, Balance's output passes Check, and
// balancing it again changes nothing.
func FuzzBalance(f *testing.F) {
	for _, in := range balanceInputs {
		f.Add(in)
	}
	for _, s := range soupStarts {
		f.Add(s + "x")
	}
	for _, s := range soupOthers {
		f.Add(s + "x")
	}
	f.Add(strings.Repeat("<div><span>", 300) + "x")
	f.Fuzz(func(t *testing.T, in string) {
		out := Balance(in)
		if err := Check(out); err != nil {
			t.Fatalf("Balance(%q) = %q fails Check: %v", in, out, err)
		}
		if again := Balance(out); again != out {
			t.Fatalf("Balance(%q) = %q, but Balance of that = %q", in, out, again)
		}
	})
}

// TestDeepNesting: a start tag costs the same at any depth (the stack
// entries carry what the tree builder's walks would find), so deep or
// wide hostile markup is checked and balanced in linear time.
func TestDeepNesting(t *testing.T) {
	const n = 50000
	tests := []string{
		strings.Repeat("<div>", n) + strings.Repeat("</div>", n),
		strings.Repeat("<span>", n) + strings.Repeat("<a>x", n),
		strings.Repeat("<div>", n) + strings.Repeat("<li>x", n),
		strings.Repeat("<p><span>", n) + strings.Repeat("<div>x", n),
		strings.Repeat("<table><tr><td>x", n/10),
		`<a href="x"` + strings.Repeat(` href="y"`, n) + ">z</a>",
	}
	for _, in := range tests {
		out := Balance(in)
		if err := Check(out); err != nil {
			t.Errorf("Balance(%.40q...): %v", in, err)
		}
		if want := strings.Count(in, "x"); strings.Count(out, "x") != want {
			t.Errorf("Balance(%.40q...) kept %d of the %d x's", in, strings.Count(out, "x"), want)
		}
	}
	// Nested beyond x/net/html's 512 elements: the first maxDepth levels
	// keep their elements, the text is all there.
	in := strings.Repeat("<div>", 600) + "x" + strings.Repeat("<em>y</em>", 3)
	out := Balance(in)
	if !strings.HasPrefix(out, strings.Repeat("<div>", maxDepth)+"xyyy</div>") || strings.Count(out, "<div>") != maxDepth {
		t.Errorf("Balance(600 nested divs) = %.80q... with %d divs, want %d divs, then the text", out, strings.Count(out, "<div>"), maxDepth)
	}
	if out := Balance(strings.Repeat("<p><div>", 300) + "x"); !strings.Contains(out, "x") || strings.Count(out, "<div>") < maxDepth {
		t.Errorf("Balance(300 p and div) = %.80q..., want the text and the first %d divs", out, maxDepth)
	}
	if err := Check(tests[0]); err != nil {
		t.Errorf("Check(%.40q...): %v", tests[0], err)
	}
}
