package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/syndicate/syndicate/config"
	"github.com/syndicate/syndicate/feedgen"
	"github.com/syndicate/syndicate/pages"
	"github.com/syndicate/syndicate/pipeline"
	"github.com/syndicate/syndicate/rebuild"
)

// TestMain keeps the tests' caches and publication states out of the
// user's folders.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "syndicate-test-cache-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CACHE_HOME", dir)
	os.Setenv("XDG_STATE_HOME", filepath.Join(dir, "state"))
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// docBytes is a document's body, held compressed or not.
func docBytes(t testing.TB, d *feedgen.Document) []byte {
	t.Helper()
	b, err := d.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testSettings derives cfg's settings as build and serve do.
func testSettings(t testing.TB, cfg *config.Config) *config.Settings {
	t.Helper()
	st, err := deriveSettings(cfg, config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestRunExitStatus: run is the one place that maps a command's error to
// an exit status and its message, each problem on one line with one
// prefix.
func TestRunExitStatus(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none.yaml")
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("site:\n  url: ftp://x\nfeeds:\n  limit: 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		args  []string
		code  int
		lines []string // stderr, line by line
	}{
		{"missing config", []string{"build", "--config", missing}, exitUsage,
			[]string{"syndicate: config: open " + missing + ": no such file or directory"}},
		{"bad config", []string{"build", "--config", bad}, exitUsage, []string{
			`syndicate: config: site.url: "ftp://x" is not an absolute http(s) URL`,
			"syndicate: config: feeds.limit: 0 is out of range (1 to 1000)",
		}},
		{"extra argument", []string{"serve", "--config", bad, "extra"}, exitUsage,
			[]string{`syndicate: serve: unexpected argument "extra"`}},
		{"help", []string{"build", "-h"}, exitOK, nil},
		{"version", []string{"version"}, exitOK, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			code := run(context.Background(), tc.args, io.Discard, &stderr)
			if code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			if tc.lines == nil {
				return
			}
			if got := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n"); !slices.Equal(got, tc.lines) {
				t.Errorf("stderr:\n%s\nwant:\n%s", stderr.String(), strings.Join(tc.lines, "\n"))
			}
		})
	}
}

// writeConfig writes a config.yaml for contentDir into a temp folder and
// loads it; extra is appended to the YAML.
func writeConfig(t testing.TB, contentDir, extra string) (*config.Config, string) {
	t.Helper()
	abs, err := filepath.Abs(contentDir)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	// Each test has a publication state of its own, as each has its own
	// site; a test may name another with state_dir.
	if !strings.Contains(extra, "state_dir:") {
		extra = fmt.Sprintf("state_dir: %q\n", filepath.Join(t.TempDir(), "state")) + extra
	}
	yaml := fmt.Sprintf("site:\n  title: Test site\n  url: https://example.org/\n  feeds_url: https://example.org/feeds/\n  language: en\ncontent_dir: %q\noutput_dir: public\n%s", abs, extra)
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return cfg, path
}

// copyContent copies testdata/content into a temp folder the test may edit.
func copyContent(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "content")
	err := os.CopyFS(dst, os.DirFS("testdata/content"))
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// buildFor is a build of cfg from scratch into memory.
func buildFor(cfg *config.Config) rebuild.BuildFunc {
	return func(ctx context.Context, now time.Time) (*pipeline.Result, *feedgen.Snapshot, error) {
		var mem pipeline.Memory
		st, err := deriveSettings(cfg, config.Options{})
		if err != nil {
			return nil, nil, err
		}
		res, err := pipeline.New(st.Pipeline).Build(ctx, now, &mem)
		return res, mem.Snapshot(), err
	}
}

// buildSnapshot is the snapshot of a build of cfg from scratch.
func buildSnapshot(t testing.TB, cfg *config.Config, now time.Time) (*pipeline.Result, *feedgen.Snapshot) {
	t.Helper()
	res, snap, err := buildFor(cfg)(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	return res, snap
}

// checkWellFormed parses a document by its path's extension: RSS, Atom
// and OPML with encoding/xml in strict mode (one root element, nothing but
// white space around it, no character XML forbids), JSON Feed with
// encoding/json (one object with an items array), pages as UTF-8 HTML5
// and discovery snippets as autodiscovery links (package pages holds both
// to a strict parser), the nginx include as text.
func checkWellFormed(path string, body []byte) error {
	switch {
	case strings.HasSuffix(path, pages.DiscoveryName):
		text, ok := strings.CutSuffix(string(body), "\n")
		for _, l := range strings.Split(text, "\n") {
			if !ok || !utf8.ValidString(l) || !strings.HasPrefix(l, `<link rel="alternate" type="`) || !strings.HasSuffix(l, `">`) {
				return fmt.Errorf("%s: line %q is not an autodiscovery link", path, l)
			}
		}
		return nil
	case strings.HasSuffix(path, pages.NginxName):
		if !utf8.Valid(body) || !bytes.Contains(body, []byte("rewrite ")) {
			return fmt.Errorf("%s: not an nginx include", path)
		}
		return nil
	case strings.HasSuffix(path, ".html"):
		if !utf8.Valid(body) || !bytes.HasPrefix(body, []byte("<!DOCTYPE html>\n")) {
			return fmt.Errorf("%s: not an HTML5 page", path)
		}
		return nil
	case strings.HasSuffix(path, ".rss"), strings.HasSuffix(path, ".atom"), strings.HasSuffix(path, ".opml"):
		return checkXML(body)
	case strings.HasSuffix(path, ".json"):
		return checkJSONFeed(body)
	}
	return fmt.Errorf("%s: not a feed document", path)
}

func checkXML(body []byte) error {
	if !utf8.Valid(body) {
		return errors.New("not UTF-8")
	}
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	depth, roots := 0, 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("XML: %w", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(tok)) > 0 {
				return errors.New("XML: text outside the root element")
			}
		}
	}
	if roots != 1 || depth != 0 {
		return fmt.Errorf("XML: %d root elements, depth %d at the end", roots, depth)
	}
	return nil
}

func checkJSONFeed(body []byte) error {
	if !json.Valid(body) {
		return errors.New("JSON: not valid")
	}
	var feed struct {
		Version string            `json:"version"`
		Items   []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(body, &feed); err != nil {
		return fmt.Errorf("JSON: %w", err)
	}
	if !strings.HasPrefix(feed.Version, "https://jsonfeed.org/version/") || feed.Items == nil {
		return errors.New("JSON: not a JSON Feed (version, items)")
	}
	return nil
}
