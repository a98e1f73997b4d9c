package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// readTree returns the files below dir, keyed by slash-separated relative path.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		files[filepath.ToSlash(rel)] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func gen(t *testing.T, seed uint64, n int) map[string][]byte {
	t.Helper()
	dir := t.TempDir()
	c := config{Out: dir, N: n, Seed: seed, Tags: 2000, Categories: 30, Scripts: true, MinSize: 2048, MaxSize: 8192}
	if err := generate(c); err != nil {
		t.Fatal(err)
	}
	return readTree(t, dir)
}

func equalTrees(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !bytes.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

func TestDeterministic(t *testing.T) {
	a, b := gen(t, 7, 50), gen(t, 7, 50)
	if len(a) != 50 {
		t.Fatalf("got %d files, want 50", len(a))
	}
	if !equalTrees(a, b) {
		t.Error("same seed produced different output")
	}
	if c := gen(t, 8, 50); equalTrees(a, c) {
		t.Error("different seeds produced identical output")
	}
}

var pathRE = regexp.MustCompile(`^(\d{4})/(\d{2})/([a-z0-9-]+)\.md$`)

func TestFormat(t *testing.T) {
	files := gen(t, 1, 50)
	required := []string{"title", "type", "post_id", "slug", "canonical", "markdown_url", "json_url", "txt_url",
		"published", "modified", "author", "categories", "tags", "site_name", "publisher", "language",
		"generator", "generator_version"}
	cutoff := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for name, data := range files {
		if !bytes.HasPrefix(data, []byte("---\n")) {
			t.Errorf("%s: does not start with ---", name)
			continue
		}
		fm, body, ok := bytes.Cut(data[4:], []byte("\n---\n"))
		if !ok {
			t.Errorf("%s: no closing --- line", name)
			continue
		}
		var m map[string]any
		if err := yaml.Unmarshal(fm, &m); err != nil {
			t.Errorf("%s: front matter: %v", name, err)
			continue
		}
		for _, k := range required {
			if _, ok := m[k]; !ok {
				t.Errorf("%s: missing key %q", name, k)
			}
		}
		pub, err := time.Parse(time.RFC3339, asString(m["published"]))
		if err != nil {
			t.Errorf("%s: published: %v", name, err)
		}
		if mod, err := time.Parse(time.RFC3339, asString(m["modified"])); err != nil {
			t.Errorf("%s: modified: %v", name, err)
		} else if mod.Before(pub) {
			t.Errorf("%s: modified %v before published %v", name, mod, pub)
		}
		if !pub.Before(cutoff) || pub.Before(cutoff.AddDate(-16, 0, 0)) {
			t.Errorf("%s: published %v out of range", name, pub)
		}
		mm := pathRE.FindStringSubmatch(name)
		if mm == nil {
			t.Errorf("%s: unexpected path", name)
			continue
		}
		if want := pub.Format("2006/01"); mm[1]+"/"+mm[2] != want {
			t.Errorf("%s: folder does not match published date %s", name, want)
		}
		if m["slug"] != mm[3] {
			t.Errorf("%s: slug %q does not match file name", name, m["slug"])
		}
		if want := "https://example.org/" + pub.Format("2006/01/02") + "/" + mm[3] + "/"; m["canonical"] != want {
			t.Errorf("%s: canonical %q, want %q", name, m["canonical"], want)
		}
		for _, k := range []string{"tags", "categories"} {
			if _, ok := m[k].([]any); !ok {
				t.Errorf("%s: %s is %T, want a list", name, k, m[k])
			}
		}
		if n := len(body); n < 2048 || n > 8192+64 {
			t.Errorf("%s: body is %d bytes", name, n)
		}
		if !bytes.HasSuffix(body, []byte("\n")) || bytes.HasSuffix(body, []byte("\n\n")) {
			t.Errorf("%s: body should end with exactly one newline", name)
		}
	}
}

func asString(v any) string { s, _ := v.(string); return s }

// TestYAMLString checks that appendYAMLString round-trips through a YAML parser.
func TestYAMLString(t *testing.T) {
	for _, s := range []string{
		"", "plain", `say "hi"`, `C:\path\n`, "Q&amp;A: a &#8211; b", "tab\there", "line\nbreak\r\n",
		"日本語 Россия العربية हिन्दी Ελλάδα", "#not a comment", "- dash", ": colon", "{braces} [brackets]",
		"null", "true", "1.0", "~", "'single'", "bell\a nul\x00 del\x7f c1\u0085\u0080", "ls\u2028ps\u2029",
		"bom\ufeff", "emoji 😀", "  spaces  ", "%percent", "@at", "`tick`", "a\\\"b",
	} {
		b := appendYAMLString(nil, s)
		var got string
		if err := yaml.Unmarshal(b, &got); err != nil {
			t.Errorf("%q: %s: %v", s, b, err)
			continue
		}
		if got != s {
			t.Errorf("round trip of %q via %s gave %q", s, b, got)
		}
	}
}

func TestSlugify(t *testing.T) {
	for in, want := range map[string]string{
		"Don&#8217;t Debug the Feature Theory": "dont-debug-the-feature-theory",
		"Q&amp;A: Open Source":                 "qa-open-source",
		`The "Quiet River" Problem`:            "the-quiet-river-problem",
		"Notes on Café — Zürich":               "notes-on-cafe-zurich",
		"日本語 東京":                               "",
		"Россия: Open Data":                    "open-data",
	} {
		if got := slugify(in); got != want {
			t.Errorf("slugify(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFlags(t *testing.T) {
	var stderr strings.Builder
	if err := run(nil, &stderr); err == nil {
		t.Error("missing -out accepted")
	}
	if err := run([]string{"-out", t.TempDir(), "-min-size", "10", "-max-size", "5"}, &stderr); err == nil {
		t.Error("max-size < min-size accepted")
	}
	dir := t.TempDir()
	if err := run([]string{"-out", dir, "-n", "20", "-scripts=false", "-tags", "3", "-categories", "1",
		"-min-size", "100", "-max-size", "300"}, &stderr); err != nil {
		t.Fatal(err)
	}
	files := readTree(t, dir)
	if len(files) != 20 {
		t.Fatalf("got %d files, want 20", len(files))
	}
	for name, data := range files {
		_, body, _ := bytes.Cut(data[4:], []byte("\n---\n"))
		if len(body) > 300 {
			t.Errorf("%s: body is %d bytes, want <= 300", name, len(body))
		}
		for _, r := range string(data) {
			if r >= 0x370 && r != '’' && r != '“' && r != '”' && r != '—' {
				t.Errorf("%s: non-Latin rune %q with -scripts=false", name, r)
				break
			}
		}
	}
}
