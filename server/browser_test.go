package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/syndicate/syndicate/internal/handlertest"
	"github.com/syndicate/syndicate/pages"
)

// clientAccepts are the Accept headers real clients send, each with where
// it comes from, and whether the client is a browser (and should get a
// page from a feed URL when BrowserPages is on).
var clientAccepts = []struct {
	client, accept string
	browser        bool
}{
	// Chromium's content/public/common/content_constants.h,
	// kFrameAcceptHeaderValue (navigations), with and without AV1.
	{"Chromium", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8", true},
	{"Chromium (no AV1)", "text/html,application/xhtml+xml,application/xml;q=0.9,image/webp,image/apng,*/*;q=0.8", true},
	{"Chromium (signed exchanges)", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7", true},
	// Firefox's network.http.accept default: 128 and later, 92-127.
	{"Firefox", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", true},
	{"Firefox 92", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8", true},
	// Safari (WebKit's FrameLoader default for main resources).
	{"Safari", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", true},
	// Old WebKit ranked XML above HTML: it gets the feed, as it asked.
	{"WebKit (2010)", "application/xml,application/xhtml+xml,text/html;q=0.9,text/plain;q=0.8,image/png,*/*;q=0.5", false},
	// curl 7.88.1 and newsboat 2.21 (libcurl), captured on this machine.
	{"curl", "*/*", false},
	{"newsboat", "*/*", false},
	// Miniflux, internal/reader/fetcher/request_builder.go defaultAcceptHeader:
	// text/html at q=1 ties with the feed types.
	{"Miniflux", "application/xml, application/atom+xml, application/rss+xml, application/rdf+xml, application/feed+json, text/html, */*;q=0.9", false},
	// FreshRSS fetches with SimplePie: DEFAULT_HTTP_ACCEPT_HEADER.
	{"FreshRSS (SimplePie)", "application/atom+xml, application/rss+xml, application/rdf+xml;q=0.9, application/xml;q=0.8, text/xml;q=0.8, text/html;q=0.7, unknown/unknown;q=0.1, application/unknown;q=0.1, */*;q=0.1", false},
	// feedparser 6.0.10's ACCEPT_HEADER, captured on this machine.
	{"feedparser", "application/atom+xml,application/rdf+xml,application/rss+xml,application/x-netcdf,application/xml;q=0.9,text/xml;q=0.2,*/*;q=0.1", false},
	// NetNewsWire sets no Accept (RSWeb's HTTPRequestHeader has none), so
	// URLSession sends its default; Feedly's and Inoreader's fetchers
	// document none: both cases below.
	{"NetNewsWire (URLSession)", "*/*", false},
	{"no Accept (Feedly, Inoreader)", "", false},
	// Tricks that are no preference.
	{"HTML and RSS alike", "text/html, application/rss+xml", false},
	{"HTML above RSS, not above JSON", "text/html;q=0.9, application/rss+xml;q=0.5, application/json", false},
	{"HTML through text/*", "text/*, application/*;q=0.5", false}, // text/xml ties
	{"HTML with a bad q", "text/html;q=x, */*;q=0.1", false},
	{"HTML with q=0", "text/html;q=0, */*", false},
	{"a range contradicting itself", "text/html, text/html;q=0.1, */*;q=0.5", false},
	{"garbage", "\x00", false},
	{"HTML only", "text/html", true},
	{"HTML above all", "TEXT/HTML;Q=1, */*;q=0.5", true},
}

func TestPrefersHTML(t *testing.T) {
	for _, tc := range clientAccepts {
		var hdr []string
		if tc.accept != "" {
			hdr = []string{tc.accept}
		}
		if got := prefersHTML(hdr); got != tc.browser {
			t.Errorf("%s (%q): prefers HTML %v, want %v", tc.client, tc.accept, got, tc.browser)
		}
	}
}

// TestBrowserPages: with BrowserPages, a browser opening a feed URL gets
// the feed's page, every feed reader the feed, both with Vary: Accept;
// without it, everyone gets the feed and nothing varies by Accept.
func TestBrowserPages(t *testing.T) {
	page := makeDoc("tags/go/index.html", "<!DOCTYPE html><title>go</title>", testModified)
	page.ContentType = pages.HTMLType
	page.Format = pages.HTML
	index := makeDoc("index.html", "<!DOCTYPE html><title>index</title>", testModified)
	index.ContentType = pages.HTMLType
	index.Format = pages.HTML
	opml := makeDoc("feeds.opml", "<opml/>", testModified)
	opml.ContentType, opml.Format = pages.OPMLType, pages.OPML
	snap := makeSnapshot(page, index, opml, makeDoc("tags/go/feed.rss", "<rss>go</rss>", testModified),
		makeDoc("feed.json", `{"x":1}`, testModified), makeDoc("tags/none/feed.atom", "<feed/>", testModified))
	for _, on := range []bool{false, true} {
		s := New("/feeds", "", nil)
		s.BrowserPages = on
		s.Publish(snap)
		for _, tc := range clientAccepts {
			for _, target := range []string{"/feeds/tags/go/feed.rss", "/feeds/feed.json", "/feeds/tags/none/feed.atom", "/feeds/feeds.opml"} {
				hdr := []string{"Accept-Encoding", "identity"}
				if tc.accept != "" {
					hdr = append(hdr, "Accept", tc.accept)
				}
				w := handlertest.Do(s, "GET", target, hdr...)
				html := strings.HasPrefix(w.Header().Get("Content-Type"), "text/html")
				hasPage := target == "/feeds/tags/go/feed.rss" || target == "/feeds/feed.json"
				if want := on && tc.browser && hasPage; html != want || w.Code != http.StatusOK {
					t.Errorf("on=%v %s %s: %d %s, want HTML %v", on, tc.client, target, w.Code, w.Header().Get("Content-Type"), want)
				}
				if html && w.Header().Get("Content-Security-Policy") != pages.ContentSecurityPolicy {
					t.Errorf("%s %s: page without its policy", tc.client, target)
				}
				vary := w.Header().Get("Vary")
				if want := map[bool]string{false: "Accept-Encoding", true: "Accept, Accept-Encoding"}[on && hasPage]; vary != want {
					t.Errorf("on=%v %s %s: Vary %q, want %q", on, tc.client, target, vary, want)
				}
			}
		}
		// A conditional request revalidates the variant it holds.
		w := handlertest.Do(s, "GET", "/feeds/tags/go/feed.rss", "Accept", clientAccepts[0].accept, "If-None-Match", page.ETag)
		if want := map[bool]int{false: 200, true: 304}[on]; w.Code != want {
			t.Errorf("on=%v: revalidating the page: %d, want %d", on, w.Code, want)
		}
	}
}
