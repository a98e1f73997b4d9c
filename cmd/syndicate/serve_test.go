package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/syndicate/syndicate/config"
	"github.com/syndicate/syndicate/feedgen"
	"github.com/syndicate/syndicate/internal/dirtest"
	"github.com/syndicate/syndicate/internal/handlertest"
	"github.com/syndicate/syndicate/internal/logtest"
	"github.com/syndicate/syndicate/pipeline"
	"github.com/syndicate/syndicate/rebuild"
	"github.com/syndicate/syndicate/server"
	"github.com/syndicate/syndicate/source"
)

// startServe runs `syndicate serve` in-process on a free port and returns
// its base URL, its log and a stop function that cancels it (as SIGTERM
// would) and returns the exit code.
func startServe(t *testing.T, args ...string) (base string, logs *logtest.Buffer, stop func() int) {
	t.Helper()
	logs = new(logtest.Buffer)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...), io.Discard, logs)
	}()
	addr := regexp.MustCompile(`msg=listening addr=(\S+)|"msg":"listening","addr":"([^"]+)"`)
	deadline := time.Now().Add(10 * time.Second)
	for base == "" {
		if m := addr.FindStringSubmatch(logs.String()); m != nil {
			base = "http://" + m[1] + m[2]
			break
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited with %d:\n%s", code, logs.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve did not start:\n%s", logs.String())
		}
	}
	var once bool
	var code int
	stop = func() int {
		if once {
			return code
		}
		once = true
		cancel()
		select {
		case code = <-done:
		case <-time.After(15 * time.Second):
			t.Fatalf("serve did not stop:\n%s", logs.String())
		}
		return code
	}
	t.Cleanup(func() { stop() })
	return base, logs, stop
}

// waitReady polls url until it answers 200.
func waitReady(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s never became ready", url)
}

func waitLog(t *testing.T, logs *logtest.Buffer, substr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), substr) {
		if time.Now().After(deadline) {
			t.Fatalf("log never showed %q:\n%s", substr, logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestServeCommand runs the real command: first build, feeds under the
// prefix, a real SIGHUP, a graceful stop with exit code 0.
func TestServeCommand(t *testing.T) {
	_, cfgPath := writeConfig(t, "testdata/content", "schedule: \"@every 1h\"\nserver:\n  path_prefix: /feeds/\n  access_log: true\n")
	base, logs, stop := startServe(t, "--config", cfgPath)
	waitReady(t, base+"/feeds/readyz")

	resp, err := http.Get(base + "/feeds/tags/%E6%97%A5%E6%9C%AC%E8%AA%9E/feed.json")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/feed+json; charset=utf-8" || !strings.Contains(string(body), "First post") {
		t.Fatalf("tag feed: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	waitLog(t, logs, `msg=request method=GET path=/feeds/tags/%E6%97%A5%E6%9C%AC%E8%AA%9E/feed.json status=200`)

	// SIGHUP reaches this process's handler, registered by serve.
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog(t, logs, "trigger=sighup")

	resp, err = http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	var ready server.Readiness
	json.NewDecoder(resp.Body).Decode(&ready)
	resp.Body.Close()
	if !ready.Ready || ready.LastRebuild == nil || ready.LastRebuild.Trigger != "sighup" || ready.LastRebuild.Counts.Changed != 0 {
		t.Errorf("readyz after SIGHUP: %+v", ready)
	}

	if code := stop(); code != exitOK {
		t.Errorf("exit code %d after stop", code)
	}
	for _, want := range []string{"msg=rebuild trigger=start posts=2 feeds=5", "skipped=0", `msg="shutting down"`, "msg=stopped"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}

func TestServeFirstBuildFailureExits(t *testing.T) {
	_, cfgPath := writeConfig(t, t.TempDir()+"/missing", "")
	logs := new(logtest.Buffer)
	done := make(chan int, 1)
	go func() {
		done <- run(context.Background(), []string{"serve", "--config", cfgPath, "--listen", "127.0.0.1:0"}, io.Discard, logs)
	}()
	select {
	case code := <-done:
		if code != exitFailed {
			t.Errorf("exit code %d, want %d", code, exitFailed)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve kept running without a first build")
	}
	if !strings.Contains(logs.String(), "first build failed") || !strings.Contains(logs.String(), "content directory") {
		t.Errorf("log:\n%s", logs.String())
	}
}

func TestServeUsage(t *testing.T) {
	_, cfgPath := writeConfig(t, "testdata/content", "")
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"unknown flag", []string{"serve", "--nope"}, exitUsage},
		{"extra argument", []string{"serve", "--config", cfgPath, "extra"}, exitUsage},
		{"missing config", []string{"serve", "--config", t.TempDir() + "/none.yaml"}, exitUsage},
		{"help", []string{"serve", "-h"}, exitOK},
		{"bad port", []string{"serve", "--config", cfgPath, "--listen", "127.0.0.1:99999"}, exitFailed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := run(context.Background(), tc.args, io.Discard, io.Discard); got != tc.want {
				t.Errorf("exit %d, want %d", got, tc.want)
			}
		})
	}
}

func TestServeJSONLogs(t *testing.T) {
	_, cfgPath := writeConfig(t, "testdata/content", "log:\n  format: json\n")
	base, logs, stop := startServe(t, "--config", cfgPath)
	waitReady(t, base+"/readyz")
	stop()
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	var sawRebuild bool
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not a JSON log line: %q", l)
		}
		if m["msg"] == "rebuild" {
			sawRebuild = true
			for _, k := range []string{"posts", "feeds", "skipped", "duration", "documents", "changed", "trigger"} {
				if _, ok := m[k]; !ok {
					t.Errorf("rebuild line lacks %q: %s", k, l)
				}
			}
		}
	}
	if !sawRebuild {
		t.Errorf("no rebuild line:\n%s", logs.String())
	}
}

// TestServeRebuilderSettles: through serve's rebuilder and server, a
// rebuild that changed no document still leaves the next quiet rebuild
// standing on it (the served set must point at the latest snapshot).
func TestServeRebuilderSettles(t *testing.T) {
	dir := t.TempDir()
	post := func(body string) []byte {
		return []byte("---\ntitle: Alpha\ndate: 2025-01-01\ntags: [go]\n---\n" + body + "\n")
	}
	p := filepath.Join(dir, "a.md")
	hourAgo := time.Now().Add(-time.Hour)
	if err := os.WriteFile(p, post("Text."), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, hourAgo, hourAgo); err != nil {
		t.Fatal(err)
	}
	cfg, _ := writeConfig(t, dir, "")
	srv := server.New("", "", nil)
	rb, _ := newServeRebuilder(testSettings(t, cfg), "", srv, logtest.New(io.Discard))
	t.Cleanup(rb.Close)
	steps := []struct {
		name      string
		before    func()
		unchanged bool
	}{
		{"first", nil, false},
		{"edit, times now", func() { os.WriteFile(p, post("Text 2."), 0o644) }, false},
		{"same files, survey settles", func() { os.Chtimes(p, hourAgo, hourAgo) }, false},
		{"quiet", nil, true},
		{"quiet again", nil, true},
	}
	for _, s := range steps {
		if s.before != nil {
			s.before()
		}
		if err := rb.Rebuild(context.Background(), "schedule"); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := srv.Status().Last.Unchanged; got != s.unchanged {
			t.Errorf("%s: unchanged = %v, want %v", s.name, got, s.unchanged)
		}
	}
}

// hardServer is the service as serve runs it (http.Server from
// newHTTPServer, access log on) on a real listener on 127.0.0.1, serving
// a build of testdata/content.
type hardServer struct {
	addr  string
	srv   *server.Handler
	logs  *logtest.Buffer
	mu    sync.Mutex
	state map[string]chan struct{} // by client address: closed when the server closes the conn
}

func startHardServer(t *testing.T, limits server.Timeouts, built bool) *hardServer {
	t.Helper()
	h := &hardServer{srv: server.New("", "public, max-age=300", nil), logs: new(logtest.Buffer), state: map[string]chan struct{}{}}
	if built {
		cfg, _ := writeConfig(t, "testdata/content", "")
		rb, _ := newServeRebuilder(testSettings(t, cfg), "", h.srv, logtest.New(io.Discard))
		t.Cleanup(rb.Close)
		mustDo(t, rb.Rebuild(context.Background(), "start"))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	log := logtest.New(h.logs)
	hs := server.NewHTTPServer(server.AccessLog(log)(h.srv), log, limits)
	hs.ConnState = func(c net.Conn, s http.ConnState) {
		if s == http.StateClosed || s == http.StateHijacked {
			close(h.closed(c.RemoteAddr().String()))
		}
	}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	h.addr = ln.Addr().String()
	return h
}

// closed returns the channel closed when the server closes the
// connection from the client address key; whichever side asks first
// makes it.
func (h *hardServer) closed(key string) chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	ch := h.state[key]
	if ch == nil {
		ch = make(chan struct{})
		h.state[key] = ch
	}
	return ch
}

// dial opens a raw connection and returns it with the channel that is
// closed when the server closes it.
func (h *hardServer) dial(t *testing.T) (net.Conn, chan struct{}) {
	t.Helper()
	c, err := net.Dial("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, h.closed(c.LocalAddr().String())
}

// raw sends one request exactly as written (no client normalises the
// target) and reads the response; the body is read in full.
func (h *hardServer) raw(t *testing.T, method, target string, headers ...string) (*http.Response, string) {
	t.Helper()
	c, _ := h.dial(t)
	req := method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
	for _, hd := range headers {
		req += hd + "\r\n"
	}
	req += "\r\n"
	go c.Write([]byte(req)) // may fail once the server has answered and closed
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("%s %.80s: %v", method, target, err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("%s %.80s: reading the body: %v", method, target, err)
	}
	return resp, string(b)
}

// checkErrorBody: an error response is short plain text that says what
// went wrong in HTTP terms and nothing about the server's insides, and
// does not echo the request.
func checkErrorBody(t *testing.T, what string, resp *http.Response, body, target string) {
	t.Helper()
	if len(body) > 120 {
		t.Errorf("%s: %d-byte error body: %.200q", what, len(body), body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") && !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: Content-Type %q", what, ct)
	}
	low := strings.ToLower(body)
	for _, bad := range []string{"goroutine", ".go:", "panic", "runtime", "/tmp", "/work", "/etc", "/home", "no such file",
		"stat ", "open ", "errno", "syscall", "%!", "\x00", "<script", "exit status", os.TempDir() + "/"} {
		if strings.Contains(low, bad) {
			t.Errorf("%s: error body contains %q: %q", what, bad, body)
		}
	}
	if target != "" && len(target) > 4 && strings.Contains(body, strings.TrimPrefix(target, "/")) {
		t.Errorf("%s: error body echoes the request target: %q", what, body)
	}
}

// TestHardeningTraversal sends traversal and unclean paths over a real
// connection, byte for byte: every one is 404 (or 400 where Go's parser
// refuses the request line), never a document or a file.
func TestHardeningTraversal(t *testing.T) {
	h := startHardServer(t, server.DefaultTimeouts, true)
	for _, ok := range []string{"/feed.rss", "/tags/%E6%97%A5%E6%9C%AC%E8%AA%9E/feed.atom", "/categories/notes/feed.json"} {
		if resp, _ := h.raw(t, "GET", ok); resp.StatusCode != 200 {
			t.Fatalf("control %s: %d", ok, resp.StatusCode)
		}
	}
	targets := []string{
		"/tags/%2e%2e/feed.rss",
		"/tags/%2E%2E/feed.rss",
		"/%2e%2e/%2e%2e/etc/passwd",
		"/../../etc/passwd",
		"/tags/../feed.rss",
		"/tags/go/../../feed.rss",
		"/tags/go/%2e%2e/%2e%2e/feed.rss",
		"//feed.rss",
		"///feed.rss",
		"/tags//go/feed.rss",
		"/./feed.rss",
		"/%2e/feed.rss",
		"/tags/go/./feed.rss",
		"/tags/go/feed.rss/.",
		"/tags/go/feed.rss/",
		"/tags/..%2f..%2ffeed.rss",
		"/tags/..%2F..%2Ffeed.rss",
		"/tags%2fgo%2ffeed.rss",
		"/tags/%252e%252e/feed.rss",
		"/tags/%c0%ae%c0%ae/feed.rss", // overlong UTF-8 dot
		`/tags\..\feed.rss`,
		`/tags\go\feed.rss`,
		"/tags%5c..%5cfeed.rss",
		"/tags%5Cgo%5Cfeed.rss",
		"/feed.rss%00",
		"/feed.rss%00.html",
		"/%00",
		"/feed.rss;.json",
		"/feed.rss%20",
		"/FEED.RSS",
		"/tags/", // a folder without a page; "/tags/go/" is the tag's page
		"/tags",
		"/tags/go/index.html/",
		"/.syndicate-output",
		"/feed",
		"//",
		"*",
		"/etc/passwd",
		"/proc/self/environ",
	}
	for _, target := range targets {
		t.Run(target, func(t *testing.T) {
			resp, body := h.raw(t, "GET", target)
			t.Logf("%d %q", resp.StatusCode, body)
			switch resp.StatusCode {
			case 404:
			case 400:
				// Go's parser refused the request line; no handler ran.
			default:
				t.Fatalf("status %d, want 404\n%.300s", resp.StatusCode, body)
			}
			checkErrorBody(t, target, resp, body, target)
		})
	}
}

// TestHardeningLimits: a URL or header block past MaxHeaderBytes is
// refused with 431 and the connection closed; a long URL under the limit
// is an ordinary 404 that does not echo it.
func TestHardeningLimits(t *testing.T) {
	h := startHardServer(t, server.DefaultTimeouts, true)
	long := "/" + strings.Repeat("a", 100<<10)
	manyHeaders := make([]string, 4000)
	for i := range manyHeaders {
		manyHeaders[i] = fmt.Sprintf("X-Filler-%d: %s", i, strings.Repeat("v", 10))
	}
	tests := []struct {
		name    string
		target  string
		headers []string
	}{
		{"100 KB URL", long, nil},
		{"100 KB URL of traversals", "/" + strings.Repeat("../", 100<<10/3) + "etc/passwd", nil},
		{"64 KB header", "/feed.rss", []string{"X-Big: " + strings.Repeat("x", 64<<10)}},
		{"64 KB cookie", "/feed.rss", []string{"Cookie: a=" + strings.Repeat("x", 64<<10)}},
		{"4,000 headers", "/feed.rss", manyHeaders},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // Go lingers 500 ms before closing a refused connection
			c, closed := h.dial(t)
			req := "GET " + tc.target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + strings.Join(tc.headers, "\r\n")
			if len(tc.headers) > 0 {
				req += "\r\n"
			}
			go c.Write([]byte(req + "\r\n"))
			c.SetReadDeadline(time.Now().Add(20 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 431 && resp.StatusCode != 414 {
					t.Fatalf("status %d, want 431", resp.StatusCode)
				}
				checkErrorBody(t, tc.name, resp, string(b), "")
			} else if isTimeout(err) {
				t.Fatalf("no answer: %v", err)
			} // else: connection closed or reset before a response, also a refusal
			select {
			case <-closed:
			case <-time.After(20 * time.Second):
				t.Fatal("connection still open after the refusal")
			}
		})
	}

}

func TestHardeningLongURLUnderLimit(t *testing.T) {
	h := startHardServer(t, server.DefaultTimeouts, true)
	long := "/" + strings.Repeat("a", 100<<10)
	// Under the limit: 20 KB of path is a plain 404.
	target := "/tags/" + strings.Repeat("b", 20<<10) + "/feed.rss"
	resp, body := h.raw(t, "GET", target)
	if resp.StatusCode != 404 {
		t.Errorf("20 KB URL: %d", resp.StatusCode)
	}
	checkErrorBody(t, "20 KB URL", resp, body, target)

	// And through a Go client, as a proxy would pass it on.
	r, err := http.Get("http://" + h.addr + long)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != 431 {
		t.Errorf("100 KB URL through http.Client: %d", r.StatusCode)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestHardeningSlowClients shrinks the limits to 200 ms and checks that
// the server, not the client, ends each slow connection. The waits are
// bounded at 20 s and end when the server closes the connection; no
// assertion depends on how long that took.
func TestHardeningSlowClients(t *testing.T) {
	limits := server.Timeouts{
		ReadHeader: 200 * time.Millisecond, Read: 400 * time.Millisecond,
		Write: 400 * time.Millisecond, Idle: 200 * time.Millisecond,
		MaxHeaderBytes: server.DefaultTimeouts.MaxHeaderBytes,
	}
	h := startHardServer(t, limits, true)
	waitClosed := func(t *testing.T, c net.Conn, closed chan struct{}) {
		t.Helper()
		select {
		case <-closed:
		case <-time.After(20 * time.Second):
			t.Fatal("the server never closed the slow connection")
		}
		// The client sees the end too (perhaps after a 408).
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		b, err := io.ReadAll(c)
		if isTimeout(err) {
			t.Fatalf("connection still readable: %v", err)
		}
		if len(b) > 0 && !strings.HasPrefix(string(b), "HTTP/1.1 408") {
			t.Errorf("unexpected answer to a slow client: %.100q", b)
		}
	}

	t.Run("connects and sends nothing", func(t *testing.T) {
		c, closed := h.dial(t)
		waitClosed(t, c, closed)
	})
	t.Run("headers never finish", func(t *testing.T) {
		c, closed := h.dial(t)
		mustDo(t, writeAll(c, "GET /feed.rss HTTP/1.1\r\nHost: 127.0.0.1\r\n"))
		waitClosed(t, c, closed)
	})
	t.Run("headers trickle in (slowloris)", func(t *testing.T) {
		c, closed := h.dial(t)
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			if writeAll(c, "GET /feed.rss HTTP/1.1\r\nHost: 127.0.0.1\r\n") != nil {
				return
			}
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-closed:
					return
				case <-time.After(20 * time.Millisecond):
				}
				if writeAll(c, fmt.Sprintf("X-%d: y\r\n", i)) != nil {
					return
				}
			}
		}()
		waitClosed(t, c, closed)
	})
	t.Run("idle keep-alive connection", func(t *testing.T) {
		c, closed := h.dial(t)
		mustDo(t, writeAll(c, "GET /feed.rss HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		select {
		case <-closed:
		case <-time.After(20 * time.Second):
			t.Fatal("idle connection never closed")
		}
	})
	t.Run("never reads its responses", func(t *testing.T) {
		// Pipelined requests whose answers are never read: the server's
		// writes block once the socket buffers are full, and the write
		// timeout ends the connection.
		c, closed := h.dial(t)
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetReadBuffer(4 << 10)
		}
		req := strings.Repeat("GET /feed.rss HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 200)
		go func() {
			for range 100 { // 20,000 requests, some 60 MB of answers
				select {
				case <-closed:
					return
				default:
				}
				if writeAll(c, req) != nil {
					return
				}
			}
		}()
		select {
		case <-closed:
		case <-time.After(20 * time.Second):
			t.Fatal("the server kept writing to a client that does not read")
		}
	})
}

func writeAll(c net.Conn, s string) error {
	c.SetWriteDeadline(time.Now().Add(20 * time.Second))
	_, err := io.WriteString(c, s)
	return err
}

// TestHardeningMethods: only GET and HEAD, over a real connection, with
// Allow on the 405; TRACE echoes nothing back.
func TestHardeningMethods(t *testing.T) {
	h := startHardServer(t, server.DefaultTimeouts, true)
	for _, m := range []string{"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND", "MKCOL", "FOO", "get", "Head"} {
		for _, target := range []string{"/feed.rss", "/tags/go/feed.atom", "/readyz"} {
			t.Run(m+" "+target, func(t *testing.T) {
				resp, body := h.raw(t, m, target, "Cookie: session=secret-cookie-value", "X-Probe: probe-header-value", "Content-Length: 0")
				if resp.StatusCode != 405 {
					t.Fatalf("status %d, want 405", resp.StatusCode)
				}
				if resp.Header.Get("Allow") != "GET, HEAD" {
					t.Errorf("Allow %q", resp.Header.Get("Allow"))
				}
				if strings.Contains(body, "secret-cookie-value") || strings.Contains(body, "probe-header-value") {
					t.Errorf("request headers echoed: %q", body)
				}
				checkErrorBody(t, m, resp, body, target)
			})
		}
	}
	t.Run("CONNECT", func(t *testing.T) {
		resp, body := h.raw(t, "CONNECT", "example.org:443")
		if resp.StatusCode != 404 && resp.StatusCode != 405 && resp.StatusCode != 400 {
			t.Errorf("CONNECT: %d", resp.StatusCode)
		}
		checkErrorBody(t, "CONNECT", resp, body, "")
	})
	t.Run("HEAD", func(t *testing.T) {
		resp, body := h.raw(t, "HEAD", "/feed.rss")
		if resp.StatusCode != 200 || body != "" || resp.ContentLength <= 0 {
			t.Errorf("HEAD: %d, %d-byte body, Content-Length %d", resp.StatusCode, len(body), resp.ContentLength)
		}
	})
}

// TestHardeningErrorBodies: every error the service itself can give (404,
// 405, 406, 503 before the first build and its /readyz) is short plain
// text or JSON without internals.
func TestHardeningErrorBodies(t *testing.T) {
	cold := startHardServer(t, server.DefaultTimeouts, false)
	for _, tc := range []struct {
		h      *hardServer
		method string
		target string
		hdr    []string
		want   int
	}{
		{cold, "GET", "/feed.rss", nil, 503},
		{cold, "GET", "/readyz", nil, 503},
		{cold, "GET", "/", nil, 503},     // the index page, once built
		{cold, "GET", "/nope", nil, 503}, // any document may exist once built
		{cold, "DELETE", "/feed.rss", nil, 405},
	} {
		resp, body := tc.h.raw(t, tc.method, tc.target, tc.hdr...)
		if resp.StatusCode != tc.want {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.target, resp.StatusCode, tc.want)
		}
		checkErrorBody(t, tc.method+" "+tc.target, resp, body, "")
		if tc.want == 503 && resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: 503 is cacheable: %q", tc.target, resp.Header.Get("Cache-Control"))
		}
	}
	warm := startHardServer(t, server.DefaultTimeouts, true)
	resp, body := warm.raw(t, "GET", "/feed.rss", "Accept-Encoding: *;q=0")
	if resp.StatusCode != 406 {
		t.Errorf("406 case: %d", resp.StatusCode)
	}
	checkErrorBody(t, "406", resp, body, "")
	if l := warm.logs.String(); !strings.Contains(l, "status=406") {
		t.Errorf("access log:\n%s", l)
	}
}

// TestServeRecoversOnSchedule runs the real serve command with a
// one-second schedule: the content folder vanishes, a scheduled rebuild
// fails and says so in /readyz while the feed keeps its ETag, and once
// the folder is back a later scheduled rebuild recovers by itself.
func TestServeRecoversOnSchedule(t *testing.T) {
	content := copyContent(t)
	_, cfgPath := writeConfig(t, content, "schedule: \"@every 1s\"\n")
	base, logs, stop := startServe(t, "--config", cfgPath)
	waitReady(t, base+"/readyz")
	etag := getETag(t, base+"/feed.rss")

	mustDo(t, os.Rename(content, content+".away"))
	r := waitReadyz(t, base, func(r server.Readiness) bool { return r.LastRebuild != nil && r.LastRebuild.Result == "failed" })
	if !r.Ready || !strings.Contains(r.LastRebuild.Error, "<content_dir>") || strings.Contains(r.LastRebuild.Error, content) {
		t.Errorf("readyz during the fault: %+v", r.LastRebuild)
	}
	if got := getETag(t, base+"/feed.rss"); got != etag {
		t.Errorf("ETag %s during the fault, was %s", got, etag)
	}

	mustDo(t, os.Rename(content+".away", content))
	waitReadyz(t, base, func(r server.Readiness) bool { return r.LastRebuild != nil && r.LastRebuild.Result == "ok" })
	if got := getETag(t, base+"/feed.rss"); got != etag {
		t.Errorf("ETag %s after recovery with the same content, was %s", got, etag)
	}
	if code := stop(); code != exitOK {
		t.Errorf("exit %d", code)
	}
	if l := logs.String(); !strings.Contains(l, "rebuild failed; still serving the previous feeds") || !strings.Contains(l, "msg=rebuild trigger=schedule") {
		t.Errorf("log:\n%s", l)
	}
}

// TestSubscriberContinuity is issue 12 end to end, as a reader polling
// serve sees it, serve restarted between steps (its publication state in
// state_dir the only memory): a post's date corrected, its file renamed,
// a tag emptied and refilled, a backdated post added, a feed retired. At
// each step ids, item counts, status codes and Last-Modified are checked
// with a real feed parser.
func TestSubscriberContinuity(t *testing.T) {
	content := filepath.Join(t.TempDir(), "content")
	mustDo(t, os.MkdirAll(filepath.Join(content, "posts"), 0o755))
	write := func(name, date, tags string) {
		t.Helper()
		title := strings.TrimSuffix(strings.TrimSuffix(name, ".md"), "-renamed")
		body := fmt.Sprintf("---\ntitle: %q\ndate: %s\ntags: [%s]\n---\nThe body of %s, which never changes.\n", title, date, tags, title)
		mustDo(t, os.WriteFile(filepath.Join(content, "posts", name), []byte(body), 0o644))
	}
	stateDir := filepath.Join(t.TempDir(), "state")
	config := func(keepEmpty string) string {
		_, cfgPath := writeConfig(t, content, fmt.Sprintf("state_dir: %q\nfeeds:\n  keep_empty: %s\nlog:\n  level: debug\n", stateDir, keepEmpty))
		return cfgPath
	}
	cfgPath := config("30d")

	type doc struct {
		code     int
		ids      map[string]string // title -> id
		items    int
		title    string
		self     string
		modified time.Time
		etag     string
	}
	fetch := func(base, path string, header ...string) doc {
		t.Helper()
		req, _ := http.NewRequest("GET", base+"/"+path, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		d := doc{code: resp.StatusCode, etag: resp.Header.Get("ETag"), ids: map[string]string{}}
		d.modified, _ = http.ParseTime(resp.Header.Get("Last-Modified"))
		if resp.StatusCode != 200 {
			return d
		}
		f, err := gofeed.NewParser().Parse(resp.Body)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		d.items, d.title, d.self = len(f.Items), f.Title, f.FeedLink
		for _, it := range f.Items {
			d.ids[it.Title] = it.GUID
		}
		return d
	}
	// step starts serve, lets check look, and stops it. Steps that change
	// documents begin on a new second, the resolution of Last-Modified.
	step := func(name string, check func(base string, logs string, began time.Time)) {
		t.Helper()
		time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
		began := time.Now().Truncate(time.Second)
		base, logs, stop := startServe(t, "--config", cfgPath)
		waitReady(t, base+"/readyz")
		check(base, logs.String(), began)
		if code := stop(); code != 0 {
			t.Fatalf("%s: serve exited %d\n%s", name, code, logs.String())
		}
	}

	write("alpha.md", "2024-08-20T10:00:00Z", `"Go", "Rare"`)
	write("beta.md", "2024-08-10T10:00:00Z", `"Go"`)
	var first, rare0, last doc
	step("first", func(base, _ string, _ time.Time) {
		first, rare0 = fetch(base, "feed.rss"), fetch(base, "tags/rare/feed.atom")
		if first.items != 2 || rare0.items != 1 || first.ids["alpha"] == "" {
			t.Fatalf("first: %+v, rare %+v", first, rare0)
		}
		last = first
	})
	sameIDs := func(what string, d doc) {
		t.Helper()
		for title, id := range first.ids {
			if got := d.ids[title]; got != id {
				t.Errorf("%s: %s has id %q, was %s", what, title, got, id)
			}
		}
	}
	changed := func(what string, d doc, began time.Time) {
		t.Helper()
		if d.etag == last.etag || d.modified.Before(began) {
			t.Errorf("%s: ETag %s (was %s), Last-Modified %v, want a new ETag and a time from %v on", what, d.etag, last.etag, d.modified, began)
		}
		last = d
	}

	write("alpha.md", "2024-08-19T10:00:00Z", `"Go", "Rare"`) // the date corrected: a new link
	step("date corrected", func(base, _ string, began time.Time) {
		d := fetch(base, "feed.rss")
		if d.items != 2 {
			t.Errorf("date corrected: %d items, want 2", d.items)
		}
		sameIDs("date corrected", d)
		changed("date corrected", d, began)
	})

	mustDo(t, os.Rename(filepath.Join(content, "posts", "alpha.md"), filepath.Join(content, "posts", "alpha-renamed.md")))
	step("renamed", func(base, logs string, began time.Time) {
		d := fetch(base, "feed.rss")
		if d.items != 2 {
			t.Errorf("renamed: %d items, want 2", d.items)
		}
		sameIDs("renamed", d)
		if !strings.Contains(logs, "renamed from posts/alpha.md") {
			t.Errorf("the rename was not reported:\n%s", logs)
		}
		changed("renamed", d, began)
	})

	write("alpha-renamed.md", "2024-08-19T10:00:00Z", `"Go"`) // Rare emptied
	step("tag emptied", func(base, _ string, _ time.Time) {
		d := fetch(base, "tags/rare/feed.atom")
		if d.code != 200 || d.items != 0 || d.title != rare0.title || d.self != rare0.self {
			t.Errorf("emptied tag: %d, %d items, %q %q; want 200, 0 items, %q %q", d.code, d.items, d.title, d.self, rare0.title, rare0.self)
		}
		for _, f := range []string{"feed.rss", "feed.json"} {
			if d := fetch(base, "tags/rare/"+f); d.code != 200 || d.items != 0 {
				t.Errorf("emptied tag %s: %d, %d items", f, d.code, d.items)
			}
		}
	})

	write("alpha-renamed.md", "2024-08-19T10:00:00Z", `"Go", "Rare"`) // refilled
	step("tag refilled", func(base, _ string, _ time.Time) {
		d := fetch(base, "tags/rare/feed.atom")
		if d.code != 200 || d.items != 1 || d.ids["alpha"] != first.ids["alpha"] {
			t.Errorf("refilled tag: %d, %d items, ids %v", d.code, d.items, d.ids)
		}
	})

	write("gamma.md", "2024-01-01T10:00:00Z", `"Go"`) // backdated: older than every item
	step("backdated post", func(base, _ string, began time.Time) {
		d := fetch(base, "feed.rss")
		if d.items != 3 {
			t.Errorf("backdated: %d items, want 3", d.items)
		}
		sameIDs("backdated", d)
		changed("backdated", d, began)
		// A reader that sends only If-Modified-Since gets the new items.
		prev := fetch(base, "feed.rss", "If-Modified-Since", began.Add(-time.Second).UTC().Format(http.TimeFormat))
		if prev.code != 200 {
			t.Errorf("If-Modified-Since before the change: %d, want 200", prev.code)
		}
	})

	step("restart, nothing changed", func(base, _ string, _ time.Time) {
		d := fetch(base, "feed.rss")
		if d.etag != last.etag || !d.modified.Equal(last.modified) {
			t.Errorf("after a restart: ETag %s, Last-Modified %v; want %s, %v as before", d.etag, d.modified, last.etag, last.modified)
		}
		if nm := fetch(base, "feed.rss", "If-Modified-Since", last.modified.UTC().Format(http.TimeFormat)); nm.code != 304 {
			t.Errorf("If-Modified-Since the last change: %d, want 304", nm.code)
		}
	})

	// Rare emptied for longer than keep_empty: 410 Gone, never 404.
	write("alpha-renamed.md", "2024-08-19T10:00:00Z", `"Go"`)
	cfgPath = config("1s")
	time.Sleep(1100 * time.Millisecond)
	step("retired", func(base, _ string, _ time.Time) {
		for _, f := range []string{"feed.rss", "feed.atom", "feed.json"} {
			if d := fetch(base, "tags/rare/"+f); d.code != 410 {
				t.Errorf("retired tag %s: %d, want 410", f, d.code)
			}
		}
		if d := fetch(base, "tags/never-was/feed.rss"); d.code != 404 {
			t.Errorf("a feed never published: %d, want 404", d.code)
		}
	})
}

// TestSelfLinksIgnoreHost: documents are bytes from the config's URLs;
// no request header reaches them.
func TestSelfLinksIgnoreHost(t *testing.T) {
	cfg, _ := writeConfig(t, "testdata/content", "")
	srv := server.New("", "", nil)
	rb := rebuild.New(buildFor(cfg), srv, logtest.New(io.Discard), "")
	if err := rb.Rebuild(context.Background(), "start"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/feed.rss", "/feed.atom", "/feed.json"} {
		w := handlertest.Do(srv, "GET", p, "Host", "evil.example", "X-Forwarded-Host", "evil.example", "X-Forwarded-Proto", "gopher", "Forwarded", "host=evil.example")
		body := w.Body.String()
		if w.Code != 200 || strings.Contains(body, "evil") || strings.Contains(body, "gopher") || !strings.Contains(body, "https://example.org/feeds"+p) {
			t.Errorf("%s: self link not from config:\n%.400s", p, body)
		}
	}
}

// Failed rebuilds in serve: each fault below is applied after a good
// first build (with server.write_output on) and then taken away again.
// While it lasts, the last good documents keep being served with the same
// validators and stay on disk, the failure is logged and shown by /readyz
// (without the server's folder names), and the next rebuild after the
// cause is gone recovers with no help.

// faultEnv is one serve setup: an editable content folder, an output
// folder reached through a symlink (so a test can swap the folder's
// parent for a file), and serve's own rebuilder.
type faultEnv struct {
	content, out, link, realParent string
	cfg                            *config.Config
	srv                            *server.Handler
	rb                             *rebuild.Rebuilder
	logs                           *logtest.Buffer
}

func newFaultEnv(t *testing.T) *faultEnv {
	t.Helper()
	e := &faultEnv{content: copyContent(t), logs: new(logtest.Buffer)}
	base := t.TempDir()
	e.realParent = filepath.Join(base, "site")
	e.link = filepath.Join(base, "link")
	if err := os.Mkdir(e.realParent, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(e.realParent, e.link); err != nil {
		t.Fatal(err)
	}
	e.out = filepath.Join(e.link, "public")
	e.cfg, _ = writeConfig(t, e.content, "server:\n  write_output: true\n")
	e.cfg.OutputDir = e.out
	e.srv = server.New("/feeds", "", nil)
	e.rb, _ = newServeRebuilder(testSettings(t, e.cfg), "", e.srv, logtest.New(e.logs))
	t.Cleanup(e.rb.Close)
	return e
}

// start runs the good first build and returns the served documents'
// ETags and the output folder's files, having checked that the folder
// holds the served documents.
func (e *faultEnv) start(t *testing.T) (etags, disk map[string]string) {
	t.Helper()
	mustDo(t, e.rb.Rebuild(context.Background(), "start"))
	e.checkDiskMatchesServed(t)
	return e.etags(t), dirtest.Files(t, e.out)
}

// editPost rewrites second.md's body so the next build changes the
// documents that list it.
func (e *faultEnv) editPost(t *testing.T, words string) {
	t.Helper()
	p := filepath.Join(e.content, "posts", "second.md")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.LastIndex(b, []byte("---\n"))
	b = append(b[:i+4:i+4], []byte("Edited: "+words+"\n")...)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// etags fetches every served document over the handler and returns its
// ETag by path.
func (e *faultEnv) etags(t *testing.T) map[string]string {
	t.Helper()
	set := e.srv.Served()
	if set == nil {
		t.Fatal("nothing served")
	}
	out := map[string]string{}
	for p := range set.All() {
		w := handlertest.Do(e.srv, "GET", "/feeds/"+escapePath(p))
		if w.Code != 200 {
			t.Fatalf("GET %s: %d", p, w.Code)
		}
		out[p] = w.Header().Get("ETag")
	}
	return out
}

// escapePath percent-encodes each segment of a document path.
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// checkDiskMatchesServed: the output folder holds exactly the served
// documents (and the ownership marker).
func (e *faultEnv) checkDiskMatchesServed(t *testing.T) {
	t.Helper()
	files := dirtest.Files(t, e.out)
	set := e.srv.Served()
	for p, d := range set.All() {
		if files[p] != string(docBytes(t, d)) {
			t.Errorf("%s on disk differs from the served document", p)
		}
	}
	if len(files) != set.Len()+1 {
		t.Errorf("%d files on disk for %d documents", len(files), set.Len())
	}
}

// readyz returns /readyz's status and parsed body.
func (e *faultEnv) readyz(t *testing.T) (int, server.Readiness, string) {
	t.Helper()
	w := handlertest.Do(e.srv, "GET", "/feeds/readyz")
	var r server.Readiness
	if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil {
		t.Fatalf("readyz body: %v\n%s", err, w.Body)
	}
	return w.Code, r, w.Body.String()
}

// checkNoFolders: a response shown to clients names none of the test's
// folders.
func (e *faultEnv) checkNoFolders(t *testing.T, what, body string) {
	t.Helper()
	for _, dir := range []string{e.content, e.out, e.realParent, e.link, filepath.Dir(e.content), os.TempDir()} {
		if strings.Contains(body, dir) {
			t.Errorf("%s shows the folder %s:\n%s", what, dir, body)
		}
	}
}

// canDeny reports whether removing permissions from a folder really stops
// this process (it does not for root, which CI runs as).
func canDeny(t *testing.T) bool {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o755)
	_, err := os.ReadDir(dir)
	return err != nil
}

// fault is something that goes wrong between two rebuilds (break_) and
// is put right again (fix).
type fault struct {
	name        string
	break_, fix func(t *testing.T, e *faultEnv)
	reason      string // in the error /readyz shows
}

func contentFaults() []fault {
	return []fault{
		{
			name: "content folder renamed away",
			break_: func(t *testing.T, e *faultEnv) {
				mustDo(t, os.Rename(e.content, e.content+".away"))
			},
			fix: func(t *testing.T, e *faultEnv) {
				mustDo(t, os.Rename(e.content+".away", e.content))
			},
			reason: "no such file or directory",
		},
		{
			name: "content folder replaced by a file",
			break_: func(t *testing.T, e *faultEnv) {
				mustDo(t, os.Rename(e.content, e.content+".saved"))
				mustDo(t, os.WriteFile(e.content, []byte("not a folder"), 0o644))
			},
			fix: func(t *testing.T, e *faultEnv) {
				mustDo(t, os.Remove(e.content))
				mustDo(t, os.Rename(e.content+".saved", e.content))
			},
			reason: "is not a directory",
		},
		{
			name: "content folder unreadable",
			break_: func(t *testing.T, e *faultEnv) {
				if !canDeny(t) {
					t.Skip("running as root: chmod 000 does not deny reads (covered by the other faults)")
				}
				mustDo(t, os.Chmod(e.content, 0))
				t.Cleanup(func() { os.Chmod(e.content, 0o755) })
			},
			fix: func(t *testing.T, e *faultEnv) {
				mustDo(t, os.Chmod(e.content, 0o755))
			},
			reason: "permission denied",
		},
	}
}

func TestRebuildFaultsInContent(t *testing.T) {
	ctx := context.Background()
	for _, f := range contentFaults() {
		t.Run(f.name, func(t *testing.T) {
			e := newFaultEnv(t)
			before, disk := e.start(t)
			set := e.srv.Served()

			f.break_(t, e)
			err := e.rb.Rebuild(ctx, "schedule")
			if err == nil {
				t.Fatal("rebuild succeeded despite the fault")
			}
			if e.srv.Served() != set {
				t.Error("the failed rebuild replaced the served set")
			}
			if got := e.etags(t); !maps.Equal(got, before) {
				t.Errorf("ETags changed after a failed rebuild:\n%v\n%v", before, got)
			}
			if got := dirtest.Files(t, e.out); !maps.Equal(got, disk) {
				t.Error("the output folder changed after a failed rebuild")
			}
			code, r, body := e.readyz(t)
			if code != 200 || !r.Ready || r.LastRebuild == nil || r.LastRebuild.Result != "failed" ||
				!strings.Contains(r.LastRebuild.Error, f.reason) || !strings.Contains(r.LastRebuild.Error, "<content_dir>") ||
				r.LastSuccess == nil || r.Documents != len(before) {
				t.Errorf("readyz during the fault: %d\n%s", code, body)
			}
			e.checkNoFolders(t, "/readyz", body)
			if l := e.logs.String(); !strings.Contains(l, "rebuild failed; still serving the previous feeds") || !strings.Contains(l, f.reason) {
				t.Errorf("failure not logged with its reason:\n%s", l)
			}

			// A second scheduled run while the fault lasts changes nothing.
			if e.rb.Rebuild(ctx, "schedule") == nil || e.srv.Served() != set {
				t.Error("second rebuild during the fault")
			}

			// The cause goes away (with an edit made meanwhile): the next
			// scheduled rebuild recovers on its own.
			f.fix(t, e)
			e.editPost(t, "after the fault")
			mustDo(t, e.rb.Rebuild(ctx, "schedule"))
			after := e.etags(t)
			if after["feed.rss"] == before["feed.rss"] {
				t.Error("recovered rebuild did not pick up the edit")
			}
			e.checkDiskMatchesServed(t)
			if _, r, body := e.readyz(t); r.LastRebuild.Result != "ok" || r.LastRebuild.Error != "" || r.LastRebuild.Counts.Posts != 2 {
				t.Errorf("readyz after recovery:\n%s", body)
			}
		})
	}
}

func outputFaults() []fault {
	return []fault{
		{
			// Works as root: MkdirAll cannot make a folder under a file.
			name: "output folder's parent is a file",
			break_: func(t *testing.T, e *faultEnv) {
				file := filepath.Join(filepath.Dir(e.link), "a-file")
				mustDo(t, os.WriteFile(file, []byte("x"), 0o644))
				swapSymlink(t, e.link, file)
			},
			fix: func(t *testing.T, e *faultEnv) {
				swapSymlink(t, e.link, e.realParent)
			},
			reason: "not a directory",
		},
		{
			name: "output folder's parent read-only",
			break_: func(t *testing.T, e *faultEnv) {
				if !canDeny(t) {
					t.Skip("running as root: a read-only mode does not stop writes (see the parent-is-a-file case)")
				}
				mustDo(t, os.Chmod(e.realParent, 0o555))
				t.Cleanup(func() { os.Chmod(e.realParent, 0o755) })
			},
			fix: func(t *testing.T, e *faultEnv) {
				mustDo(t, os.Chmod(e.realParent, 0o755))
			},
			reason: "permission denied",
		},
		{
			// A full disk, as the write sees it: every file past the
			// limit fails with EFBIG rather than ENOSPC, through the
			// same error path.
			name: "output disk full",
			break_: func(t *testing.T, e *faultEnv) {
				limitFileSize(t, 256)
			},
			fix: func(t *testing.T, e *faultEnv) {
				unlimitFileSize(t)
			},
			reason: "file too large",
		},
	}
}

// swapSymlink points link at target in one rename.
func swapSymlink(t *testing.T, link, target string) {
	t.Helper()
	tmp := link + ".tmp"
	os.Remove(tmp)
	mustDo(t, os.Symlink(target, tmp))
	mustDo(t, os.Rename(tmp, link))
}

// TestRebuildFaultsInOutput: with write_output on, a build that succeeds
// but cannot be written is served (it is good) while the output folder
// keeps the previous complete tree; /readyz shows output_error; the next
// rebuild writes the folder again even though nothing changed.
func TestRebuildFaultsInOutput(t *testing.T) {
	ctx := context.Background()
	for _, f := range outputFaults() {
		t.Run(f.name, func(t *testing.T) {
			e := newFaultEnv(t)
			before, disk := e.start(t)

			e.editPost(t, "during the fault")
			f.break_(t, e)
			err := e.rb.Rebuild(ctx, "schedule")
			f.fix(t, e) // at once: the checks below write files
			if err != nil {
				t.Fatalf("rebuild: %v", err)
			}
			now := e.etags(t)
			if now["feed.rss"] == before["feed.rss"] {
				t.Error("the good build was not served")
			}
			if got := dirtest.Files(t, e.out); !maps.Equal(got, disk) {
				t.Error("the output folder changed after a failed write")
			}
			checkNoStaging(t, e.realParent)
			code, r, body := e.readyz(t)
			if code != 200 || r.LastRebuild.Result != "ok" || !strings.Contains(r.LastRebuild.OutputError, f.reason) ||
				!strings.Contains(r.LastRebuild.OutputError, "<output_dir>") {
				t.Errorf("readyz after a failed write: %d\n%s", code, body)
			}
			e.checkNoFolders(t, "/readyz", body)
			if l := e.logs.String(); !strings.Contains(l, "writing the output folder failed") || !strings.Contains(l, f.reason) {
				t.Errorf("write failure not logged with its reason:\n%s", l)
			}

			// Nothing changes in the content; the next rebuild still
			// writes the folder, since it is behind the served set.
			mustDo(t, e.rb.Rebuild(ctx, "schedule"))
			if e.etags(t)["feed.rss"] != now["feed.rss"] {
				t.Error("unchanged rebuild changed the served feed")
			}
			e.checkDiskMatchesServed(t)
			checkNoStaging(t, e.realParent)
			if _, r, body := e.readyz(t); r.LastRebuild.OutputError != "" || r.LastRebuild.Result != "ok" {
				t.Errorf("readyz after recovery:\n%s", body)
			}
		})
	}
}

// checkNoStaging: a failed write leaves no half-written tree beside the
// output folder.
func checkNoStaging(t *testing.T, parent string) {
	t.Helper()
	entries, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range entries {
		if en.Name() != "public" {
			t.Errorf("left in the output folder's parent: %s", en.Name())
		}
	}
}

func getETag(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %d", url, resp.StatusCode)
	}
	return resp.Header.Get("ETag")
}

// waitReadyz polls /readyz until ok says so (bounded: 20 s).
func waitReadyz(t *testing.T, base string, ok func(server.Readiness) bool) server.Readiness {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			var r server.Readiness
			err = json.NewDecoder(resp.Body).Decode(&r)
			resp.Body.Close()
			if err == nil && ok(r) {
				return r
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("readyz never reached the expected state (last error: %v)", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

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

func (l *buildLedger) wrap(build rebuild.BuildFunc) rebuild.BuildFunc {
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
	var logs logtest.Buffer
	rb := rebuild.New(ledger.wrap(buildFor(cfg)), srv, logtest.New(&logs), "")
	ctx := context.Background()
	mustDo(t, rb.Rebuild(ctx, "start"))

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
	hs := server.NewHTTPServer(srv, logtest.New(&logs), server.DefaultTimeouts)
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
			if err := rb.Rebuild(ctx, "schedule"); err != nil {
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
	if got := feedgen.ETag(body); got != id {
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

// benchContent is the content folder serve's rebuild benchmarks run on:
// SYNDICATE_BENCH_CONTENT when set (e.g. a corpus made by cmd/gencontent;
// it is copied, since one benchmark edits a file), else a generated
// folder of 2,000 posts.
func benchContent(b *testing.B) string {
	b.Helper()
	dst := filepath.Join(b.TempDir(), "content")
	if src := os.Getenv("SYNDICATE_BENCH_CONTENT"); src != "" {
		if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
			b.Fatal(err)
		}
		return dst
	}
	rng := rand.New(rand.NewPCG(7, 7))
	zipf := rand.NewZipf(rng, 1.2, 2, 299)
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 2000 {
		var tags []string
		for range 1 + rng.IntN(4) {
			tags = append(tags, fmt.Sprintf("  - \"tag %d\"", zipf.Uint64()))
		}
		date := base.Add(-time.Duration(i) * 7 * time.Hour)
		body := strings.Repeat(fmt.Sprintf("Paragraph of post %d with a [link](/x/%d/) and *emphasis*.\n\n", i, i), 40)
		text := fmt.Sprintf("---\ntitle: \"Post %d\"\npublished: %q\ncategories:\n  - \"Cat %d\"\ntags:\n%s\n---\n%s",
			i, date.Format(time.RFC3339), i%20, strings.Join(tags, "\n"), body)
		p := filepath.Join(dst, date.Format("2006/01"), fmt.Sprintf("post-%d.md", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return dst
}

// benchRebuilder is serve's rebuilder after its first build, with files
// dated far enough back that the cache trusts their modification times.
func benchRebuilder(b *testing.B, watch bool) (*rebuild.Rebuilder, string) {
	b.Helper()
	dir := benchContent(b)
	old := time.Now().Add(-time.Hour)
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil {
			os.Chtimes(p, old, old)
		}
		return err
	})
	cfg, _ := writeConfig(b, dir, "feeds:\n  limit: 20\n  formats: [rss, atom, json]\n")
	srv := server.New("", "", nil)
	st := testSettings(b, cfg)
	st.Watch = watch
	rb, _ := newServeRebuilder(st, "", srv, logtest.New(io.Discard))
	b.Cleanup(rb.Close)
	if err := rb.Rebuild(context.Background(), "start"); err != nil {
		b.Fatal(err)
	}
	return rb, dir
}

// BenchmarkRebuild measures serve's scheduled rebuilds: one where nothing
// changed and one after a post was edited.
func BenchmarkRebuild(b *testing.B) {
	b.Run("unchanged", func(b *testing.B) {
		rb, _ := benchRebuilder(b, true)
		b.ResetTimer()
		for b.Loop() {
			if err := rb.Rebuild(context.Background(), "schedule"); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		reportLive(b)
		runtime.KeepAlive(rb)
	})
	b.Run("one-edit", func(b *testing.B) { benchOneEdit(b, true) })
	// Where the folder cannot be watched (NFS, FUSE, not Linux), each
	// rebuild surveys the folder and reads the files the survey finds
	// changed.
	b.Run("one-edit-unwatched", func(b *testing.B) { benchOneEdit(b, false) })
}

// benchOneEdit measures rebuilds after the newest post was edited.
func benchOneEdit(b *testing.B, watch bool) {
	rb, dir := benchRebuilder(b, watch)
	newest := newestPost(b, dir)
	path := filepath.Join(dir, filepath.FromSlash(newest))
	orig, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		n++
		edited := append(append([]byte{}, orig...), fmt.Sprintf("\nEdit %d.\n", n)...)
		if err := os.WriteFile(path, edited, 0o644); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := rb.Rebuild(context.Background(), "schedule"); err != nil {
			b.Fatal(err)
		}
		if st := rb.Server.Status(); st.Last.Counts == nil || st.Last.Counts.Changed == 0 {
			b.Fatal("the edit changed no document")
		}
	}
}

// reportLive reports the heap that stays live after serve's first build
// (documents, cache, plan), and writes a heap profile of it to
// SYNDICATE_BENCH_HEAPPROFILE when that is set.
func reportLive(b *testing.B) {
	b.Helper()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "live-MiB")
	if path := os.Getenv("SYNDICATE_BENCH_HEAPPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if err := pprof.WriteHeapProfile(f); err != nil {
			b.Fatal(err)
		}
	}
}

// newestPost is the path of the post every feed that lists it shows first.
func newestPost(b *testing.B, dir string) string {
	b.Helper()
	sc, err := source.NewScanner(dir, source.Config{SiteURL: "https://example.org/"})
	if err != nil {
		b.Fatal(err)
	}
	res, err := sc.Scan(context.Background(), source.ScanOptions{})
	if err != nil || len(res.Posts) == 0 {
		b.Fatalf("no posts in %s: %v", dir, err)
	}
	return res.Posts[0].Path
}

// TestRebuildStalledIgnoringCancelIsAbandoned: a build that does not even
// return when cancelled is abandoned after the grace period with its
// pipeline; the next rebuild runs on a fresh one.
func TestRebuildStalledIgnoringCancelIsAbandoned(t *testing.T) {
	cfg, _ := writeConfig(t, "testdata/content", "")
	srv := server.New("", "", nil)
	rb, _ := newServeRebuilder(testSettings(t, cfg), "", srv, logtest.New(io.Discard))
	rb.Timeout, rb.Grace = 2*time.Second, 100*time.Millisecond
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	var calls atomic.Int32
	inner := rb.Build
	rb.Build = func(ctx context.Context, now time.Time) (*pipeline.Result, *feedgen.Snapshot, error) {
		if calls.Add(1) == 1 {
			<-release // deaf to ctx
		}
		return inner(ctx, now)
	}
	if err := rb.Rebuild(context.Background(), "start"); err == nil {
		t.Fatal("a stalled rebuild succeeded")
	}
	if st := srv.Status().Last; !st.Stalled || st.Result != "failed" {
		t.Fatalf("status %+v", st)
	}
	if err := rb.Rebuild(context.Background(), "schedule"); err != nil {
		t.Fatalf("the rebuild after an abandoned one: %v (%d calls) %+v", err, calls.Load(), srv.Status().Last)
	}
	if srv.Served() == nil || srv.Status().Last.Result != "ok" {
		t.Errorf("nothing served after recovery: %+v", srv.Status().Last)
	}
}
