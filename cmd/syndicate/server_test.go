package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syndicate/syndicate/feedgen"
)

var testModified = time.Date(2024, 3, 5, 9, 0, 0, 0, time.UTC)

// makeDoc builds a document the way feedgen does: strong ETag from the
// body's hash.
func makeDoc(path string, body string, modified time.Time) *feedgen.Document {
	sum := sha256.Sum256([]byte(body))
	f := feedgen.RSS
	switch {
	case strings.HasSuffix(path, ".atom"):
		f = feedgen.Atom
	case strings.HasSuffix(path, ".json"):
		f = feedgen.JSON
	}
	d := &feedgen.Document{
		Path: path, Format: f, ContentType: f.ContentType(), Body: []byte(body), Size: int64(len(body)),
		ETag: `"` + hex.EncodeToString(sum[:16]) + `"`, Modified: modified,
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

// TestPlainCache: bodies come back whole, the budget holds, and a body
// requested again since the last eviction round is kept over one that
// was not.
func TestPlainCache(t *testing.T) {
	testHoldCompressed = true
	defer func() { testHoldCompressed = false }()
	c := plainCache{budget: 4 * 3000}
	var docs []*servedDoc
	for i := range 6 {
		body := fmt.Sprintf("%d", i) + strings.Repeat("x", 2999)
		docs = append(docs, newServedDoc(makeDoc(fmt.Sprintf("d%d.rss", i), body, testModified)))
	}
	get := func(i int) {
		t.Helper()
		b, err := c.get(docs[i])
		if err != nil || len(b) != 3000 || b[0] != byte('0'+i) {
			t.Fatalf("doc %d: %d bytes, err %v", i, len(b), err)
		}
	}
	for i := range 4 {
		get(i)
	}
	get(0) // marked: survives the next eviction
	get(4) // evicts 1, the oldest unmarked
	if docs[0].plain.Load() == nil || docs[1].plain.Load() != nil || docs[4].plain.Load() == nil {
		t.Errorf("kept 0:%v 1:%v 4:%v; want 0 and 4 kept, 1 dropped",
			docs[0].plain.Load() != nil, docs[1].plain.Load() != nil, docs[4].plain.Load() != nil)
	}
	for i := range 6 {
		get(i)
		if c.used > c.budget {
			t.Fatalf("cache holds %d bytes, budget %d", c.used, c.budget)
		}
	}
	held := 0
	for _, d := range docs {
		if d.plain.Load() != nil {
			held++
		}
	}
	if held != 4 || c.used != 4*3000 {
		t.Errorf("%d bodies held in %d bytes; want 4 in %d", held, c.used, 4*3000)
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

func newTestServer(t *testing.T, prefix string) (*feedServer, *feedgen.Snapshot) {
	t.Helper()
	s := newFeedServer(prefix, "public, max-age=300")
	snap := testSnapshot("A")
	s.publish(snap)
	return s, snap
}

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
			w := do(s, tc.method, "/feed.rss", tc.hdr...)
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

func TestNegotiateEncoding(t *testing.T) {
	tests := []struct {
		header []string
		want   encoding
	}{
		{nil, encodingIdentity},
		{[]string{""}, encodingIdentity},
		{[]string{"gzip"}, encodingGzip},
		{[]string{"GZIP;Q=1.0"}, encodingGzip},
		{[]string{"x-gzip"}, encodingGzip},
		{[]string{"gzip, deflate, br"}, encodingGzip},
		{[]string{"deflate", "gzip"}, encodingGzip},
		{[]string{"br"}, encodingIdentity},
		{[]string{"gzip;q=0"}, encodingIdentity},
		{[]string{"gzip; q=0.000"}, encodingIdentity},
		{[]string{"gzip;q=nonsense"}, encodingIdentity},
		{[]string{"*"}, encodingGzip},
		{[]string{"deflate, *;q=0.1"}, encodingGzip},
		{[]string{"*;q=0"}, encodingNone},
		{[]string{"*;q=0, identity"}, encodingIdentity},
		{[]string{"identity;q=0"}, encodingNone},
		{[]string{"gzip;q=0, identity;q=0"}, encodingNone},
		{[]string{"identity;q=0, gzip"}, encodingGzip},
		{[]string{"identity, gzip;q=0.5"}, encodingIdentity},
		{[]string{"gzip;q=0.5, identity;q=0.5"}, encodingGzip},
		{[]string{"identity"}, encodingIdentity},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.header, "|"), func(t *testing.T) {
			if got := negotiateEncoding(tc.header); got != tc.want {
				t.Errorf("negotiateEncoding(%q) = %d, want %d", tc.header, got, tc.want)
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
			w := do(s, "GET", "/feed.atom", hdr...)
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
				body = gunzip(t, body)
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
		full := do(s, "GET", "/feed.atom", "Accept-Encoding", "gzip").Body.Bytes()
		w := do(s, "GET", "/feed.atom", "Accept-Encoding", "gzip", "Range", "bytes=0-9")
		if w.Code != 206 || w.Header().Get("Content-Length") != "10" || !bytes.Equal(w.Body.Bytes(), full[:10]) {
			t.Fatalf("got %d, Content-Length %q, %d bytes", w.Code, w.Header().Get("Content-Length"), w.Body.Len())
		}
		if w.Header().Get("Content-Range") != fmt.Sprintf("bytes 0-9/%d", len(full)) {
			t.Errorf("Content-Range %q", w.Header().Get("Content-Range"))
		}
	})

	t.Run("not worth compressing", func(t *testing.T) {
		w := do(s, "GET", "/tiny/feed.json", "Accept-Encoding", "gzip")
		if w.Code != 200 || w.Header().Get("Content-Encoding") != "" || w.Body.String() != "{}" {
			t.Fatalf("got %d %q %q", w.Code, w.Header().Get("Content-Encoding"), w.Body.String())
		}
		if w.Header().Get("ETag") != snap.Docs["tiny/feed.json"].ETag || w.Header().Get("Vary") != "Accept-Encoding" {
			t.Errorf("ETag %q Vary %q", w.Header().Get("ETag"), w.Header().Get("Vary"))
		}
	})

	t.Run("compressed once", func(t *testing.T) {
		w1 := do(s, "GET", "/feed.atom", "Accept-Encoding", "gzip")
		sd := s.set.Load().docs["feed.atom"]
		first := &sd.gzipBody[0]
		w2 := do(s, "GET", "/feed.atom", "Accept-Encoding", "gzip")
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
				get := do(s, "GET", target, "Accept-Encoding", accept)
				head := do(s, "HEAD", target, "Accept-Encoding", accept)
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
				w := do(s, m, target)
				if w.Code != 405 {
					t.Fatalf("status %d, want 405", w.Code)
				}
				if w.Header().Get("Allow") != "GET, HEAD" {
					t.Errorf("Allow %q", w.Header().Get("Allow"))
				}
			})
		}
		t.Run(m+" unknown path", func(t *testing.T) {
			if w := do(s, m, "/feeds/nope.rss"); w.Code != 404 {
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
			s := newFeedServer(tc.prefix, "")
			s.publish(testSnapshot("A"))
			w := do(s, "GET", tc.target)
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
	s := newFeedServer("/feeds", "")
	if w := do(s, "GET", "/feeds/feed.rss"); w.Code != 503 || w.Header().Get("Retry-After") == "" {
		t.Errorf("feed before first build: %d Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
	if w := do(s, "GET", "/readyz"); w.Code != 503 || !strings.Contains(w.Body.String(), `"ready": false`) {
		t.Errorf("readyz before first build: %d %s", w.Code, w.Body)
	}
	if w := do(s, "GET", "/healthz"); w.Code != 200 || w.Body.String() != "ok\n" {
		t.Errorf("healthz: %d %q", w.Code, w.Body)
	}
	if w := do(s, "GET", "/elsewhere"); w.Code != 404 {
		t.Errorf("outside the prefix: %d", w.Code)
	}
}

// TestPublishKeepsUnchangedDocuments: an identical document keeps its
// servedDoc (and so its Document, ETag and gzip variant); a changed one is
// replaced; a removed one disappears; nothing changed keeps the set.
func TestPublishKeepsUnchangedDocuments(t *testing.T) {
	s := newFeedServer("", "")
	st := s.publish(testSnapshot("A"))
	if st.Changed != len(testPaths)+1 || st.Documents != len(testPaths)+1 {
		t.Fatalf("first publish: %+v", st)
	}
	set1 := s.set.Load()
	do(s, "GET", "/feed.rss", "Accept-Encoding", "gzip") // make the gzip variant
	gz := set1.docs["feed.rss"].gzipBody

	same := testSnapshot("A") // new Document values, same bytes
	st = s.publish(same)
	if st.Changed != 0 || s.set.Load().snap != same {
		t.Fatalf("identical publish changed %d documents / did not record its snapshot", st.Changed)
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
	st = s.publish(next)
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
	if w := do(s, "GET", "/tiny/feed.json"); w.Code != 404 {
		t.Errorf("removed document: %d", w.Code)
	}
	if w := do(s, "GET", "/feed.json"); !strings.HasPrefix(w.Body.String(), "<B:") {
		t.Errorf("changed document not served: %.20q", w.Body.String())
	}
}

// TestAtomicSwap: readers racing with swaps always get a complete document
// of one set, with the ETag of that same document.
func TestAtomicSwap(t *testing.T) {
	s := newFeedServer("/feeds", "public")
	sets := []*feedgen.Snapshot{testSnapshot("A"), testSnapshot("B"), testSnapshot("C")}
	etags := map[string]string{} // ETag -> label:path
	for _, snap := range sets {
		for p, d := range snap.Docs {
			etags[d.ETag] = string(docBytes(t, d)[1:2]) + ":" + p
			etags[variantETag(d.ETag, "gz")] = string(docBytes(t, d)[1:2]) + ":" + p
		}
	}
	s.publish(sets[0])

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
				w := do(s, "GET", "/feeds/"+p, "Accept-Encoding", accept)
				requests.Add(1)
				body := w.Body.Bytes()
				if w.Header().Get("Content-Encoding") == "gzip" {
					zr, err := gzip.NewReader(bytes.NewReader(body))
					if err == nil {
						body, err = io.ReadAll(zr)
					}
					if err != nil {
						errs <- fmt.Errorf("%s: %v", p, err)
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
		s.publish(sets[i%len(sets)])
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

func TestReadyzReportsRebuilds(t *testing.T) {
	s, _ := newTestServer(t, "")
	ok := &rebuildReport{Time: testModified, Trigger: "start", Result: "ok", Duration: "5ms", DurationMS: 5,
		Counts: &rebuildCounts{Posts: 2, Feeds: 5, Documents: 7, Changed: 7}}
	s.record(ok)
	s.record(&rebuildReport{Time: testModified.Add(time.Minute), Trigger: "schedule", Result: "failed", Error: "content directory: gone"})
	w := do(s, "GET", "/readyz")
	if w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
	for _, want := range []string{`"ready": true`, `"result": "failed"`, `"error": "content directory: gone"`,
		`"trigger": "schedule"`, `"last_success": "2024-03-05T09:00:00Z"`, `"documents": 7`} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("readyz lacks %s:\n%s", want, w.Body)
		}
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
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
	s := newFeedServer("/feeds", "public, max-age=300")
	snap := testSnapshot("A")
	s.publish(snap)
	etag := snap.Docs["feed.rss"].ETag
	for _, bc := range feedRequests(etag) {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if w := do(s, "GET", "/feeds/feed.rss", bc.hdr...); w.Code >= 400 {
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
