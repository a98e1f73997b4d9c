package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/syndicate/syndicate/feedgen"
	"github.com/syndicate/syndicate/internal/handlertest"
	"github.com/syndicate/syndicate/pages"
)

const nginxBin = "/usr/sbin/nginx"

// TestNginxEndToEnd runs `syndicate serve` on the example content behind a
// real nginx configured with deploy/nginx.conf (the README's snippet, only
// the two ports substituted), fetches every document through the proxy,
// checks types, validators, 304s and gzip, then runs the project's
// independent feed checkers against the proxy.
func TestNginxEndToEnd(t *testing.T) {
	if _, err := os.Stat(nginxBin); err != nil {
		t.Skipf("%s not installed (Debian package nginx-light)", nginxBin)
	}
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	content := "../../example/content"
	if _, err := os.Stat(content); err != nil {
		content = "testdata/content"
	}
	cfg, cfgPath := writeConfig(t, content, "schedule: \"@every 1h\"\nserver:\n  path_prefix: /feeds\n  cache_control: \"public, max-age=300\"\n")
	svc, _, stop := startServe(t, "--config", cfgPath)
	waitReady(t, svc+"/feeds/readyz")
	_, svcPort, _ := net.SplitHostPort(strings.TrimPrefix(svc, "http://"))

	// Builds are deterministic: an identical build tells what must be served.
	_, snap := buildSnapshot(t, cfg, time.Now())
	proxy := startNginx(t, svcPort)

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

	nonASCII, gzipped := 0, 0
	for _, p := range snap.Paths {
		d := snap.Docs[p]
		path := "/feeds/" + p
		// Bytes and ETags are the build's; Last-Modified is when serve's
		// publication state saw the bytes first, which only serve knows.
		if direct, err := http.Head(svc + path); err == nil {
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
		checkHeaders(t, p, resp, d, d.ETag)
		if !bytes.Equal(body, docBytes(t, d)) {
			t.Errorf("%s: body differs from the build's (%d vs %d bytes)", p, len(body), len(docBytes(t, d)))
		}

		resp, body = get("GET", path, "If-None-Match", d.ETag)
		if resp.StatusCode != 304 || len(body) != 0 || resp.Header.Get("ETag") != d.ETag {
			t.Errorf("%s: If-None-Match through nginx: %d, ETag %q, %d bytes", p, resp.StatusCode, resp.Header.Get("ETag"), len(body))
		}

		resp, body = get("GET", path, "Accept-Encoding", "gzip")
		etag := d.ETag
		if resp.Header.Get("Content-Encoding") == "gzip" {
			gzipped++
			etag = gzipETag(d.ETag)
			body = handlertest.Gunzip(t, body)
		}
		if resp.StatusCode != 200 || !bytes.Equal(body, docBytes(t, d)) {
			t.Errorf("%s: gzip through nginx: %d, body equal %v", p, resp.StatusCode, bytes.Equal(body, docBytes(t, d)))
		}
		checkHeaders(t, p+" (gzip)", resp, d, etag)

		resp, _ = get("GET", path, "Accept-Encoding", "gzip", "If-None-Match", `"x", `+etag)
		if resp.StatusCode != 304 || resp.Header.Get("ETag") != etag {
			t.Errorf("%s: If-None-Match of the gzip variant: %d, ETag %q", p, resp.StatusCode, resp.Header.Get("ETag"))
		}
	}
	if gzipped < len(snap.Paths)/2 {
		t.Errorf("only %d of %d documents came gzipped through nginx", gzipped, len(snap.Paths))
	}
	if content != "testdata/content" && nonASCII == 0 {
		t.Error("the example content has no non-ASCII feed path")
	}
	resp, body := get("HEAD", "/feeds/feed.atom")
	if resp.StatusCode != 200 || len(body) != 0 || resp.Header.Get("Content-Length") != fmt.Sprint(len(docBytes(t, snap.Docs["feed.atom"]))) {
		t.Errorf("HEAD through nginx: %d, %d bytes, Content-Length %q", resp.StatusCode, len(body), resp.Header.Get("Content-Length"))
	}
	// The feed root is the index page, with its policy; the OPML file
	// has its type (both also among the documents above).
	for _, p := range []string{"/feeds/", "/feeds/tags/go/"} {
		resp, body := get("GET", p)
		want := docBytes(t, snap.Docs[strings.TrimPrefix(p, "/feeds/")+"index.html"])
		if resp.StatusCode != 200 || !bytes.Equal(body, want) || resp.Header.Get("Content-Security-Policy") != pages.ContentSecurityPolicy {
			t.Errorf("GET %s through nginx: %d, page %v, policy %q", p, resp.StatusCode, bytes.Equal(body, want), resp.Header.Get("Content-Security-Policy"))
		}
	}
	if resp, _ := get("GET", "/feeds/feeds.opml"); resp.Header.Get("Content-Type") != "text/x-opml; charset=utf-8" {
		t.Errorf("feeds.opml through nginx: %q", resp.Header.Get("Content-Type"))
	}
	for _, p := range []string{"/feeds/tags/", "/feeds/nope.rss", "/feeds/tags/%2e%2e/feed.rss"} {
		if resp, _ := get("GET", p); resp.StatusCode != 404 {
			t.Errorf("GET %s through nginx: %d, want 404", p, resp.StatusCode)
		}
	}
	if resp, _ := get("GET", "/feeds/readyz"); resp.StatusCode != 200 {
		t.Errorf("readyz through nginx: %d", resp.StatusCode)
	}

	runFeedcheck(t, proxy, snap)

	if code := stop(); code != exitOK {
		t.Errorf("serve exited with %d", code)
	}
}

func checkHeaders(t *testing.T, name string, resp *http.Response, d *feedgen.Document, etag string) {
	t.Helper()
	h := resp.Header
	if h.Get("Content-Type") != d.ContentType {
		t.Errorf("%s: Content-Type %q, want %q", name, h.Get("Content-Type"), d.ContentType)
	}
	if h.Get("ETag") != etag {
		t.Errorf("%s: ETag %q, want %q (nginx must pass it unchanged, not weakened)", name, h.Get("ETag"), etag)
	}
	if !d.Modified.IsZero() && d.Modified.Unix() != 0 && h.Get("Last-Modified") != d.Modified.UTC().Format(http.TimeFormat) {
		t.Errorf("%s: Last-Modified %q", name, h.Get("Last-Modified"))
	}
	if !strings.Contains(h.Get("Vary"), "Accept-Encoding") || h.Get("Cache-Control") != "public, max-age=300" {
		t.Errorf("%s: Vary %q, Cache-Control %q", name, h.Get("Vary"), h.Get("Cache-Control"))
	}
}

func isASCII(s string) bool { return utf8.RuneCountInString(s) == len(s) }

// startNginx runs nginx in the foreground as a child process with
// deploy/nginx.conf proxying to 127.0.0.1:svcPort, and returns its
// host:port. Everything nginx writes stays in a temp folder.
func startNginx(t *testing.T, svcPort string) string {
	t.Helper()
	site, err := os.ReadFile("../../deploy/nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	version, _ := exec.Command(nginxBin, "-V").CombinedOutput()
	var temps strings.Builder
	temps.WriteString("    client_body_temp_path " + filepath.Join(dir, "client_body") + ";\n")
	temps.WriteString("    proxy_temp_path " + filepath.Join(dir, "proxy") + ";\n")
	for _, m := range []string{"fastcgi", "uwsgi", "scgi"} {
		if !bytes.Contains(version, []byte("--without-http_"+m+"_module")) {
			temps.WriteString("    " + m + "_temp_path " + filepath.Join(dir, m) + ";\n")
		}
	}
	var lastErr string
	for range 3 {
		port := freePort(t)
		conf := substituteOnce(t, string(site), map[string]string{
			"listen 80;":             "listen 127.0.0.1:" + port + ";",
			"server 127.0.0.1:8080;": "server 127.0.0.1:" + svcPort + ";",
		})
		os.WriteFile(filepath.Join(dir, "site.conf"), []byte(conf), 0o644)
		main := fmt.Sprintf(`daemon off;
master_process off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 64; }
http {
    access_log %[1]s/access.log;
%[2]s    include %[1]s/site.conf;
}
`, dir, temps.String())
		confPath := filepath.Join(dir, "nginx.conf")
		os.WriteFile(confPath, []byte(main), 0o644)

		var out bytes.Buffer
		cmd := exec.Command(nginxBin, "-p", dir+"/", "-e", filepath.Join(dir, "error.log"), "-c", confPath)
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		addr := "127.0.0.1:" + port
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			select {
			case <-exited:
				log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
				lastErr = out.String() + string(log)
				deadline = time.Time{}
				continue
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
				return addr
			}
			time.Sleep(10 * time.Millisecond)
		}
		if !deadline.IsZero() {
			cmd.Process.Kill()
			<-exited
			t.Fatalf("nginx did not listen on %s", addr)
		}
		if !strings.Contains(lastErr, "Address already in use") {
			break
		}
	}
	t.Fatalf("nginx failed to start:\n%s", lastErr)
	return ""
}

// substituteOnce replaces each key exactly once, so an edit to the shipped
// config that would make the test check something else fails loudly.
func substituteOnce(t *testing.T, s string, repl map[string]string) string {
	t.Helper()
	for old, new := range repl {
		if n := strings.Count(s, old); n != 1 {
			t.Fatalf("deploy/nginx.conf: %q occurs %d times, want 1", old, n)
		}
		s = strings.Replace(s, old, new, 1)
	}
	return s
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

// runFeedcheck runs ../shared/feedcheck/feedcheck --strict --url against
// the proxy: the site's three feeds and every format of one non-ASCII tag
// and one category (each document costs the checkers about half a second;
// SYNDICATE_E2E_FEEDCHECK_ALL=1 checks all of them). Only feed documents
// are checked: the snapshot's pages and OPML are not feeds.
func runFeedcheck(t *testing.T, proxy string, snap *feedgen.Snapshot) {
	t.Helper()
	feedcheck, _ := filepath.Abs("../../../shared/feedcheck/feedcheck")
	if _, err := os.Stat(feedcheck); err != nil {
		t.Logf("feedcheck not found at %s; skipping the external checks", feedcheck)
		return
	}
	var pick []string
	all := os.Getenv("SYNDICATE_E2E_FEEDCHECK_ALL") == "1"
	var tagDir, catDir string
	for _, p := range snap.Paths {
		if !isFeedDocument(p) {
			continue
		}
		dir := p[:strings.LastIndex(p, "/")+1]
		switch {
		case all || dir == "":
		case tagDir == "" && strings.HasPrefix(p, "tags/") && !isASCII(p):
			tagDir = dir
		case catDir == "" && strings.HasPrefix(p, "categories/"):
			catDir = dir
		}
		if all || dir == "" || dir == tagDir || dir == catDir {
			pick = append(pick, (&url.URL{Path: "/feeds/" + p}).EscapedPath())
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	args := append([]string{"--strict", "--url", "http://" + proxy, "--public-url", "https://example.org/"}, pick...)
	cmd := exec.CommandContext(ctx, feedcheck, args...)
	out, err := cmd.CombinedOutput()
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	last := lines[len(lines)-1]
	m := regexp.MustCompile(`^(\d+) passed, 0 failed$`).FindStringSubmatch(last)
	if err != nil || m == nil || m[1] == "0" {
		t.Fatalf("feedcheck %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	t.Logf("feedcheck on %d documents through nginx: %s", len(pick), last)
}

// isFeedDocument reports whether a snapshot path names a feed document
// (feed.rss, feed.atom, feed.json), not a page or the OPML file.
func isFeedDocument(p string) bool {
	base := p[strings.LastIndex(p, "/")+1:]
	for _, f := range feedgen.Formats {
		if base == f.FileName() {
			return true
		}
	}
	return false
}
