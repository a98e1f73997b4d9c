package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/syndicate/syndicate/feedgen"
)

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
	s := newFeedServer("/feeds", "public, max-age=300")
	snap := testSnapshot("A")
	s.publish(snap)
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
		s := newFeedServer("", "")
		s.plain.budget = budget
		s.publish(&feedgen.Snapshot{Docs: map[string]*feedgen.Document{d.Path: d}, Paths: []string{d.Path}})
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
