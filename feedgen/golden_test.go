package feedgen

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/syndicate/syndicate/source"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/ from the current output")

// goldenCases lists the documents pinned byte for byte in
// testdata/golden/. After an intended change, run
//
//	go test ./feedgen -run TestGolden -update
//
// and review the diff of testdata/golden/ like code.
var goldenCases = []struct {
	file  string // under testdata/golden/, without the extension
	posts func() []*source.Post
	opts  Options
	path  string // the feed's folder in the snapshot
	// site is testSite when nil.
	site func(testing.TB) Site
}{
	{"site", fixturePosts, Options{Limit: fixtureLimit}, "", nil},
	{"tag-go", fixturePosts, Options{Limit: fixtureLimit}, "tags/go/", nil},
	{"tag-c-plus-plus", fixturePosts, Options{Limit: fixtureLimit}, "tags/c-cedb1bac/", nil},
	{"tag-japanese", fixturePosts, Options{Limit: fixtureLimit}, "tags/日本語/", nil},
	{"category-notes", fixturePosts, Options{Limit: fixtureLimit}, "categories/notes/", nil},
	{"site-summary-only", fixturePosts, Options{Limit: fixtureLimit, SummaryOnly: true}, "", nil},
	{"empty", func() []*source.Post { return nil }, Options{Limit: fixtureLimit}, "", nil},
	{"site-authors", fixturePosts, Options{Limit: fixtureLimit, AuthorFeeds: true}, "", authorsSite},
	{"author-bob", fixturePosts, Options{Limit: fixtureLimit, AuthorFeeds: true}, "authors/bob-example/", authorsSite},
	{"author-jane", fixturePosts, Options{Limit: fixtureLimit, AuthorFeeds: true}, "authors/jane-doe/", authorsSite},
}

func TestGolden(t *testing.T) {
	for _, tc := range goldenCases {
		site := testSite()
		if tc.site != nil {
			site = tc.site(t)
		}
		_, snap := mustBuild(t, site, tc.opts, tc.posts())
		// A second build must give the very same bytes.
		_, again := mustBuild(t, site, tc.opts, tc.posts())
		for _, format := range Formats {
			name := tc.file + "." + string(format)
			t.Run(name, func(t *testing.T) {
				doc := snap.Docs[tc.path+format.FileName()]
				if doc == nil {
					t.Fatalf("no document %s%s", tc.path, format.FileName())
				}
				if d2 := again.Docs[doc.Path]; !bytes.Equal(doc.Body, d2.Body) || doc.ETag != d2.ETag {
					t.Errorf("two builds differ")
				}
				golden := filepath.Join("testdata", "golden", name)
				if *update {
					if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(golden, doc.Body, 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run with -update to create it)", err)
				}
				if !bytes.Equal(doc.Body, want) {
					t.Errorf("%s differs from %s (run with -update if intended):\n%s", doc.Path, golden, firstDiff(want, doc.Body))
				}
			})
		}
	}
}

// firstDiff shows the first line where got differs from want.
func firstDiff(want, got []byte) string {
	wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			if len(w) > 300 || len(g) > 300 { // JSON is one long line
				j := 0
				for j < len(w) && j < len(g) && w[j] == g[j] {
					j++
				}
				start := max(0, j-60)
				w, g = w[start:min(len(w), j+120)], g[start:min(len(g), j+120)]
			}
			return "line " + strconv.Itoa(i+1) + ":\n  want: " + w + "\n  got:  " + g
		}
	}
	return "(no line differs)"
}
