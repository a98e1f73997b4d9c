package server

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/syndicate/syndicate/feedgen"
	"github.com/syndicate/syndicate/internal/handlertest"
)

// TestConditionalMatchesServeContent is the differential test of the
// hand-written conditional GET (serveWhole, notModified): for the same
// request headers, its status, validators and body equal those of
// http.ServeContent serving the same bytes with the same ETag and
// modification time, for the identity and the gzip variant, GET and HEAD.
func TestConditionalMatchesServeContent(t *testing.T) {
	modified := time.Date(2024, 3, 5, 9, 0, 0, 500e6, time.UTC) // sub-second: truncated
	docs := map[string]*feedgen.Document{
		"dated":   makeDoc("feed.rss", feedBody("A", "feed.rss"), modified),
		"undated": makeDoc("feed.atom", feedBody("A", "feed.atom"), time.Time{}),
	}
	s := New("", "", nil)
	s.Publish(makeSnapshot(docs["dated"], docs["undated"]))

	ims := func(t time.Time) string { return t.UTC().Format(http.TimeFormat) }
	type hdrs = []string
	cases := []struct {
		name string
		hdr  func(etag string) hdrs
	}{
		{"none", func(string) hdrs { return nil }},
		{"inm match", func(e string) hdrs { return hdrs{"If-None-Match", e} }},
		{"inm weak form", func(e string) hdrs { return hdrs{"If-None-Match", "W/" + e} }},
		{"inm other", func(string) hdrs { return hdrs{"If-None-Match", `"other"`} }},
		{"inm star", func(string) hdrs { return hdrs{"If-None-Match", "*"} }},
		{"inm list", func(e string) hdrs { return hdrs{"If-None-Match", `"a", W/"b", ` + e} }},
		{"inm list no spaces", func(e string) hdrs { return hdrs{"If-None-Match", `"a",` + e} }},
		{"inm list miss", func(string) hdrs { return hdrs{"If-None-Match", `"a", "b"`} }},
		{"ims equal", func(string) hdrs { return hdrs{"If-Modified-Since", ims(modified)} }},
		{"ims later", func(string) hdrs { return hdrs{"If-Modified-Since", ims(modified.Add(time.Hour))} }},
		{"ims earlier", func(string) hdrs { return hdrs{"If-Modified-Since", ims(modified.Add(-time.Hour))} }},
		{"ims malformed", func(string) hdrs { return hdrs{"If-Modified-Since", "yesterday"} }},
		{"inm miss wins over ims", func(string) hdrs {
			return hdrs{"If-None-Match", `"other"`, "If-Modified-Since", ims(modified.Add(time.Hour))}
		}},
		{"inm match with old ims", func(e string) hdrs {
			return hdrs{"If-None-Match", e, "If-Modified-Since", ims(modified.Add(-time.Hour))}
		}},
	}
	for docName, d := range docs {
		for _, gz := range []bool{false, true} {
			body, etag := docBytes(t, d), d.ETag
			var enc hdrs
			if gz {
				body, etag = s.set.Load().docs[d.Path].gzipped(), variantETag(d.ETag, "gz")
				enc = hdrs{"Accept-Encoding", "gzip"}
			}
			ref := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", d.ContentType)
				w.Header().Set("ETag", etag)
				http.ServeContent(w, r, "", d.Modified, bytes.NewReader(body))
			})
			for _, method := range []string{"GET", "HEAD"} {
				for _, c := range cases {
					name := docName + "/" + method + "/" + c.name
					if gz {
						name += "/gzip"
					}
					h := append(c.hdr(etag), enc...)
					got := handlertest.Do(s, method, "/"+d.Path, h...)
					want := handlertest.Do(ref, method, "/"+d.Path, h...)
					compareResponses(t, name, got, want)
				}
			}
		}
	}
}

// compareResponses compares what a cache or reader acts on: the status,
// the validators, the length and the body.
func compareResponses(t *testing.T, name string, got, want *httptest.ResponseRecorder) {
	t.Helper()
	if got.Code != want.Code {
		t.Errorf("%s: status %d, ServeContent %d", name, got.Code, want.Code)
		return
	}
	for _, k := range []string{"ETag", "Last-Modified", "Content-Type"} {
		if g, w := got.Header().Get(k), want.Header().Get(k); g != w {
			t.Errorf("%s: %s %q, ServeContent %q", name, k, g, w)
		}
	}
	if want.Code == http.StatusOK {
		if g, w := got.Header().Get("Content-Length"), want.Header().Get("Content-Length"); g != w {
			t.Errorf("%s: Content-Length %q, ServeContent %q", name, g, w)
		}
	}
	if !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) {
		t.Errorf("%s: body of %d bytes differs from ServeContent's %d", name, got.Body.Len(), want.Body.Len())
	}
}
