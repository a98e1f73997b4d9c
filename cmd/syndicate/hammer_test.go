package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syndicate/syndicate/feedgen"
	"github.com/syndicate/syndicate/pipeline"
	"github.com/syndicate/syndicate/server"
)

// buildLedger records every document every build produced, so a response
// can be traced to a build: path -> ETag (identity and gzip) -> the
// identity body's ETag.
type buildLedger struct {
	mu     sync.Mutex
	etags  map[string]map[string]string
	builds int
	// parsed holds the identity ETags of bodies already found well-formed:
	// a body whose hash matches one of them is the same bytes.
	parsed sync.Map
}

func (l *buildLedger) wrap(build buildFunc) buildFunc {
	return func(ctx context.Context, now time.Time) (*pipeline.Result, *feedgen.Snapshot, error) {
		res, snap, err := build(ctx, now)
		if err != nil || res == nil || snap == nil {
			return res, snap, err
		}
		// Recorded before the rebuilder publishes the snapshot, so no
		// response can carry an ETag the ledger has not seen yet.
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.etags == nil {
			l.etags = map[string]map[string]string{}
		}
		for p, d := range snap.Docs {
			if l.etags[p] == nil {
				l.etags[p] = map[string]string{}
			}
			l.etags[p][d.ETag] = d.ETag
			l.etags[p][gzipETag(d.ETag)] = d.ETag
		}
		l.builds++
		return res, snap, nil
	}
}

// identity returns the identity ETag a served ETag stands for, if some
// build made it for path.
func (l *buildLedger) identity(path, etag string) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	id, ok := l.etags[path][etag]
	return id, ok
}

// hammerPost writes posts/hammer-N.md.
func hammerPost(content string, n int) error {
	body := fmt.Sprintf("---\ntitle: \"Hammer post %d\"\ndate: 2024-06-01T%02d:%02d:00Z\ntags: [\"Go\", \"Hammer\"]\ncategories: [\"Notes\"]\n---\nPost number %d, written between two rebuilds. %s\n",
		n, n/60%24, n%60, n, strings.Repeat("Some words to compress. ", n%7))
	return os.WriteFile(filepath.Join(content, "posts", fmt.Sprintf("hammer-%d.md", n)), []byte(body), 0o644)
}

// TestHammerServeDuringRebuilds: a real listener on 127.0.0.1 with
// serve's http.Server, rebuilding 30 times with content added, edited and
// removed in between, while 8 clients make 3,000 requests for seven
// documents with and without gzip (some conditional). Every response is
// complete (Content-Length matches), parses, carries the ETag of its own
// body, and that ETag is one some build produced for that path.
func TestHammerServeDuringRebuilds(t *testing.T) {
	const (
		rebuilds = 30
		clients  = 8
		total    = 3000
		phase    = total / rebuilds // requests per rebuild
	)
	content := copyContent(t)
	cfg, _ := writeConfig(t, content, "")
	var ledger buildLedger
	srv := server.New("/feeds", "public, max-age=60", nil)
	var logs syncBuffer
	rb := newRebuilder(ledger.wrap(buildFor(cfg)), srv, testLogger(&logs), "")
	ctx := context.Background()
	mustDo(t, rb.rebuild(ctx, "start"))

	paths := []string{"feed.rss", "feed.atom", "feed.json", "tags/go/feed.rss", "tags/go/feed.json", "tags/日本語/feed.atom", "categories/notes/feed.rss"}
	for _, p := range paths {
		if srv.Served().Doc(p) == nil {
			t.Fatalf("the test content has no %s", p)
		}
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := server.NewHTTPServer(srv, testLogger(&logs), server.DefaultTimeouts)
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	base := "http://" + ln.Addr().String() + "/feeds/"
	client := &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: clients}}
	t.Cleanup(client.CloseIdleConnections)

	// Requests and rebuilds interleave by count, not by time: ticket k
	// waits until rebuild k/phase has started, and rebuild i starts once
	// half of the previous phase's requests are done. So every rebuild
	// runs while requests are in flight, and the requests span all
	// builds.
	var tickets, done, started atomic.Int64
	var rebuildErrs []error
	rebuildsDone := make(chan struct{})
	go func() {
		defer close(rebuildsDone)
		for i := 1; i <= rebuilds; i++ {
			for done.Load() < int64(i*phase-phase/2) {
				time.Sleep(100 * time.Microsecond)
			}
			edit := hammerPost(content, i) // add one
			if i%3 == 0 {                  // edit two older ones
				p := filepath.Join(content, "posts", "second.md")
				b, err := os.ReadFile(p)
				edit = errors.Join(edit, err, hammerPost(content, i-1),
					os.WriteFile(p, append(b, fmt.Sprintf("Edit %d.\n", i)...), 0o644))
			}
			if i%2 == 0 && i > 2 { // remove one
				edit = errors.Join(edit, os.Remove(filepath.Join(content, "posts", fmt.Sprintf("hammer-%d.md", i-2))))
			}
			if edit != nil {
				rebuildErrs = append(rebuildErrs, edit)
			}
			started.Store(int64(i))
			if err := rb.rebuild(ctx, "schedule"); err != nil {
				rebuildErrs = append(rebuildErrs, err)
			}
		}
	}()

	errs := make(chan error, total)
	var notModified, gzipped atomic.Int64
	var seenMu sync.Mutex
	seen := map[string]bool{} // identity ETags of feed.rss seen
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			last := map[string]string{}
			for {
				k := tickets.Add(1) - 1
				if k >= total {
					return
				}
				for started.Load() < min(k/phase, rebuilds) {
					time.Sleep(100 * time.Microsecond)
				}
				p := paths[(int(k)+c)%len(paths)]
				useGzip := k%2 == 0
				conditional := k%10 == 3 && last[p] != ""
				err := hammerRequest(client, base, p, useGzip, conditional, last, &ledger, &notModified, &gzipped)
				if err != nil {
					errs <- fmt.Errorf("request %d %s (gzip %v): %w", k, p, useGzip, err)
				}
				if p == "feed.rss" && last[p] != "" {
					id, _ := ledger.identity(p, last[p])
					seenMu.Lock()
					seen[id] = true
					seenMu.Unlock()
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	<-rebuildsDone
	close(errs)
	n := 0
	for err := range errs {
		if n++; n <= 20 {
			t.Error(err)
		}
	}
	if n > 0 {
		t.Errorf("%d of %d requests failed", n, total)
	}
	for _, err := range rebuildErrs {
		t.Errorf("rebuild: %v", err)
	}
	if done.Load() != total || ledger.builds != rebuilds+1 {
		t.Errorf("%d requests, %d builds", done.Load(), ledger.builds)
	}
	// Requests before rebuild 1 and after rebuild 2 saw different sets.
	if len(seen) < 2 {
		t.Errorf("feed.rss had %d version(s) across %d rebuilds", len(seen), rebuilds)
	}
	if notModified.Load() == 0 || gzipped.Load() == 0 {
		t.Errorf("%d 304s, %d gzip responses: the mix was not exercised", notModified.Load(), gzipped.Load())
	}
	t.Logf("%d requests, %d versions of feed.rss seen, %d gzip, %d 304", done.Load(), len(seen), gzipped.Load(), notModified.Load())
}

// hammerRequest makes one request and checks everything about its
// response; last remembers the ETag last seen per path.
func hammerRequest(client *http.Client, base, p string, useGzip, conditional bool, last map[string]string,
	ledger *buildLedger, notModified, gzipped *atomic.Int64) error {
	req, err := http.NewRequest("GET", base+escapePath(p), nil)
	if err != nil {
		return err
	}
	if useGzip {
		req.Header.Set("Accept-Encoding", "gzip")
	}
	sent := ""
	if conditional {
		// The ETag last seen in this encoding, if any.
		sent = last[p]
		if strings.HasSuffix(sent, `-gz"`) != useGzip {
			sent = ""
		} else {
			req.Header.Set("If-None-Match", sent)
		}
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("reading the body: %w", err)
	}
	etag := resp.Header.Get("ETag")
	id, ok := ledger.identity(p, etag)
	if !ok {
		return fmt.Errorf("status %d: ETag %s is not one any build made for %s", resp.StatusCode, etag, p)
	}
	if resp.StatusCode == http.StatusNotModified {
		if sent == "" || etag != sent || len(raw) != 0 {
			return fmt.Errorf("304 for If-None-Match %q with ETag %s and %d bytes", sent, etag, len(raw))
		}
		notModified.Add(1)
		return nil
	}
	if resp.StatusCode != 200 {
		return fmt.Errorf("status %d: %.200s", resp.StatusCode, raw)
	}
	last[p] = etag
	cl, err := strconv.Atoi(resp.Header.Get("Content-Length"))
	if err != nil || cl != len(raw) || resp.ContentLength != int64(len(raw)) {
		return fmt.Errorf("Content-Length %q, body %d bytes", resp.Header.Get("Content-Length"), len(raw))
	}
	body := raw
	isGz := resp.Header.Get("Content-Encoding") == "gzip"
	if isGz != strings.HasSuffix(etag, `-gz"`) || isGz && !useGzip {
		return fmt.Errorf("Content-Encoding %q with ETag %s (asked for gzip: %v)", resp.Header.Get("Content-Encoding"), etag, useGzip)
	}
	if isGz {
		gzipped.Add(1)
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return fmt.Errorf("gzip: %w", err)
		}
		if body, err = io.ReadAll(zr); err != nil {
			return fmt.Errorf("gzip: %w", err)
		}
	}
	if got := bodyETag(body); got != id {
		return fmt.Errorf("ETag %s is not the body's (%s): mixed builds", etag, got)
	}
	if _, ok := ledger.parsed.Load(id); !ok {
		if err := checkWellFormed(p, body); err != nil {
			return err
		}
		ledger.parsed.Store(id, true)
	}
	if ct := resp.Header.Get("Content-Type"); ct != contentTypes[filepath.Ext(p)] {
		return fmt.Errorf("Content-Type %q", ct)
	}
	return nil
}

var contentTypes = map[string]string{
	".rss":  "application/rss+xml; charset=utf-8",
	".atom": "application/atom+xml; charset=utf-8",
	".json": "application/feed+json; charset=utf-8",
}

// gzipETag is the validator serve gives a document's gzip variant: the
// identity ETag with -gz before its closing quote.
func gzipETag(etag string) string {
	return strings.TrimSuffix(etag, `"`) + `-gz"`
}
