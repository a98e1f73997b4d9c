package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/syndicate/syndicate/feedgen"
)

// TestMain keeps the tests' caches out of the user's cache folder.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "syndicate-test-cache-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CACHE_HOME", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// stubSnapshot is a snapshot of one compressible RSS document, for
// rebuilds and requests whose documents do not matter.
func stubSnapshot() *feedgen.Snapshot {
	body := []byte("<rss>" + strings.Repeat("<item>stub</item>\n", 50) + "</rss>")
	sum := sha256.Sum256(body)
	d := &feedgen.Document{
		Path: "feed.rss", Format: feedgen.RSS, ContentType: feedgen.RSS.ContentType(), Body: body, Size: int64(len(body)),
		ETag: `"` + hex.EncodeToString(sum[:16]) + `"`, Modified: time.Date(2024, 3, 5, 9, 0, 0, 0, time.UTC),
	}
	return &feedgen.Snapshot{Docs: map[string]*feedgen.Document{d.Path: d}, Paths: []string{d.Path}}
}

// do serves one request with h.
func do(h http.Handler, method, target string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	return out
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
func testSettings(t testing.TB, cfg *Config) *settings {
	t.Helper()
	st, err := cfg.settings(overrides{})
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
