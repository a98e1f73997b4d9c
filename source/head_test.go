package source

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// TestHeadReadMatchesWholeFile checks that parsing a file from its head
// gives the same post, warnings and errors as parsing the entire file,
// wherever the head's cut falls: in a multi-byte character, between CR
// and LF, inside or just after the front matter.
func TestHeadReadMatchesWholeFile(t *testing.T) {
	fronts := map[string]string{
		"yaml":      "---\ntitle: Héllo «wörld»\ndate: 2024-03-01\ntags: [a, b]\nauthor: Jane <jane@example.org>\n---\n",
		"toml":      "+++\ntitle = \"Héllo\"\ndate = 2024-03-01T10:00:00Z\ntags = [\"a\"]\n+++\n",
		"json":      "{\n  \"title\": \"Héllo\",\n  \"date\": \"2024-03-01\"\n}\n\n",
		"crlf+bom":  "\xef\xbb\xbf---\r\ntitle: Windows\r\ndate: 2024-03-01\r\n---\r\n",
		"bad key":   "---\ntitle: x\ndate: not a date\n---\n",
		"unclosed":  "---\ntitle: x\ndate: 2024-03-01\n",
		"no front":  "# Just Markdown\n",
		"long yaml": "---\ntitle: Long\ndate: 2024-03-01\ndescription: \"" + strings.Repeat("lorem ipsum ", 300) + "\"\n---\n",
	}
	// Bodies whose lines put the head's cut at every kind of boundary.
	bodies := map[string]func(n int) string{
		"ascii":     func(n int) string { return strings.Repeat("word ", n) + "\n" },
		"multibyte": func(n int) string { return strings.Repeat("日本€", n) + "\n" },
		"crlf":      func(n int) string { return strings.Repeat("x", n) + "\r\n" },
		"blank":     func(n int) string { return strings.Repeat("\n", n) },
		"control":   func(n int) string { return strings.Repeat("a\x01", n) + "\n" },
	}
	n := 0
	for fname, front := range fronts {
		for bname, body := range bodies {
			for _, size := range []int{headSize - 1 - len(front), headSize - len(front), headSize + 1 - len(front), 7, 100, 700} {
				if size < 1 {
					continue
				}
				text := front + strings.Repeat(body(size/3+1), 4) + "end\n"
				files := map[string]string{"p.md": text}
				root := writeTree(t, files)
				sc, err := NewScanner(root, testConfig())
				if err != nil {
					t.Fatal(err)
				}
				name := fmt.Sprintf("%s/%s/%d", fname, bname, size)
				gotP, gotW, gotE, _, _, _ := sc.parseData(context.Background(), "p.md")
				data, info, err := sc.load(context.Background(), "p.md")
				var wantP *Post
				var wantW []*FileError
				var wantE *FileError
				if err != nil {
					wantE = fileError("p.md", err)
				} else if p, w, err := sc.parseText("p.md", data, info); err != nil {
					wantW, wantE = w, fileError("p.md", err)
				} else {
					wantP, wantW = p, w
				}
				if !reflect.DeepEqual(gotP, wantP) {
					t.Errorf("%s: post from head\n%+v\nwant\n%+v", name, gotP, wantP)
				}
				if fmt.Sprint(gotW) != fmt.Sprint(wantW) || fmt.Sprint(gotE) != fmt.Sprint(wantE) {
					t.Errorf("%s: warnings/error from head %v / %v, want %v / %v", name, gotW, gotE, wantW, wantE)
				}
				n++
			}
		}
	}
	if n < 100 {
		t.Fatalf("only %d cases ran", n)
	}
}

// TestHeadOnlyScan checks that a scan reads only the head of a long post
// and that a body broken beyond the head is reported when the post is
// rendered, so it never reaches a feed.
func TestHeadOnlyScan(t *testing.T) {
	long := "---\ntitle: Long\ndate: 2024-03-01\n---\n" + strings.Repeat("Some text here.\n", headSize/8)
	broken := "---\ntitle: Broken\ndate: 2024-03-02\n---\n" + strings.Repeat("Some text here.\n", headSize/8) + "bad \xff byte\n"
	root := writeTree(t, map[string]string{"long.md": long, "broken.md": broken})
	sc, err := NewScanner(root, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	res, err := sc.Scan(t.Context(), ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Posts) != 2 || len(res.Skipped) != 0 {
		t.Fatalf("scan: %d posts, skipped %v; want both posts (bodies are not read yet)", len(res.Posts), res.Skipped)
	}
	if got := sc.reads.Load(); got != 2 {
		t.Errorf("scan opened files %d times, want 2 (one head each)", got)
	}
	failed := sc.Render(t.Context(), res.Posts)
	if len(failed) != 1 || failed[0].Path != "broken.md" || !strings.Contains(failed[0].Error(), "UTF-8") {
		t.Fatalf("render failures %v, want broken.md's invalid UTF-8", failed)
	}
	for _, p := range res.Posts {
		if p.Path == "long.md" && (!p.Rendered() || !strings.Contains(p.ContentHTML, "Some text here.")) {
			t.Errorf("long.md rendered as %q", p.ContentHTML)
		}
	}
}

// splitYAMLCases are "---" files whose splitting must not depend on the
// path taken: blank and white-space lines, CR, Unicode spaces, empty and
// unusual blocks, closing lines with spaces, and bodies with "---" again.
var splitYAMLCases = []string{
	"---\ntitle: a\n---\nbody\n",
	"\n\n  \n---\ntitle: a\n---\nbody",
	"---  \ntitle: a\n  ---  \n\nbody\n---\nmore\n",
	"---\n---\nbody\n",
	"---\n\n---\n",
	"---\n# only a comment\n---\n",
	"---\ntitle: a\n---",
	"---\ntitle: [unclosed\n---\nbody\n",
	"---\ntitle: a\n\u00a0---\u00a0\nbody\n",
	"---\ntitle: a\n\u0085---\nbody\n",
	"---\n- a\n- b\n---\n",
	"---\ntitle: a\ntitle: b\n---\n",
	"---\nx: |\n  ---\n  y\n---\nz\n",
	"\u00a0\n---\ntitle: a\n---\n",
}

// TestSplitYAMLMatchesLibrary holds the "---" fast path to adrg/frontmatter.
func TestSplitYAMLMatchesLibrary(t *testing.T) {
	for _, c := range splitYAMLCases {
		checkSplitYAML(t, []byte(c))
	}
}

func FuzzSplitYAML(f *testing.F) {
	for _, c := range splitYAMLCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkSplitYAML(t, data)
	})
}

func checkSplitYAML(t *testing.T, data []byte) {
	t.Helper()
	data, err := clean(data)
	if err != nil {
		return
	}
	lead := leadingBlankLines(data)
	first, _, _ := bytes.Cut(data[lead:], []byte("\n"))
	if string(bytes.TrimSpace(first)) != "---" || !hasClosingLine(data[lead:], "---") {
		return
	}
	base := 1 + bytes.Count(data[:lead], []byte("\n"))
	gm, goff, gerr := splitYAML(data, lead, base)
	wm, woff, werr := splitWithLibrary(data, "---", base)
	if fmt.Sprint(gerr) != fmt.Sprint(werr) || goff != woff || !reflect.DeepEqual(gm, wm) {
		t.Errorf("%q:\nfast    %v, %d, %v\nlibrary %v, %d, %v", data, gm, goff, gerr, wm, woff, werr)
	}
}

var plainTextCases = []string{
	"", " ", "a", "a b", "a  b", " a", "a ", "Héllo «wörld»", "日本語", "a\u00a0b", "a\u2003b",
	"a\tb", "a\nb", "x &amp; y", "a<b", "<b>x</b>", "\u0085", "a\ufffdb", "a\ufffeb", "\x7f", "tab\x01",
	"Ünïcödé tïtle – with dash", "emoji 🎉 ok", "a\xffb",
}

// TestPlainText: whatever isPlainText lets through, text's general case
// leaves unchanged, and the cases it must refuse are refused.
func TestPlainText(t *testing.T) {
	plain := 0
	for _, s := range plainTextCases {
		if isPlainText(s) {
			plain++
			if got := stripText(s); got != s {
				t.Errorf("isPlainText(%q) but stripText gives %q", s, got)
			}
		}
	}
	if plain < 5 || plain == len(plainTextCases) {
		t.Errorf("%d of %d cases plain; the list should hold both kinds", plain, len(plainTextCases))
	}
}

func FuzzPlainText(f *testing.F) {
	for _, s := range plainTextCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if isPlainText(s) && stripText(s) != s {
			t.Errorf("isPlainText(%q) but stripText gives %q", s, stripText(s))
		}
	})
}
