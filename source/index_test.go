package source

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// TestRescanMatchesScan: after every kind of change, an Index told which
// files changed (by name, or by a survey) finds what a fresh scan without
// cache finds, post for
// post, count for count and error for error, and its stamp is a fresh
// survey's. Changes it does not take are refused with ErrRescan and
// leave the index as it was.
func TestRescanMatchesScan(t *testing.T) {
	for _, surveyed := range []bool{false, true} {
		name := "changes named"
		if surveyed {
			name = "changes surveyed"
		}
		t.Run(name, func(t *testing.T) { testRescan(t, surveyed) })
	}
}

// testRescan is TestRescanMatchesScan with the changes named (ScanOptions.Changed) or
// found by a survey (ScanOptions.Survey).
func testRescan(t *testing.T, surveyed bool) {
	post := func(title, date string, extra ...string) string {
		return fm(append([]string{"title: " + title, "date: " + date, "tags: [a, b]"}, extra...)...) + "Body of " + title + ".\n"
	}
	root := writeTree(t, map[string]string{
		"2024/one.md":        post("One", "2024-03-01"),
		"2024/two.md":        post("Two", "2024-03-02"),
		"2024/same-day-a.md": post("Same A", "2024-03-03"),
		"2024/same-day-b.md": post("Same B", "2024-03-03"),
		"draft.md":           post("Draft", "2024-01-01", "draft: true"),
		"future.md":          post("Future", "2026-01-01"),
		"broken.md":          "---\ntitle: [unclosed\n---\n",
		"2024-01-01-warn.md": post("Warn", "2024-02-02"),
		"notes.txt":          "not a post",
		".hidden/h.md":       post("Hidden", "2024-01-01"),
	})
	ageFiles(t, root)
	p := func(name string) string { return filepath.Join(root, filepath.FromSlash(name)) }
	write := func(name, text string) func() error {
		return func() error {
			if err := os.MkdirAll(filepath.Dir(p(name)), 0o755); err != nil {
				return err
			}
			return os.WriteFile(p(name), []byte(text), 0o644)
		}
	}

	now := testNow
	cfg := testConfig()
	cfg.Now = func() time.Time { return now }
	cfg.Cache = NewCache()
	_, res, ix := indexFolder(t, root, cfg)
	check := func(step string, got *Result) {
		t.Helper()
		ref := cfg
		ref.Cache = nil
		want := scanWith(t, root, ref)
		sameResult(t, step, got, want)
		_, fresh := surveyNow(t, root, testConfig())
		if ix.Stamp() != fresh.Stamp {
			t.Errorf("%s: index stamp differs from a fresh survey's", step)
		}
	}
	check("first scan", res)

	steps := []struct {
		name    string
		do      func() error
		changed []string
		refused bool
	}{
		{"nothing", func() error { return nil }, nil, false},
		{"event without a change", func() error { return nil }, []string{"2024/one.md"}, false},
		{"edit title", write("2024/one.md", post("One again", "2024-03-01")), []string{"2024/one.md"}, false},
		{"edit date to newest", write("2024/two.md", post("Two", "2024-12-01")), []string{"2024/two.md"}, false},
		{"edit date to oldest", write("2024/same-day-a.md", post("Same A", "2020-01-01")), []string{"2024/same-day-a.md"}, false},
		{"add", write("2024/three.md", post("Three", "2024-03-03")), []string{"2024/three.md"}, false},
		{"add in new folder", write("2025/01/four.md", post("Four", "2024-06-01")), []string{"2025/01/four.md"}, false},
		{"becomes draft", write("2024/one.md", post("One", "2024-03-01", "draft: true")), []string{"2024/one.md"}, false},
		{"draft published", write("draft.md", post("Draft", "2024-01-01")), []string{"draft.md"}, false},
		{"breaks", write("2024/three.md", "---\ntitle: [x\n---\n"), []string{"2024/three.md"}, false},
		{"mended", write("broken.md", post("Mended", "2024-05-05")), []string{"broken.md"}, false},
		{"warning goes", write("2024-01-01-warn.md", post("Warn", "2024-01-01")), []string{"2024-01-01-warn.md"}, false},
		{"becomes page", write("2024/two.md", post("Two", "2024-12-01", "type: page")), []string{"2024/two.md"}, false},
		{"rename", func() error { return os.Rename(p("2024/same-day-b.md"), p("2024/renamed.md")) },
			[]string{"2024/same-day-b.md", "2024/renamed.md"}, false},
		{"remove", func() error { return os.Remove(p("2025/01/four.md")) }, []string{"2025/01/four.md"}, false},
		{"not Markdown, hidden, gone", func() error { return nil }, []string{"notes.txt", ".hidden/h.md", "no/such.md"}, false},
		{"several at once", func() error {
			for i := range 5 {
				if err := write(fmt.Sprintf("2024/many-%d.md", i), post(fmt.Sprintf("Many %d", i), "2024-04-0"+fmt.Sprint(i+1)))(); err != nil {
					return err
				}
			}
			return os.Remove(p("2024/renamed.md"))
		}, []string{"2024/many-0.md", "2024/many-1.md", "2024/many-2.md", "2024/many-3.md", "2024/many-4.md", "2024/renamed.md"}, false},
		{"future falls due", func() error { now = time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC); return nil }, nil, false},
		{"symlink", func() error { return os.Symlink("one.md", p("2024/link.md")) }, []string{"2024/link.md"}, true},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		before := ix.Stamp()
		got, err := rescan(root, cfg, ix, s.changed, surveyed)
		if s.refused {
			if !errors.Is(err, ErrRescan) {
				t.Errorf("%s: Rescan error %v, want ErrRescan", s.name, err)
			}
			if ix.Stamp() != before {
				t.Errorf("%s: a refused rescan changed the index", s.name)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		check(s.name, got)
	}
}

// rescan brings ix up to date with a new Scanner, told the changed files
// by name (ScanOptions.Changed) or, with surveyed, by a survey taken now
// (ScanOptions.Survey).
func rescan(root string, cfg Config, ix *Index, changed []string, surveyed bool) (*Result, error) {
	sc, err := NewScanner(root, cfg)
	if err != nil {
		return nil, err
	}
	if !surveyed {
		return sc.Scan(context.Background(), ScanOptions{Index: ix, Changed: changed})
	}
	sv, err := sc.Survey()
	if err != nil {
		return nil, err
	}
	return sc.Scan(context.Background(), ScanOptions{Survey: sv, Index: ix})
}

// sameResult compares two scans' findings.
func sameResult(t *testing.T, step string, got, want *Result) {
	t.Helper()
	if got.Read != want.Read || got.Drafts != want.Drafts || got.Pages != want.Pages ||
		got.Future != want.Future || got.Unreadable != want.Unreadable || !got.NextPublish.Equal(want.NextPublish) {
		t.Errorf("%s: counts read %d drafts %d pages %d future %d unreadable %d next %v; want %d %d %d %d %d %v", step,
			got.Read, got.Drafts, got.Pages, got.Future, got.Unreadable, got.NextPublish,
			want.Read, want.Drafts, want.Pages, want.Future, want.Unreadable, want.NextPublish)
	}
	if len(got.Posts) != len(want.Posts) {
		t.Errorf("%s: %d posts, want %d", step, len(got.Posts), len(want.Posts))
	} else {
		for i := range got.Posts {
			if !reflect.DeepEqual(got.Posts[i], want.Posts[i]) {
				t.Errorf("%s: post %d:\n got %+v\nwant %+v", step, i, got.Posts[i], want.Posts[i])
			}
		}
	}
	if fmt.Sprint(got.Skipped) != fmt.Sprint(want.Skipped) {
		t.Errorf("%s: skipped %v, want %v", step, got.Skipped, want.Skipped)
	}
	if fmt.Sprint(got.Warnings) != fmt.Sprint(want.Warnings) {
		t.Errorf("%s: warnings %v, want %v", step, got.Warnings, want.Warnings)
	}
}

// FuzzRescan applies file changes read from the input to a small content
// folder (writes of a few kinds of post, removals, renames) and checks
// after each that the index, told the changed files by name or by a
// survey, finds what a fresh scan finds.
func FuzzRescan(f *testing.F) {
	f.Add([]byte{0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7})
	f.Add([]byte{1, 9, 1, 9, 6, 1, 3, 2, 0, 0, 7, 7})
	texts := []string{
		fm("title: A", "date: 2024-01-01", "tags: [x, y]") + "Body.\n",
		fm("title: B", "date: 2024-06-01", "draft: true") + "Draft.\n",
		fm("title: C", "date: 2030-01-01") + "Future.\n",
		"---\ntitle: [broken\n---\n",
		fm("title: D", "date: 2024-02-02", "type: page") + "Page.\n",
		fm("title: E", "date: 2024-03-03", "tags: x") + "Other body.\n",
		"no front matter at all\n",
		fm("title: F", "date: 2023-12-31") + "<!--more-->\nRest.\n",
	}
	names := []string{"a.md", "b.md", "sub/c.md", "sub/d.markdown", "2024-01-01-e.md", "sub/f.md"}
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 60 {
			return
		}
		root := writeTree(t, map[string]string{"a.md": texts[0], "sub/c.md": texts[5], ".hidden/h.md": texts[0]})
		cfg := testConfig()
		cfg.Cache = NewCache()
		_, _, ix := indexFolder(t, root, cfg)
		p := func(name string) string { return filepath.Join(root, filepath.FromSlash(name)) }
		for i := 0; i+1 < len(ops); i += 2 {
			op, arg := ops[i]%4, int(ops[i+1])
			name := names[arg%len(names)]
			var changed []string
			switch op {
			case 0, 1: // write a post of some kind
				if err := os.WriteFile(p(name), []byte(texts[arg/len(names)%len(texts)]), 0o644); err != nil {
					t.Fatal(err)
				}
				changed = []string{name}
			case 2: // remove
				os.Remove(p(name))
				changed = []string{name}
			case 3: // rename onto another name
				to := names[(arg/len(names)+1+arg)%len(names)]
				if os.Rename(p(name), p(to)) == nil {
					changed = []string{name, to}
				}
			}
			got, err := rescan(root, cfg, ix, changed, arg%2 == 1)
			if errors.Is(err, ErrNoContent) {
				continue // every post removed: a scan fails too
			}
			if err != nil {
				t.Fatal(err)
			}
			ref := cfg
			ref.Cache = nil
			rs, err := NewScanner(root, ref)
			if err != nil {
				t.Fatal(err)
			}
			want, err := rs.Scan(context.Background(), ScanOptions{})
			if errors.Is(err, ErrNoContent) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			sameResult(t, fmt.Sprintf("op %d (%d, %d)", i/2, op, arg), got, want)
			if t.Failed() {
				return
			}
		}
	})
}
