package server

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syndicate/syndicate/feedgen"
	"github.com/syndicate/syndicate/internal/handlertest"
	"github.com/syndicate/syndicate/pages"
)

var testModified = time.Date(2024, 3, 5, 9, 0, 0, 0, time.UTC)

// makeDoc builds a document the way feedgen does: strong ETag from the
// body's hash.
func makeDoc(path string, body string, modified time.Time) *feedgen.Document {
	f := feedgen.RSS
	switch {
	case strings.HasSuffix(path, ".atom"):
		f = feedgen.Atom
	case strings.HasSuffix(path, ".json"):
		f = feedgen.JSON
	}
	d := &feedgen.Document{
		Path: path, Format: f, ContentType: f.ContentType(), Body: []byte(body), Size: int64(len(body)),
		ETag: feedgen.ETag([]byte(body)), Modified: modified,
	}
	if testHoldCompressed {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(d.Body)
		zw.Close()
		d.Gzip, d.Body = buf.Bytes(), nil
	}
	return d
}

// testHoldCompressed makes makeDoc hold documents compressed, as serve
// does (feedgen.Options.Compressed); see TestHeldCompressed.
var testHoldCompressed bool

// TestHeldCompressed runs the serving tests over documents held
// compressed, whose identity bodies come from plainCache.
func TestHeldCompressed(t *testing.T) {
	testHoldCompressed = true
	defer func() { testHoldCompressed = false }()
	for _, tc := range []struct {
		name string
		f    func(*testing.T)
	}{
		{"conditional", TestConditionalRequests}, {"encodings", TestEncodings}, {"head", TestHeadMatchesGet},
		{"publish", TestPublishKeepsUnchangedDocuments}, {"swap", TestAtomicSwap}, {"paths", TestPaths},
	} {
		t.Run(tc.name, tc.f)
	}
}

func makeSnapshot(docs ...*feedgen.Document) *feedgen.Snapshot {
	s := &feedgen.Snapshot{Docs: map[string]*feedgen.Document{}}
	for _, d := range docs {
		s.Docs[d.Path] = d
		s.Paths = append(s.Paths, d.Path)
	}
	sort.Strings(s.Paths)
	return s
}

// feedBody is a compressible body labelled with its set and path.
func feedBody(label, path string) string {
	return "<" + label + ":" + path + ">" + strings.Repeat("<item>repeated feed text</item>\n", 50) + "</" + label + ":" + path + ">"
}

var testPaths = []string{"feed.rss", "feed.atom", "feed.json", "tags/日本語/feed.rss", "tags/go/feed.atom", "categories/notes/feed.json"}

func testSnapshot(label string) *feedgen.Snapshot {
	var docs []*feedgen.Document
	for _, p := range testPaths {
		docs = append(docs, makeDoc(p, feedBody(label, p), testModified))
	}
	docs = append(docs, makeDoc("tiny/feed.json", "{}", testModified))
	return makeSnapshot(docs...)
}

func newTestServer(t *testing.T, prefix string) (*Handler, *feedgen.Snapshot) {
	t.Helper()
	s := New(prefix, "public, max-age=300", nil)
	snap := testSnapshot("A")
	s.Publish(snap)
	return s, snap
}

func TestConditionalRequests(t *testing.T) {
	s, snap := newTestServer(t, "")
	d := snap.Docs["feed.rss"]
	etag := d.ETag
	gzETag := variantETag(etag, "gz")
	lm := testModified.Format(http.TimeFormat)
	before := testModified.Add(-time.Hour).Format(http.TimeFormat)
	after := testModified.Add(time.Hour).Format(http.TimeFormat)
	tests := []struct {
		name   string
		method string
		hdr    []string
		want   int
		etag   string // ETag expected on the response
	}{
		{"unconditional", "GET", nil, 200, etag},
		{"INM exact", "GET", []string{"If-None-Match", etag}, 304, etag},
		{"INM weak W/ matches (weak comparison)", "GET", []string{"If-None-Match", "W/" + etag}, 304, etag},
		{"INM list", "GET", []string{"If-None-Match", `"nope", ` + etag + `, "other"`}, 304, etag},
		{"INM list without match", "GET", []string{"If-None-Match", `"nope", "other"`}, 200, etag},
		{"INM star", "GET", []string{"If-None-Match", "*"}, 304, etag},
		{"INM other", "GET", []string{"If-None-Match", `"other"`}, 200, etag},
		{"INM of gzip variant on identity request", "GET", []string{"If-None-Match", gzETag}, 200, etag},
		{"INM gzip variant", "GET", []string{"If-None-Match", gzETag, "Accept-Encoding", "gzip"}, 304, gzETag},
		{"INM identity ETag on gzip request", "GET", []string{"If-None-Match", etag, "Accept-Encoding", "gzip"}, 200, gzETag},
		{"IMS equal", "GET", []string{"If-Modified-Since", lm}, 304, etag},
		{"IMS after", "GET", []string{"If-Modified-Since", after}, 304, etag},
		{"IMS before", "GET", []string{"If-Modified-Since", before}, 200, etag},
		{"INM mismatch wins over IMS", "GET", []string{"If-None-Match", `"other"`, "If-Modified-Since", after}, 200, etag},
		{"INM match wins over IMS", "GET", []string{"If-None-Match", etag, "If-Modified-Since", before}, 304, etag},
		{"HEAD INM", "HEAD", []string{"If-None-Match", etag}, 304, etag},
		{"HEAD IMS before", "HEAD", []string{"If-Modified-Since", before}, 200, etag},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := handlertest.Do(s, tc.method, "/feed.rss", tc.hdr...)
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d", w.Code, tc.want)
			}
			h := w.Header()
			if got := h.Get("ETag"); got != tc.etag {
				t.Errorf("ETag %q, want %q", got, tc.etag)
			}
			if h.Get("Cache-Control") != "public, max-age=300" || h.Get("Vary") != "Accept-Encoding" {
				t.Errorf("Cache-Control %q Vary %q", h.Get("Cache-Control"), h.Get("Vary"))
			}
			if tc.want == 304 {
				if w.Body.Len() != 0 {
					t.Errorf("304 with a body of %d bytes", w.Body.Len())
				}
				return
			}
			if h.Get("Last-Modified") != lm {
				t.Errorf("Last-Modified %q, want %q", h.Get("Last-Modified"), lm)
			}
			if h.Get("Content-Type") != "application/rss+xml; charset=utf-8" {
				t.Errorf("Content-Type %q", h.Get("Content-Type"))
			}
		})
	}
}

func TestEncodings(t *testing.T) {
	s, snap := newTestServer(t, "")
	d := snap.Docs["feed.atom"]
	tests := []struct {
		name, accept string
		status       int
		gzip         bool
	}{
		{"none", "", 200, false},
		{"gzip", "gzip", 200, true},
		{"gzip among others", "br;q=1, gzip;q=0.8, deflate", 200, true},
		{"gzip refused", "gzip;q=0", 200, false},
		{"star", "*", 200, true},
		{"identity only", "identity", 200, false},
		{"nothing acceptable", "*;q=0", 406, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.accept != "" {
				hdr = []string{"Accept-Encoding", tc.accept}
			}
			w := handlertest.Do(s, "GET", "/feed.atom", hdr...)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d", w.Code, tc.status)
			}
			if w.Header().Get("Vary") != "Accept-Encoding" {
				t.Errorf("Vary %q", w.Header().Get("Vary"))
			}
			if tc.status != 200 {
				return
			}
			body := w.Body.Bytes()
			if w.Header().Get("Content-Length") != fmt.Sprint(len(body)) {
				t.Errorf("Content-Length %q, body %d bytes", w.Header().Get("Content-Length"), len(body))
			}
			if tc.gzip {
				if w.Header().Get("Content-Encoding") != "gzip" {
					t.Fatalf("Content-Encoding %q, want gzip", w.Header().Get("Content-Encoding"))
				}
				if w.Header().Get("ETag") != variantETag(d.ETag, "gz") {
					t.Errorf("ETag %q", w.Header().Get("ETag"))
				}
				if len(body) >= len(docBytes(t, d)) {
					t.Errorf("gzip body %d bytes, identity %d", len(body), len(docBytes(t, d)))
				}
				body = handlertest.Gunzip(t, body)
			} else {
				if ce := w.Header().Get("Content-Encoding"); ce != "" {
					t.Errorf("Content-Encoding %q", ce)
				}
				if w.Header().Get("ETag") != d.ETag {
					t.Errorf("ETag %q", w.Header().Get("ETag"))
				}
			}
			if !bytes.Equal(body, docBytes(t, d)) {
				t.Errorf("body differs from the document")
			}
		})
	}

	t.Run("range of the gzip variant", func(t *testing.T) {
		full := handlertest.Do(s, "GET", "/feed.atom", "Accept-Encoding", "gzip").Body.Bytes()
		w := handlertest.Do(s, "GET", "/feed.atom", "Accept-Encoding", "gzip", "Range", "bytes=0-9")
		if w.Code != 206 || w.Header().Get("Content-Length") != "10" || !bytes.Equal(w.Body.Bytes(), full[:10]) {
			t.Fatalf("got %d, Content-Length %q, %d bytes", w.Code, w.Header().Get("Content-Length"), w.Body.Len())
		}
		if w.Header().Get("Content-Range") != fmt.Sprintf("bytes 0-9/%d", len(full)) {
			t.Errorf("Content-Range %q", w.Header().Get("Content-Range"))
		}
	})

	t.Run("not worth compressing", func(t *testing.T) {
		w := handlertest.Do(s, "GET", "/tiny/feed.json", "Accept-Encoding", "gzip")
		if w.Code != 200 || w.Header().Get("Content-Encoding") != "" || w.Body.String() != "{}" {
			t.Fatalf("got %d %q %q", w.Code, w.Header().Get("Content-Encoding"), w.Body.String())
		}
		if w.Header().Get("ETag") != snap.Docs["tiny/feed.json"].ETag || w.Header().Get("Vary") != "Accept-Encoding" {
			t.Errorf("ETag %q Vary %q", w.Header().Get("ETag"), w.Header().Get("Vary"))
		}
	})

	t.Run("compressed once", func(t *testing.T) {
		w1 := handlertest.Do(s, "GET", "/feed.atom", "Accept-Encoding", "gzip")
		sd := s.set.Load().docs["feed.atom"]
		first := &sd.gzipBody[0]
		w2 := handlertest.Do(s, "GET", "/feed.atom", "Accept-Encoding", "gzip")
		if &sd.gzipBody[0] != first || !bytes.Equal(w1.Body.Bytes(), w2.Body.Bytes()) {
			t.Errorf("gzip variant recomputed")
		}
	})
}

func TestHeadMatchesGet(t *testing.T) {
	s, _ := newTestServer(t, "/feeds")
	for _, target := range []string{"/feeds/feed.rss", "/feeds/tags/%E6%97%A5%E6%9C%AC%E8%AA%9E/feed.rss"} {
		for _, accept := range []string{"", "gzip"} {
			t.Run(target+" "+accept, func(t *testing.T) {
				get := handlertest.Do(s, "GET", target, "Accept-Encoding", accept)
				head := handlertest.Do(s, "HEAD", target, "Accept-Encoding", accept)
				if get.Code != 200 || head.Code != 200 {
					t.Fatalf("GET %d HEAD %d", get.Code, head.Code)
				}
				if head.Body.Len() != 0 {
					t.Errorf("HEAD has a body of %d bytes", head.Body.Len())
				}
				for k := range get.Header() {
					if get.Header().Get(k) != head.Header().Get(k) {
						t.Errorf("%s: GET %q, HEAD %q", k, get.Header().Get(k), head.Header().Get(k))
					}
				}
				if head.Header().Get("Content-Length") != fmt.Sprint(get.Body.Len()) {
					t.Errorf("HEAD Content-Length %q, GET body %d", head.Header().Get("Content-Length"), get.Body.Len())
				}
			})
		}
	}
}

func TestMethods(t *testing.T) {
	s, _ := newTestServer(t, "/feeds")
	for _, m := range []string{"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND"} {
		for _, target := range []string{"/feeds/feed.rss", "/healthz", "/feeds/readyz"} {
			t.Run(m+" "+target, func(t *testing.T) {
				w := handlertest.Do(s, m, target)
				if w.Code != 405 {
					t.Fatalf("status %d, want 405", w.Code)
				}
				if w.Header().Get("Allow") != "GET, HEAD" {
					t.Errorf("Allow %q", w.Header().Get("Allow"))
				}
			})
		}
		t.Run(m+" unknown path", func(t *testing.T) {
			if w := handlertest.Do(s, m, "/feeds/nope.rss"); w.Code != 404 {
				t.Errorf("status %d, want 404", w.Code)
			}
		})
	}
}

func TestPaths(t *testing.T) {
	tests := []struct {
		prefix, target string
		want           int
	}{
		{"", "/feed.rss", 200},
		{"", "/feed.json", 200},
		{"", "/", 404},
		{"", "/feeds/feed.rss", 404},
		{"", "/healthz", 200},
		{"", "/readyz", 200},
		{"", "/feed.rss?utm=x", 200},
		{"/feeds", "/feeds/feed.rss", 200},
		{"/feeds", "/feeds/categories/notes/feed.json", 200},
		{"/feeds", "/feeds", 404},
		{"/feeds", "/feeds/", 404},
		{"/feeds", "/feeds/tags/", 404},
		{"/feeds", "/feeds/tags/go", 404},
		{"/feeds", "/feed.rss", 404},
		{"/feeds", "/feedsfeed.rss", 404},
		{"/feeds", "/feeds/feed.rss/", 404},
		{"/feeds", "/FEEDS/feed.rss", 404},
		{"/feeds", "/healthz", 200},
		{"/feeds", "/feeds/healthz", 200},
		{"/feeds", "/readyz", 200},
		{"/feeds", "/feeds/readyz", 200},
		{"/feeds/", "/feeds/feed.rss", 200}, // a trailing slash in the config is dropped
		{"/a/b", "/a/b/feed.atom", 200},
		// Unicode slugs arrive percent-encoded, in either case, or raw.
		{"/feeds", "/feeds/tags/%E6%97%A5%E6%9C%AC%E8%AA%9E/feed.rss", 200},
		{"/feeds", "/feeds/tags/%e6%97%a5%e6%9c%ac%e8%aa%9e/feed.rss", 200},
		{"/feeds", "/feeds/tags/日本語/feed.rss", 200},
		{"/feeds", "/feeds/tags/%E6%97%A5%E6%9C%AC/feed.rss", 404},
		// Traversal and unclean paths name no document.
		{"", "/tags/%2e%2e/feed.rss", 404},
		{"", "/tags/../feed.rss", 404},
		{"", "/tags/日本語/../../feed.rss", 404},
		{"", "/%2e%2e/feed.rss", 404},
		{"", "/./feed.rss", 404},
		{"", "//feed.rss", 404},
		{"", "/tags//go/feed.atom", 404},
		{"", "/tags%2Fgo%2Ffeed.atom", 404},
		{"", "/tags%2fgo/feed.atom", 404},
		{"", `/tags\go\feed.atom`, 404},
		{"", "/tags%5Cgo%5Cfeed.atom", 404},
		{"", "/feed.rss%00", 404},
		{"/feeds", "/feeds/../feeds/feed.rss", 404},
		{"/feeds", "/feeds/%2e%2e/feeds/feed.rss", 404},
		{"/feeds", "/feeds//feed.rss", 404},
	}
	for _, tc := range tests {
		t.Run(tc.prefix+" "+tc.target, func(t *testing.T) {
			s := New(tc.prefix, "", nil)
			s.Publish(testSnapshot("A"))
			w := handlertest.Do(s, "GET", tc.target)
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d", w.Code, tc.want)
			}
			if tc.want == 404 {
				if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
					t.Errorf("404 Content-Type %q", ct)
				}
				if w.Body.Len() > 100 {
					t.Errorf("404 body is %d bytes", w.Body.Len())
				}
			}
		})
	}
}

func TestBeforeFirstBuild(t *testing.T) {
	s := New("/feeds", "", nil)
	if w := handlertest.Do(s, "GET", "/feeds/feed.rss"); w.Code != 503 || w.Header().Get("Retry-After") == "" {
		t.Errorf("feed before first build: %d Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
	if w := handlertest.Do(s, "GET", "/readyz"); w.Code != 503 || !strings.Contains(w.Body.String(), `"ready": false`) {
		t.Errorf("readyz before first build: %d %s", w.Code, w.Body)
	}
	if w := handlertest.Do(s, "GET", "/healthz"); w.Code != 200 || w.Body.String() != "ok\n" {
		t.Errorf("healthz: %d %q", w.Code, w.Body)
	}
	if w := handlertest.Do(s, "GET", "/elsewhere"); w.Code != 404 {
		t.Errorf("outside the prefix: %d", w.Code)
	}
}

// TestGone: documents of a retired feed's folder answer 410 Gone (for
// every method's usual answer), anything else still 404, and a served
// document is served whatever the list says.
func TestGone(t *testing.T) {
	s := New("/feeds", "", nil)
	s.Publish(&feedgen.Snapshot{
		Docs:  map[string]*feedgen.Document{"tags/back/feed.rss": makeDoc("tags/back/feed.rss", "<rss/>", testModified)},
		Paths: []string{"tags/back/feed.rss"},
	})
	s.SetGone([]string{"tags/old/", "categories/päpste/", "tags/back/"})
	for _, tc := range []struct {
		method, path string
		code         int
	}{
		{"GET", "/feeds/tags/old/feed.rss", 410},
		{"GET", "/feeds/tags/old/feed.atom", 410},
		{"HEAD", "/feeds/tags/old/feed.json", 410},
		{"GET", "/feeds/categories/p%C3%A4pste/feed.atom", 410},
		{"POST", "/feeds/tags/old/feed.rss", 405},
		{"GET", "/feeds/tags/old/other.txt", 404},
		{"GET", "/feeds/tags/old/", 404},
		{"GET", "/feeds/tags/older/feed.rss", 404},
		{"GET", "/tags/old/feed.rss", 404}, // outside the prefix
		{"GET", "/feeds/tags/back/feed.rss", 200},
	} {
		if w := handlertest.Do(s, tc.method, tc.path); w.Code != tc.code {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, w.Code, tc.code)
		}
	}
	s.SetGone(nil)
	if w := handlertest.Do(s, "GET", "/feeds/tags/old/feed.rss"); w.Code != 404 {
		t.Errorf("after SetGone(nil): %d", w.Code)
	}
}

// TestPublishKeepsUnchangedDocuments: an identical document keeps its
// servedDoc (and so its Document, ETag and gzip variant); a changed one is
// replaced; a removed one disappears; nothing changed keeps the set.
func TestPublishKeepsUnchangedDocuments(t *testing.T) {
	s := New("", "", nil)
	st := s.Publish(testSnapshot("A"))
	if st.Changed != len(testPaths)+1 || st.Documents != len(testPaths)+1 {
		t.Fatalf("first publish: %+v", st)
	}
	set1 := s.set.Load()
	handlertest.Do(s, "GET", "/feed.rss", "Accept-Encoding", "gzip") // make the gzip variant
	gz := set1.docs["feed.rss"].gzipBody

	same := testSnapshot("A") // new Document values, same bytes
	st = s.Publish(same)
	if st.Changed != 0 || s.set.Load() != set1 {
		t.Fatalf("identical publish changed %d documents / did not keep the set", st.Changed)
	}
	for p, d := range set1.docs {
		if s.set.Load().docs[p] != d {
			t.Fatalf("identical publish replaced %s", p)
		}
	}
	set1 = s.set.Load()

	next := testSnapshot("A")
	next.Docs["feed.json"] = makeDoc("feed.json", feedBody("B", "feed.json"), testModified.Add(time.Hour))
	delete(next.Docs, "tiny/feed.json")
	st = s.Publish(next)
	if st.Changed != 2 || st.Documents != len(testPaths) {
		t.Fatalf("publish with one change, one removal: %+v", st)
	}
	set2 := s.set.Load()
	if set2 == set1 {
		t.Fatal("set not swapped")
	}
	if set2.docs["feed.rss"] != set1.docs["feed.rss"] || &set2.docs["feed.rss"].gzipBody[0] != &gz[0] {
		t.Error("unchanged feed.rss was replaced")
	}
	if set2.docs["feed.json"] == set1.docs["feed.json"] {
		t.Error("changed feed.json was kept")
	}
	if w := handlertest.Do(s, "GET", "/tiny/feed.json"); w.Code != 404 {
		t.Errorf("removed document: %d", w.Code)
	}
	if w := handlertest.Do(s, "GET", "/feed.json"); !strings.HasPrefix(w.Body.String(), "<B:") {
		t.Errorf("changed document not served: %.20q", w.Body.String())
	}

	// The very snapshot again, as a rebuild that found nothing changed
	// publishes it: nothing changed, the set kept.
	if st := s.Publish(next); st.Changed != 0 || st.Documents != len(testPaths) || s.set.Load() != set2 {
		t.Errorf("the same snapshot again: %+v, set kept %v", st, s.set.Load() == set2)
	}
}

// TestAtomicSwap: readers racing with swaps always get a complete document
// of one set, with the ETag of that same document.
func TestAtomicSwap(t *testing.T) {
	s := New("/feeds", "public", nil)
	sets := []*feedgen.Snapshot{testSnapshot("A"), testSnapshot("B"), testSnapshot("C")}
	etags := map[string]string{} // ETag -> label:path
	for _, snap := range sets {
		for p, d := range snap.Docs {
			etags[d.ETag] = string(docBytes(t, d)[1:2]) + ":" + p
			etags[variantETag(d.ETag, "gz")] = string(docBytes(t, d)[1:2]) + ":" + p
		}
	}
	s.Publish(sets[0])

	var stop atomic.Bool
	var wg sync.WaitGroup
	var requests atomic.Int64
	errs := make(chan error, 16)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; !stop.Load() || n < 20; n++ {
				p := testPaths[(i+n)%len(testPaths)]
				accept := ""
				if n%2 == 0 {
					accept = "gzip"
				}
				w := handlertest.Do(s, "GET", "/feeds/"+p, "Accept-Encoding", accept)
				requests.Add(1)
				body := w.Body.Bytes()
				if w.Header().Get("Content-Encoding") == "gzip" {
					zr, err := gzip.NewReader(bytes.NewReader(body))
					if err == nil {
						body, err = io.ReadAll(zr)
					}
					if err != nil {
						errs <- fmt.Errorf("%s: %w", p, err)
						return
					}
				}
				if w.Code != 200 || len(body) < 3 {
					errs <- fmt.Errorf("%s: status %d, %d bytes", p, w.Code, len(body))
					return
				}
				label := string(body[1:2])
				if want := feedBody(label, p); string(body) != want {
					errs <- fmt.Errorf("%s: incomplete or mixed document (%d bytes, want %d)", p, len(body), len(want))
					return
				}
				if got := etags[w.Header().Get("ETag")]; got != label+":"+p {
					errs <- fmt.Errorf("%s: ETag %s belongs to %q, body to %q", p, w.Header().Get("ETag"), got, label+":"+p)
					return
				}
			}
		}()
	}
	for i := range 300 {
		s.Publish(sets[i%len(sets)])
		if i%50 == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if requests.Load() < 160 {
		t.Errorf("only %d requests", requests.Load())
	}
}

func TestVariantETag(t *testing.T) {
	for in, want := range map[string]string{`"abc"`: `"abc-gz"`, `W/"abc"`: `W/"abc-gz"`, `abc`: `abc-gz`} {
		if got := variantETag(in, "gz"); got != want {
			t.Errorf("variantETag(%s) = %s, want %s", in, got, want)
		}
	}
}

func BenchmarkServeFeed(b *testing.B) {
	s := New("/feeds", "public, max-age=300", nil)
	snap := testSnapshot("A")
	s.Publish(snap)
	etag := snap.Docs["feed.rss"].ETag
	for _, bc := range feedRequests(etag) {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if w := handlertest.Do(s, "GET", "/feeds/feed.rss", bc.hdr...); w.Code >= 400 {
					b.Fatal(w.Code)
				}
			}
		})
	}
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

// discardRW is a ResponseWriter that keeps nothing but its headers, so
// that a benchmark measures the handler rather than a recorder.
type discardRW struct{ h http.Header }

func (d *discardRW) Header() http.Header         { return d.h }
func (d *discardRW) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardRW) WriteHeader(int)             {}

// BenchmarkHandlerVsReference runs serve's handler and a handler like
// scripts/refserver's (the wrk reference) side by side on one document,
// without the network: the difference is what syndicate's routing,
// negotiation and RFC 9110 headers cost per request.
func BenchmarkHandlerVsReference(b *testing.B) {
	s := New("/feeds", "public, max-age=300", nil)
	snap := testSnapshot("A")
	s.Publish(snap)
	d := snap.Docs["feed.rss"]
	body, _ := d.Bytes()
	etag := d.ETag
	ref := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(304)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Header().Set("ETag", etag)
		w.Write(body)
	})
	for _, bc := range feedRequests(etag) {
		for _, h := range []struct {
			name string
			h    http.Handler
		}{{"ours", s}, {"ref", ref}} {
			b.Run(bc.name+"/"+h.name, func(b *testing.B) {
				r := httptest.NewRequest("GET", "/feeds/feed.rss", nil)
				for i := 0; i < len(bc.hdr); i += 2 {
					r.Header.Set(bc.hdr[i], bc.hdr[i+1])
				}
				b.ReportAllocs()
				for b.Loop() {
					w := &discardRW{h: http.Header{}}
					h.h.ServeHTTP(w, r)
				}
			})
		}
	}
}

// feedRequest is one kind of request the serving benchmarks make.
type feedRequest struct {
	name string
	hdr  []string // header name, value, ...
}

// feedRequests are a plain GET, a gzip GET and a GET that etag answers
// with 304.
func feedRequests(etag string) []feedRequest {
	return []feedRequest{
		{"identity", nil},
		{"gzip", []string{"Accept-Encoding", "gzip"}},
		{"304", []string{"If-None-Match", etag}},
	}
}

// heldFeed is a feed of about 60 KB held gzip-compressed, as serve holds
// every document, with its identity body.
func heldFeed(b *testing.B) (*feedgen.Document, []byte) {
	b.Helper()
	// Words drawn at random from a vocabulary, so the body compresses
	// about as well as a real feed's (to 28-30%).
	rng := rand.New(rand.NewPCG(1, 2))
	vocab := strings.Fields("the a feed reader post tag site of and to in syndicate Markdown render goldmark " +
		"server nginx proxy gzip cache etag modified atom rss json item entry link title summary content " +
		"author category date time zone build serve watch survey index plan document byte request response " +
		"header client poll minute hour day week blog writer reader subscriber update change edit file folder")
	words := func(n int) string {
		w := make([]string, n)
		for i := range w {
			w[i] = vocab[rng.IntN(len(vocab))]
			if rng.IntN(9) == 0 {
				w[i] += fmt.Sprint(rng.IntN(1000))
			}
		}
		return strings.Join(w, " ")
	}
	var body bytes.Buffer
	body.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<rss version=\"2.0\"><channel><title>Example</title>")
	for i := 0; body.Len() < 60<<10; i++ {
		fmt.Fprintf(&body, "<item><title>%s</title><link>https://example.org/%d/%d/</link>"+
			"<description>&lt;p&gt;%s&lt;/p&gt;&lt;p&gt;%s&lt;/p&gt;</description>"+
			"<pubDate>Mon, 0%d Jan 2024 10:%02d:00 +0000</pubDate></item>",
			words(6), 2024, rng.IntN(100000), words(60), words(40), 1+i%9, rng.IntN(60))
	}
	body.WriteString("</channel></rss>\n")
	gz, err := feedgen.Gzip(body.Bytes())
	if err != nil {
		b.Fatal(err)
	}
	return &feedgen.Document{Path: "feed.rss", Format: feedgen.RSS, ContentType: feedgen.RSS.ContentType(),
		Gzip: gz, Size: int64(body.Len()), ETag: `"held"`, Modified: testModified}, body.Bytes()
}

// BenchmarkServeHeld measures what holding documents compressed costs a
// request: a gzip request writes the held bytes; one without gzip gets
// the body decompressed, once while the plain-body cache keeps it
// ("identity-cached") or on every request where it does not
// ("identity-uncached", the cache's budget set to nothing). "compress"
// is compressing the body once, which serve does for each new version of
// a document as it is encoded, and which a server compressing lazily
// would do on the first gzip request instead.
func BenchmarkServeHeld(b *testing.B) {
	d, body := heldFeed(b)
	serve := func(b *testing.B, budget int64, hdr ...string) {
		s := New("", "", nil)
		s.plain.budget = budget
		s.Publish(&feedgen.Snapshot{Docs: map[string]*feedgen.Document{d.Path: d}, Paths: []string{d.Path}})
		r := httptest.NewRequest("GET", "/feed.rss", nil)
		for i := 0; i < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
		b.ReportAllocs()
		for b.Loop() {
			w := &discardRW{h: http.Header{}}
			s.ServeHTTP(w, r)
		}
	}
	b.Run("gzip", func(b *testing.B) { serve(b, plainCacheBudget, "Accept-Encoding", "gzip") })
	b.Run("identity-cached", func(b *testing.B) { serve(b, plainCacheBudget) })
	b.Run("identity-uncached", func(b *testing.B) { serve(b, 0) })
	b.Run("compress", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if _, err := feedgen.Gzip(body); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(d.Gzip))/float64(len(body)), "held/plain")
	})
}

// TestPagesByFolder: a folder's page answers at the folder's path and by
// name, with the page policy; feeds carry no policy; a folder without a
// page and a page's path with a slash added are 404.
func TestPagesByFolder(t *testing.T) {
	for _, prefix := range []string{"", "/feeds"} {
		s := New(prefix, "", nil)
		index := makeDoc("index.html", "<!DOCTYPE html><title>index</title>", testModified)
		index.ContentType = pages.HTMLType
		page := makeDoc("tags/go/index.html", "<!DOCTYPE html><title>go</title>", testModified)
		page.ContentType = pages.HTMLType
		opml := makeDoc("feeds.opml", "<opml/>", testModified)
		opml.ContentType = pages.OPMLType
		s.Publish(makeSnapshot(index, page, opml, makeDoc("tags/go/feed.rss", "<rss/>", testModified)))
		for _, tc := range []struct {
			target, body, ctype string
			code                int
			csp                 bool
		}{
			{"/", "index", pages.HTMLType, 200, true},
			{"/index.html", "index", pages.HTMLType, 200, true},
			{"/tags/go/", ">go<", pages.HTMLType, 200, true},
			{"/tags/go/index.html", ">go<", pages.HTMLType, 200, true},
			{"/feeds.opml", "<opml/>", "text/x-opml; charset=utf-8", 200, false},
			{"/tags/go/feed.rss", "<rss/>", "application/rss+xml; charset=utf-8", 200, false},
			{"/tags/", "404", "text/plain; charset=utf-8", 404, false},
			{"/tags/go", "404", "text/plain; charset=utf-8", 404, false},
			{"/tags/go/index.html/", "404", "text/plain; charset=utf-8", 404, false},
		} {
			for _, enc := range []string{"", "gzip"} {
				w := handlertest.Do(s, "GET", prefix+tc.target, "Accept-Encoding", enc)
				body := w.Body.String()
				if enc == "gzip" && w.Header().Get("Content-Encoding") == "gzip" {
					zr, err := gzip.NewReader(w.Body)
					if err != nil {
						t.Fatal(err)
					}
					b, _ := io.ReadAll(zr)
					body = string(b)
				}
				if w.Code != tc.code || w.Header().Get("Content-Type") != tc.ctype || !strings.Contains(body, tc.body) {
					t.Errorf("%s%s (%q): %d %q %q", prefix, tc.target, enc, w.Code, w.Header().Get("Content-Type"), body)
				}
				if got := w.Header().Get("Content-Security-Policy"); (got == pages.ContentSecurityPolicy) != tc.csp || !tc.csp && got != "" {
					t.Errorf("%s%s: Content-Security-Policy %q", prefix, tc.target, got)
				}
			}
		}
		w := handlertest.Do(s, "GET", prefix+"/tags/go/", "Range", "bytes=0-3")
		if w.Code != http.StatusPartialContent || w.Header().Get("Content-Security-Policy") != pages.ContentSecurityPolicy {
			t.Errorf("range of a page: %d, policy %q", w.Code, w.Header().Get("Content-Security-Policy"))
		}
	}
}

func TestUnsatisfiableRange(t *testing.T) {
	s, _ := newTestServer(t, "")
	for _, gz := range []string{"", "gzip"} {
		full := handlertest.Do(s, "GET", "/feed.atom", "Accept-Encoding", gz).Body.Bytes()
		size := fmt.Sprint(len(full))
		etag := handlertest.Do(s, "GET", "/feed.atom", "Accept-Encoding", gz).Header().Get("ETag")
		tests := []struct {
			name, rng string
			hdr       []string
			code      int
			cr        string
		}{
			{"suffix of zero", "bytes=-0", nil, 416, "bytes */" + size},
			{"suffixes of zero", "bytes=-00, -0", nil, 416, "bytes */" + size},
			{"past the end", "bytes=" + size + "-", nil, 416, "bytes */" + size},
			{"zero suffix beside a good range", "bytes=-0,0-3", nil, 206, "bytes 0-3/" + size},
			{"not modified wins", "bytes=-0", []string{"If-None-Match", etag}, 304, ""},
			{"if-range: ignored", "bytes=-0", []string{"If-Range", etag}, 200, ""},
		}
		for _, tt := range tests {
			t.Run(gz+" "+tt.name, func(t *testing.T) {
				w := handlertest.Do(s, "GET", "/feed.atom", append([]string{"Accept-Encoding", gz, "Range", tt.rng}, tt.hdr...)...)
				if w.Code != tt.code || w.Header().Get("Content-Range") != tt.cr {
					t.Fatalf("%d Content-Range %q, want %d %q", w.Code, w.Header().Get("Content-Range"), tt.code, tt.cr)
				}
				switch tt.code {
				case 416:
					if w.Header().Get("Content-Encoding") != "" {
						t.Errorf("416 with Content-Encoding %q", w.Header().Get("Content-Encoding"))
					}
				case 206:
					if !bytes.Equal(w.Body.Bytes(), full[:4]) {
						t.Errorf("range body %q", w.Body.Bytes())
					}
				case 200:
					if !bytes.Equal(w.Body.Bytes(), full) {
						t.Errorf("body differs from the whole document")
					}
				}
			})
		}
	}
}
