package directive

import (
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syndicate/syndicate/internal/casefile"
)

var (
	update  = flag.Bool("update", false, "rewrite the output and problems sections of testdata/*.txt")
	caseNum = flag.Int("case", 0, "run only this case")
)

// The cases of testdata/*.txt (casefile.Case) have these sections:
//
//	--- env        (optional: "template: true", "page.KEY: value",
//	                "site.KEY: value", "link KIND TARGET: url" lines)
//	--- input      (the body)
//	--- output     (what Expand makes of it)
//	--- problems   (one "LINE: message" a line)

// testEnv builds an Env from a case's env section; files come from
// testdata/files.
func testEnv(t *testing.T, spec string) *Env {
	page, site, links := map[string]string{}, map[string]string{}, map[string]string{}
	env := &Env{}
	for _, l := range strings.Split(spec, "\n") {
		k, v, ok := strings.Cut(l, ": ")
		switch {
		case l == "":
		case l == "template: true":
			env.Template = true
		case ok && strings.HasPrefix(k, "page."):
			page[strings.TrimPrefix(k, "page.")] = v
		case ok && strings.HasPrefix(k, "site."):
			site[strings.TrimPrefix(k, "site.")] = v
		case ok && strings.HasPrefix(k, "link "):
			links[strings.TrimPrefix(k, "link ")] = v
		default:
			t.Fatalf("bad env line %q", l)
		}
	}
	env.Page = func(k string) (string, bool) { v, ok := page[k]; return v, ok }
	env.Site = func(k string) (string, bool) { v, ok := site[k]; return v, ok }
	env.Link = func(kind RefKind, target string) (string, bool) {
		v, ok := links[fmt.Sprintf("%d %s", kind, target)]
		return v, ok
	}
	env.File = func(name string) ([]byte, error) {
		if !filepath.IsLocal(name) {
			return nil, fmt.Errorf("%s is outside the content folder", name)
		}
		return os.ReadFile(filepath.Join("testdata", "files", filepath.FromSlash(path.Clean(name))))
	}
	return env
}

// TestExpand runs the cases of every testdata/*.txt file.
func TestExpand(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txt")
	if len(files) == 0 {
		t.Fatal("no case files")
	}
	for _, file := range files {
		cases := casefile.Read(t, file)
		for i, c := range cases {
			if *caseNum != 0 && c.Num != *caseNum {
				continue
			}
			t.Run(fmt.Sprintf("%s/%d_%s", filepath.Base(file), c.Num, c.Name), func(t *testing.T) {
				out, probs := Expand([]byte(c.Sections["input"]), testEnv(t, c.Sections["env"]))
				var ps []string
				for _, p := range probs {
					ps = append(ps, fmt.Sprintf("%d: %s", p.Line, p.Msg))
				}
				gotProbs := strings.Join(ps, "\n")
				if *update {
					cases[i].Sections["output"], cases[i].Sections["problems"] = string(out), gotProbs
					cases[i].Order = []string{}
					for _, s := range []string{"env", "input", "output", "problems"} {
						if _, ok := cases[i].Sections[s]; ok {
							cases[i].Order = append(cases[i].Order, s)
						}
					}
					return
				}
				if string(out) != c.Sections["output"] {
					t.Errorf("output:\n%s\nwant:\n%s", out, c.Sections["output"])
				}
				if gotProbs != c.Sections["problems"] {
					t.Errorf("problems:\n%s\nwant:\n%s", gotProbs, c.Sections["problems"])
				}
			})
		}
		if *update {
			casefile.Write(t, file, cases)
		}
	}
}

// TestUses: bodies without directive syntax are left alone, and cost no
// more than a look for '{'.
func TestUses(t *testing.T) {
	for _, c := range []struct {
		body     string
		template bool
		want     bool
	}{
		{"plain text", false, false},
		{"a { brace } and {{x}}", false, false},
		{"a {{x}}", true, true},
		{"{{< youtube x >}}", false, true},
		{"{{% param x %}}", false, true},
		{"{% raw %}", false, true},
		{"{{ site.url }}", false, true},
		{"trailing {", true, false},
	} {
		if got := Uses([]byte(c.body), c.template); got != c.want {
			t.Errorf("Uses(%q, %v) = %v, want %v", c.body, c.template, got, c.want)
		}
		if !c.want {
			body := []byte(c.body)
			out, probs := Expand(body, &Env{Template: c.template})
			if &out[0] != &body[0] || probs != nil {
				t.Errorf("Expand(%q) copied or reported", c.body)
			}
		}
	}
}

// TestSelectLines: present's addresses against a small file.
func TestSelectLines(t *testing.T) {
	text := "package p\n\n// A Context carries.\ntype Context interface {\n\tDone()\n}\n\nfunc f() {} // OMIT\n"
	for _, c := range []struct {
		addrs []string
		want  string
		err   bool
	}{
		{nil, "package p||// A Context carries.|type Context interface {|\tDone()|}||func f() {} // OMIT", false},
		{[]string{"/A Context/", "/^}/"}, "// A Context carries.|type Context interface {|\tDone()|}", false},
		{[]string{"/A Context/,/^}/"}, "// A Context carries.|type Context interface {|\tDone()|}", false},
		{[]string{"/type/", "$"}, "type Context interface {|\tDone()|}||func f() {} // OMIT", false},
		{[]string{"3", "4"}, "// A Context carries.|type Context interface {", false},
		{[]string{"/type/+1", "/^}/-2"}, "\tDone()", false},
		{[]string{"/nothing/"}, "", true},
		{[]string{"/(/"}, "", true},
		{[]string{"99"}, "", true},
		{[]string{"/^}/", "/A Context/"}, "// A Context carries.|type Context interface {|\tDone()", false}, // wraps around, as present does
	} {
		lines, err := selectLines(text, c.addrs)
		if (err != nil) != c.err {
			t.Errorf("%q: err %v", c.addrs, err)
			continue
		}
		if got := strings.Join(lines, "|"); err == nil && got != c.want {
			t.Errorf("%q: got %q, want %q", c.addrs, got, c.want)
		}
	}
}

// FuzzExpand: no panic, and no directive opener of the body's dialect
// survives (other than Hugo's escaped ones, and those the body's text
// makes up around a removed directive).
func FuzzExpand(f *testing.F) {
	for _, file := range []string{"testdata/present.txt", "testdata/hugo.txt", "testdata/liquid.txt"} {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for _, part := range strings.Split(string(data), "--- input\n") {
			in, _, _ := strings.Cut(part, "\n--- ")
			f.Add(in, strings.Contains(part, "template: true"))
		}
	}
	f.Fuzz(func(t *testing.T, body string, template bool) {
		env := testEnv(t, "site.url: https://example.org\npage.title: T")
		env.Template = template
		env.File = func(string) ([]byte, error) { return []byte("a\nb OMIT\nc\n"), nil }
		out, probs := Expand([]byte(body), env)
		if !Uses([]byte(body), template) && string(out) != body {
			t.Fatalf("a body without directives changed: %q -> %q", body, out)
		}
		lines := 1 + strings.Count(body, "\n")
		seen := map[Problem]bool{}
		for _, p := range probs {
			if p.Line < 1 || p.Line > lines {
				t.Fatalf("problem on line %d of %d: %s", p.Line, lines, p.Msg)
			}
			if seen[p] {
				t.Fatalf("reported twice: %v", p)
			}
			seen[p] = true
		}
	})
}

// BenchmarkExpandWorst: bodies made of directive openers that never
// close, or of deeply nested blocks, take time linear in their size.
func BenchmarkExpandWorst(b *testing.B) {
	for _, c := range []struct {
		name, unit string
		template   bool
	}{
		{"present-unclosed", "{{raw `", true},
		{"hugo-unclosed", `{{< x "`, false},
		{"hugo-open", "{{< x >}}", false},
		{"liquid-open", "{% if a %}{% raw %}", false},
		{"liquid-unclosed", "{% x {{ y ", false},
	} {
		body := []byte(strings.Repeat(c.unit, (1<<20)/len(c.unit)))
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				Expand(body, &Env{Template: c.template})
			}
		})
	}
}
