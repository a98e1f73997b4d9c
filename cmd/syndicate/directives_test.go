package main

import (
	"encoding/json"
	"html"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// directiveSyntax is what no document may hold once its HTML is decoded:
// the openers of every dialect's directives.
var directiveSyntax = []string{
	"{{<", "{{%", "{%", "%}", ">}}",
	"{{raw", "{{image", "{{code", "{{play", "{{video", "{{iframe",
	"{{ site.", "{{ page.", "{{site.", "{{page.",
}

// TestBlogDirectives builds each blog of testdata/blogs (written for the
// Go website, Jekyll and Hugo), cold and then from the cache: every post
// is published, no directive reaches any document, and each directive
// that could not be resolved is reported exactly once per build.
func TestBlogDirectives(t *testing.T) {
	for _, c := range []struct {
		blog  string
		posts int
		warns []string
	}{
		{"goblog", 5, []string{
			`survey2019-results.md:32: template action {{iframe "https://example.org/embedded-chart"}} removed: not a directive syndicate knows (raw, image, video, code, play)`,
		}},
		{"jekyll", 3, []string{
			`_posts/2014-11-05-jekyll-2-5-0-released.md:12: Liquid {% capture %} block removed with its content`,
			`_posts/2014-11-05-jekyll-2-5-0-released.md:13: Liquid {% assign %} tag removed`,
			`_posts/2015-10-26-jekyll-3-0-released.md:17: Liquid {% comment %} block removed with its content`,
			`_posts/2015-10-26-jekyll-3-0-released.md:24: Liquid {% if %} block removed with its content`,
			`_posts/2015-10-26-jekyll-3-0-released.md:28: Liquid {% for %} block removed with its content`,
			`_posts/2016-03-10-making-it-easier-to-contribute.md:12: Liquid link "_docs/history.md" names no published post`,
			`_posts/2016-03-10-making-it-easier-to-contribute.md:15: Liquid {% include %} tag removed`,
		}},
		{"hugo", 3, []string{
			`posts/second-night.md:7: unresolved Hugo shortcode "notice"`,
			`posts/second-night.md:11: unresolved Hugo shortcode "blog/integration-badge"`,
			`posts/second-night.md:17: Hugo ref "third-night.md" names no published post`,
		}},
	} {
		t.Run(c.blog, func(t *testing.T) {
			cfgPath := filepath.Join("..", "..", "testdata", "blogs", c.blog, "config.yaml")
			cacheDir := filepath.Join(t.TempDir(), "cache")
			cfgCopy := filepath.Join(t.TempDir(), "config.yaml")
			data, err := os.ReadFile(cfgPath)
			if err != nil {
				t.Fatal(err)
			}
			abs, _ := filepath.Abs(filepath.Dir(cfgPath))
			text := strings.Replace(string(data), `content_dir: "content"`, `content_dir: "`+filepath.Join(abs, "content")+`"`, 1)
			os.WriteFile(cfgCopy, []byte(text+"cache_dir: "+cacheDir+"\n"), 0o644)
			for _, run := range []string{"cold", "cached"} {
				out := filepath.Join(t.TempDir(), "out")
				code, stderr := runCmd(t, "build", "--config", cfgCopy, "--out", out, "--strict")
				if code != 0 {
					t.Fatalf("%s build: exit %d\n%s", run, code, stderr)
				}
				var warns []string
				for _, l := range strings.Split(stderr, "\n") {
					if w, ok := strings.CutPrefix(l, "warning: "); ok {
						warns = append(warns, w)
					}
				}
				slices.Sort(warns)
				want := slices.Sorted(slices.Values(c.warns))
				if !slices.Equal(warns, want) {
					t.Errorf("%s build: warnings\n%s\nwant each once:\n%s", run, strings.Join(warns, "\n"), strings.Join(want, "\n"))
				}
				if !strings.Contains(stderr, " posts read, "+strconv.Itoa(c.posts)+" published,") {
					t.Errorf("%s build: not every post published:\n%s", run, stderr)
				}
				checkNoDirectives(t, out)
			}
		})
	}
}

// checkNoDirectives decodes every document's text (XML escapes twice, as
// HTML inside XML; JSON strings, then HTML) and looks for directive
// syntax in it.
func checkNoDirectives(t *testing.T, out string) {
	t.Helper()
	n := 0
	err := filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return err
		}
		n++
		body, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var text string
		if strings.HasSuffix(p, ".json") {
			var v any
			if err := json.Unmarshal(body, &v); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			var b strings.Builder
			var walk func(any)
			walk = func(v any) {
				switch x := v.(type) {
				case string:
					b.WriteString(html.UnescapeString(x) + "\n")
				case []any:
					for _, e := range x {
						walk(e)
					}
				case map[string]any:
					for _, e := range x {
						walk(e)
					}
				}
			}
			walk(v)
			text = b.String()
		} else {
			text = html.UnescapeString(html.UnescapeString(string(body)))
		}
		for _, s := range directiveSyntax {
			if i := strings.Index(text, s); i >= 0 {
				t.Errorf("%s holds %q: …%s…", p, s, text[max(0, i-60):min(len(text), i+60)])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatalf("no documents in %s", out)
	}
}
