package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/syndicate/syndicate/feedgen"
	"github.com/syndicate/syndicate/internal/handlertest"
	"github.com/syndicate/syndicate/internal/logtest"
	"github.com/syndicate/syndicate/pages"
)

// proxiedServe is `syndicate serve` as the proxy tests run it, behind the
// proxy they start.
type proxiedServe struct {
	base    string // its base URL, http://127.0.0.1:PORT
	port    string
	content string            // the content folder it serves
	logs    *logtest.Buffer   // its log, with an access log line per request
	snap    *feedgen.Snapshot // an identical build: what it must serve
	stop    func() int        // stops it and returns its exit status
}

// startProxiedServe starts serve on the example content (testdata/content
// where the repository has none) with path_prefix /feeds, cache_control
// "public, max-age=300", the access log on and the lines of server
// (indented as keys of server:), and waits until it is ready.
func startProxiedServe(t *testing.T, server string) proxiedServe {
	t.Helper()
	s := proxiedServe{content: "../../example/content"}
	if _, err := os.Stat(s.content); err != nil {
		s.content = "testdata/content"
	}
	cfg, cfgPath := writeConfig(t, s.content, "schedule: \"@every 1h\"\nserver:\n  path_prefix: /feeds\n  cache_control: \"public, max-age=300\"\n  access_log: true\n"+server)
	s.base, s.logs, s.stop = startServe(t, "--config", cfgPath)
	waitReady(t, s.base+"/feeds/readyz")
	_, s.port, _ = net.SplitHostPort(strings.TrimPrefix(s.base, "http://"))
	// Builds are deterministic: an identical build tells what must be served.
	_, s.snap = buildSnapshot(t, cfg, time.Now())
	return s
}

// checkBehindProxy checks, through the reverse proxy name (as failures
// call it) at host:port proxy, what subscribers rely on from svc behind
// it: every document 200 with the build's bytes and headers, its strong
// ETag passed unchanged, If-None-Match and If-Modified-Since answered
// 304, the gzip variant with its own ETag and compressed once, no
// compression of the proxy's own, HEAD, the index pages with their
// policy, the OPML type, 404s, /readyz, self links that no forwarded
// header reaches, and the proxy's X-Forwarded-For naming the client.
func checkBehindProxy(t *testing.T, name, proxy string, svc proxiedServe) {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: 10 * time.Second}
	get := func(method, path string, hdr ...string) (*http.Response, []byte) {
		t.Helper()
		u := (&url.URL{Scheme: "http", Host: proxy, Path: path}).String()
		req, _ := http.NewRequest(method, u, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, u, err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("%s %s: %v", method, u, err)
		}
		return resp, b
	}

	snap := svc.snap
	nonASCII, gzipped := 0, 0
	for _, p := range snap.Paths {
		d := snap.Docs[p]
		path := "/feeds/" + p
		// Bytes and ETags are the build's; Last-Modified is when serve's
		// publication state saw the bytes first, which only serve knows.
		if direct, err := http.Head(svc.base + path); err == nil {
			direct.Body.Close()
			if lm, err := http.ParseTime(direct.Header.Get("Last-Modified")); err == nil {
				dd := *d
				dd.Modified = lm
				d = &dd
			}
		}
		if !isASCII(p) {
			nonASCII++
		}
		resp, body := get("GET", path)
		if resp.StatusCode != 200 {
			t.Errorf("%s: status %d", p, resp.StatusCode)
			continue
		}
		checkHeaders(t, name, p, resp, d, d.ETag)
		if !bytes.Equal(body, docBytes(t, d)) {
			t.Errorf("%s: body differs from the build's (%d vs %d bytes)", p, len(body), len(docBytes(t, d)))
		}

		resp, body = get("GET", path, "If-None-Match", d.ETag)
		if resp.StatusCode != 304 || len(body) != 0 || resp.Header.Get("ETag") != d.ETag {
			t.Errorf("%s: If-None-Match through %s: %d, ETag %q, %d bytes", p, name, resp.StatusCode, resp.Header.Get("ETag"), len(body))
		}
		if !d.Modified.IsZero() && d.Modified.Unix() != 0 {
			resp, body = get("GET", path, "If-Modified-Since", d.Modified.UTC().Format(http.TimeFormat))
			if resp.StatusCode != 304 || len(body) != 0 {
				t.Errorf("%s: If-Modified-Since through %s: %d, %d bytes", p, name, resp.StatusCode, len(body))
			}
		}

		resp, body = get("GET", path, "Accept-Encoding", "gzip")
		etag := d.ETag
		if resp.Header.Get("Content-Encoding") == "gzip" {
			gzipped++
			etag = gzipETag(d.ETag)
			body = handlertest.Gunzip(t, body)
		}
		if resp.StatusCode != 200 || !bytes.Equal(body, docBytes(t, d)) {
			t.Errorf("%s: gzip through %s: %d, body equal %v", p, name, resp.StatusCode, bytes.Equal(body, docBytes(t, d)))
		}
		checkHeaders(t, name, p+" (gzip)", resp, d, etag)

		resp, _ = get("GET", path, "Accept-Encoding", "gzip", "If-None-Match", `"x", `+etag)
		if resp.StatusCode != 304 || resp.Header.Get("ETag") != etag {
			t.Errorf("%s: If-None-Match of the gzip variant: %d, ETag %q", p, resp.StatusCode, resp.Header.Get("ETag"))
		}

		// syndicate answers these with the identity body; a proxy that
		// compresses on its own (Caddy's encode, nginx's gzip) would
		// send another body under the identity's strong ETag.
		for _, ae := range []string{"br, zstd", "identity, gzip;q=0.5"} {
			resp, body = get("GET", path, "Accept-Encoding", ae)
			if ce := resp.Header.Get("Content-Encoding"); resp.StatusCode != 200 || ce != "" || !bytes.Equal(body, docBytes(t, d)) {
				t.Errorf("%s: Accept-Encoding %q through %s: %d, Content-Encoding %q, ETag %q: not syndicate's identity body (no compression in the proxy)", p, ae, name, resp.StatusCode, ce, resp.Header.Get("ETag"))
			}
		}
	}
	if gzipped < len(snap.Paths)/2 {
		t.Errorf("only %d of %d documents came gzipped through %s", gzipped, len(snap.Paths), name)
	}
	if svc.content != "testdata/content" && nonASCII == 0 {
		t.Error("the example content has no non-ASCII feed path")
	}
	resp, body := get("HEAD", "/feeds/feed.atom")
	if resp.StatusCode != 200 || len(body) != 0 || resp.Header.Get("Content-Length") != fmt.Sprint(len(docBytes(t, snap.Docs["feed.atom"]))) {
		t.Errorf("HEAD through %s: %d, %d bytes, Content-Length %q", name, resp.StatusCode, len(body), resp.Header.Get("Content-Length"))
	}
	// The feed root is the index page, with its policy; the OPML file
	// has its type (both also among the documents above).
	for _, p := range []string{"/feeds/", "/feeds/tags/go/"} {
		resp, body := get("GET", p)
		want := docBytes(t, snap.Docs[strings.TrimPrefix(p, "/feeds/")+"index.html"])
		if resp.StatusCode != 200 || !bytes.Equal(body, want) || resp.Header.Get("Content-Security-Policy") != pages.ContentSecurityPolicy {
			t.Errorf("GET %s through %s: %d, page %v, policy %q", p, name, resp.StatusCode, bytes.Equal(body, want), resp.Header.Get("Content-Security-Policy"))
		}
	}
	if resp, _ := get("GET", "/feeds/feeds.opml"); resp.Header.Get("Content-Type") != "text/x-opml; charset=utf-8" {
		t.Errorf("feeds.opml through %s: %q", name, resp.Header.Get("Content-Type"))
	}
	for _, p := range []string{"/feeds/tags/", "/feeds/nope.rss", "/feeds/tags/%2e%2e/feed.rss"} {
		if resp, _ := get("GET", p); resp.StatusCode != 404 {
			t.Errorf("GET %s through %s: %d, want 404", p, name, resp.StatusCode)
		}
	}
	if resp, _ := get("GET", "/feeds/readyz"); resp.StatusCode != 200 {
		t.Errorf("readyz through %s: %d", name, resp.StatusCode)
	}
	checkForwarded(t, name, svc.logs, get, snap)
}

// checkForwarded sends a feed request with forwarded headers of its own
// through the proxy: the self links are still site.feeds_url's (the
// README: never from the request), and serve's access log shows the
// X-Forwarded-For the proxy set ending in the client's address (nginx
// appends it to what the client sent; Caddy, trusting no client,
// replaces it).
func checkForwarded(t *testing.T, name string, logs *logtest.Buffer, get func(method, path string, hdr ...string) (*http.Response, []byte), snap *feedgen.Snapshot) {
	t.Helper()
	const agent = "syndicate-e2e-forwarded"
	resp, body := get("GET", "/feeds/feed.atom", "User-Agent", agent, "X-Forwarded-For", "203.0.113.9",
		"X-Forwarded-Host", "evil.example", "X-Forwarded-Proto", "gopher", "Forwarded", "for=203.0.113.9;host=evil.example;proto=gopher")
	if resp.StatusCode != 200 || !bytes.Equal(body, docBytes(t, snap.Docs["feed.atom"])) {
		t.Errorf("feed.atom with forwarded headers through %s: %d, not the build's bytes:\n%.400s", name, resp.StatusCode, body)
	}
	line := regexp.MustCompile(`msg=request .*user_agent=` + agent)
	forwarded := regexp.MustCompile(` forwarded_for=("[^"]*"|\S+)`)
	deadline := time.Now().Add(5 * time.Second)
	for {
		// serve logs a request once it has answered it: wait for the line.
		if l := line.FindString(logs.String()); l != "" {
			m := forwarded.FindStringSubmatch(l)
			if m == nil {
				t.Errorf("%s sent serve no X-Forwarded-For: %s", name, l)
				return
			}
			xff := strings.Trim(m[1], `"`)
			if last := strings.TrimSpace(xff[strings.LastIndex(xff, ",")+1:]); last != "127.0.0.1" {
				t.Errorf("%s sent serve X-Forwarded-For %q, want it to end in the client's 127.0.0.1", name, xff)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("serve logged no request from %s with user agent %s (is server.access_log on?)", name, agent)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func checkHeaders(t *testing.T, proxy, name string, resp *http.Response, d *feedgen.Document, etag string) {
	t.Helper()
	h := resp.Header
	if h.Get("Content-Type") != d.ContentType {
		t.Errorf("%s: Content-Type %q, want %q", name, h.Get("Content-Type"), d.ContentType)
	}
	if h.Get("ETag") != etag {
		t.Errorf("%s: ETag %q, want %q (%s must pass it unchanged, not weakened)", name, h.Get("ETag"), etag, proxy)
	}
	if !d.Modified.IsZero() && d.Modified.Unix() != 0 && h.Get("Last-Modified") != d.Modified.UTC().Format(http.TimeFormat) {
		t.Errorf("%s: Last-Modified %q", name, h.Get("Last-Modified"))
	}
	if !strings.Contains(h.Get("Vary"), "Accept-Encoding") || h.Get("Cache-Control") != "public, max-age=300" {
		t.Errorf("%s: Vary %q, Cache-Control %q", name, h.Get("Vary"), h.Get("Cache-Control"))
	}
}

// startProxy starts cmd, a reverse proxy in the foreground that is to
// listen on addr, and waits until addr accepts a connection; SIGTERM stops
// it when the test ends. If cmd exits first, startProxy returns false and
// what it wrote to stdout and stderr (the caller may retry on another port
// when another process took addr first).
func startProxy(t *testing.T, cmd *exec.Cmd, addr string) (ok bool, out string) {
	t.Helper()
	var buf logtest.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-exited:
			return false, buf.String()
		default:
		}
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			t.Cleanup(func() {
				cmd.Process.Signal(syscall.SIGTERM)
				select {
				case <-exited:
				case <-time.After(5 * time.Second):
					cmd.Process.Kill()
					<-exited
				}
			})
			return true, ""
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-exited
			t.Fatalf("%s did not listen on %s:\n%s", cmd.Path, addr, buf.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
