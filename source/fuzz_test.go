package source

import (
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/syndicate/syndicate/stricthtml"
)

// addFixtureSeeds adds every Markdown fixture under testdata and the
// fixture corpora (../testdata/corpora) as a seed, on top of the corpus in
// testdata/fuzz/<FuzzName>.
func addFixtureSeeds(f *testing.F, add func([]byte)) {
	f.Helper()
	for _, root := range []string{"testdata", filepath.Join("..", "testdata", "corpora")} {
		addSeeds(f, root, add)
	}
}

func addSeeds(f *testing.F, root string, add func([]byte)) {
	f.Helper()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(p, "fuzz") {
			return err
		}
		if ext := filepath.Ext(p); ext != ".md" && ext != ".markdown" && ext != ".txt" {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		add(data)
		return nil
	})
	if err != nil {
		f.Fatal(err)
	}
}

// FuzzSplitFrontMatter runs a file's bytes through cleaning, front matter
// splitting and normalisation: no panic, and a post that comes out has
// what feeds need.
func FuzzSplitFrontMatter(f *testing.F) {
	addFixtureSeeds(f, func(b []byte) { f.Add(b) })
	sc, err := NewScanner(".", testConfig())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cleaned, err := clean(data)
		if err != nil {
			return
		}
		if !utf8.Valid(cleaned) {
			t.Fatal("clean let invalid UTF-8 through")
		}
		for _, b := range cleaned {
			if b < 0x20 && b != '\n' && b != '\t' {
				t.Fatalf("clean let control byte %#x through", b)
			}
		}
		m, off, err := splitFrontMatter(cleaned)
		if err != nil {
			if strings.TrimSpace(err.Error()) == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if m == nil || off < 0 || off > len(cleaned) {
			t.Fatalf("split returned map %v, offset %d of %d", m, off, len(cleaned))
		}
		p, _, err := sc.normalise("2024/01/02/post.md", meta(m))
		if err != nil || p.Draft || p.Page {
			return
		}
		checkPost(t, p)
	})
}

// checkPost asserts the invariants of a publishable post.
func checkPost(t *testing.T, p *Post) {
	t.Helper()
	if p.Title == "" || p.Title != strings.TrimSpace(p.Title) || strings.ContainsAny(p.Title, "\n\r\t") {
		t.Errorf("bad title %q", p.Title)
	}
	for _, r := range p.Title {
		if r < 0x20 || r >= 0x7f && r <= 0x9f || r == 0xfffe || r == 0xffff {
			t.Errorf("title %q has U+%04X", p.Title, r)
		}
	}
	if p.Published.IsZero() || p.Updated.Before(p.Published) || p.Published.Year() < 1 || p.Published.Year() > 9999 {
		t.Errorf("dates %v, %v", p.Published, p.Updated)
	}
	u, err := url.Parse(p.Link)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		t.Errorf("link %q is not absolute http(s)", p.Link)
	}
	if p.ID == "" {
		t.Error("empty id")
	}
	for _, l := range [][]string{p.Tags, p.Categories} {
		seen := map[string]bool{}
		for _, s := range l {
			k := strings.ToLower(s)
			if s == "" || s != strings.TrimSpace(s) || seen[k] {
				t.Errorf("bad or repeated name %q in %q", s, l)
			}
			seen[k] = true
		}
	}
}

var scriptTag = regexp.MustCompile(`(?i)<\s*/?\s*script`)

// FuzzRenderBody renders arbitrary Markdown: no panic, no script, no raw
// characters XML or feed readers reject, and a summary always.
func FuzzRenderBody(f *testing.F) {
	addFixtureSeeds(f, func(b []byte) { f.Add(b, "") })
	for _, x := range xssCorpus {
		f.Add([]byte(x), "")
		f.Add([]byte("Body."), x)
	}
	f.Fuzz(func(t *testing.T, body []byte, summary string) {
		if nestingCost(body)+nestingCost([]byte(summary)) > maxNestingCost/100 {
			return // valid but slow; TestNestingTooDeep covers it
		}
		p := &Post{Title: "Fuzz", Link: testLink, frontSummary: strings.TrimSpace(summary)}
		renderBody(p, body, p.frontSummary)
		for _, s := range []string{p.ContentHTML, p.SummaryHTML} {
			if scriptTag.MatchString(s) {
				t.Fatalf("script tag in %q", s)
			}
			assertSafe(t, s)
			checkXMLText(t, s, true)
			if err := stricthtml.Check(s); err != nil {
				t.Fatalf("not strictly valid HTML: %v\n%q", err, s)
			}
		}
		checkXMLText(t, p.SummaryText, false)
		if strings.TrimSpace(p.SummaryText) == "" || p.SummaryHTML == "" {
			t.Fatalf("empty summary for %q", body)
		}
		if !p.Rendered() {
			t.Fatal("not marked rendered")
		}
	})
}

// FuzzParseDate: no panic, and an accepted date is in range and survives
// a round trip through RFC 3339.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{
		"2024-01-02", "2024-01-02 03:04", "2024-01-02T03:04:05.999Z", "2024-01-02T03:04:05+05:30",
		"2024-01-02T03:04:05-0800", "2024-02-30", "2024-01-01T00:00:00+25:00", "13/45/2020",
		"Mon, 02 Jan 2006 15:04:05 -0700", "2024/01/02", "0000-01-01", "9999-12-31T23:59:59-23:59",
		"2024-4-9", "2024-4-09 9:05", "2024-04-09 10:30:00 -0700", "2024-4-9T9:05:06.5+02:00", "2024/4/9",
		"2024-2-30", "2024-4-9 9:5", "2024-1-1 24:00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseDate(s, testZone)
		if err != nil {
			if !strings.Contains(err.Error(), "date") {
				t.Fatalf("error %q does not say what failed", err)
			}
			return
		}
		if got.Year() < 1 || got.Year() > 9999 {
			t.Fatalf("%q -> %v out of range", s, got)
		}
		back, err := time.Parse(time.RFC3339Nano, got.Format(time.RFC3339Nano))
		if err != nil || !back.Equal(got) {
			t.Fatalf("%q -> %v does not round-trip: %v", s, got, err)
		}
	})
}
