package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/syndicate/syndicate/feedgen"
	"github.com/syndicate/syndicate/source"
)

// TestAuthorsConfig: authors: entries are read, checked at load and
// named in errors as authors.NAME.KEY.
func TestAuthorsConfig(t *testing.T) {
	checkConfigCases(t, []configCase{
		{"authors:\n", ""},
		{"authors:\n  jdoe:\n    name: Jane Doe\n    url: /about/jane/\n    email: jane@example.org\n    email_public: true\n", ""},
		{"authors:\n  jdoe:\n", ""},
		{"authors:\n  \"Jane Doe <jane@example.org>\":\n    name: Jane\n", ""},
		{"authors:\n  jdoe:\n    url: https://jane.example/\n  kim:\n    url: //kim.example/\n", ""},
		{"authors:\n  jdoe:\n    emial: jane@example.org\n", "authors.jdoe.emial: line 5: unknown key"},
		{"authors:\n  jdoe:\n    url: \"javascript:alert(1)\"\n", "authors.jdoe.url"},
		{"authors:\n  jdoe:\n    url: \"ftp://example.org/jane\"\n", "authors.jdoe.url"},
		{"authors:\n  jdoe:\n    email: \"Jane <jane@example.org>\"\n", "authors.jdoe.email"},
		{"authors:\n  jdoe:\n    email_public: maybe\n", "authors.jdoe: line 5"},
		{"authors:\n  jdoe: Jane Doe\n", "authors.jdoe: line 4: want a map"},
		{"authors:\n  - jdoe\n", "authors: line 4: want a map"},
		{"authors:\n  Jane:\n    name: A\n  jane:\n    name: B\n", "authors.jane: the same name as authors.Jane"},
		{"authors:\n  a:\n    email: x@example.org\n  b:\n    email: x@example.org\n", "authors.b: the address"},
		// Every problem at once.
		{"authors:\n  a:\n    url: \"javascript:x\"\n  b:\n    nmae: B\n", "authors.a.url"},
		{"authors:\n  a:\n    url: \"javascript:x\"\n  b:\n    nmae: B\n", "authors.b.nmae"},
	})
}

// TestAuthorsSettings: the entries reach the feeds with their URLs
// resolved against site.url: an author feed links the author's page and
// is titled by the display name, and no address is published unless
// email_public says so.
func TestAuthorsSettings(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	os.WriteFile(path, []byte(`site:
  url: https://example.org/blog
authors:
  jdoe:
    name: Jane Doe
    url: about/jane/
    email: jane@example.org
  kim:
    email_public: true
content_dir: content
state_dir: state
cache_dir: cache
`), 0o644)
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := cfg.Settings(Options{})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	x := &source.Post{Path: "a.md", Link: "https://example.org/blog/a/", Title: "A", Published: t0, Updated: t0,
		Authors:     []source.Author{{Name: "jdoe", Email: "jane@example.org"}, {Name: "Kim", Email: "kim@example.org"}},
		ContentHTML: "<p>A</p>", SummaryHTML: "<p>A</p>", SummaryText: "A"}
	opts := st.Pipeline.Feeds
	opts.Formats = []feedgen.Format{feedgen.Atom}
	plan, err := feedgen.NewPlan(st.Pipeline.Site, opts, []*source.Post{x})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := plan.Build(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	jane := string(snap.Docs["authors/jdoe/feed.atom"].Body)
	for _, want := range []string{
		"<title>example.org – author: Jane Doe</title>",
		`<link href="https://example.org/blog/about/jane/" rel="alternate" type="text/html">`,
		"<email>kim@example.org</email>",
	} {
		if !strings.Contains(jane, want) {
			t.Errorf("Jane's feed lacks %s:\n%s", want, jane)
		}
	}
	if strings.Contains(jane, "jane@example.org") {
		t.Errorf("Jane's address published without email_public:\n%s", jane)
	}
}

// TestAuthorsErrorsOnePerLine: each problem of authors: is an error of
// its own, so the command prints each on its own prefixed line.
func TestAuthorsErrorsOnePerLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(path, []byte("site:\n  url: https://example.org/\nauthors:\n  a:\n    url: \"javascript:x\"\n  A:\n  b:\n    email: nope\n"), 0o644)
	_, err := Load(path)
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) {
		t.Fatalf("error %v is not a list", err)
	}
	for _, e := range joined.Unwrap() {
		if strings.Contains(e.Error(), "\n") || !strings.HasPrefix(e.Error(), "authors.") {
			t.Errorf("not one problem naming its key: %q", e)
		}
	}
	if n := len(joined.Unwrap()); n != 3 {
		t.Errorf("%d errors, want 3: %v", n, err)
	}
}
