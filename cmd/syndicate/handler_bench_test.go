package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
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
