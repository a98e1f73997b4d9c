package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/syndicate/syndicate/server"
)

// startServe runs `syndicate serve` in-process on a free port and returns
// its base URL, its log and a stop function that cancels it (as SIGTERM
// would) and returns the exit code.
func startServe(t *testing.T, args ...string) (base string, logs *syncBuffer, stop func() int) {
	t.Helper()
	logs = new(syncBuffer)
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

func waitLog(t *testing.T, logs *syncBuffer, substr string) {
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
	logs := new(syncBuffer)
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
	rb, _ := newServeRebuilder(testSettings(t, cfg), "", srv, testLogger(io.Discard))
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
	logs  *syncBuffer
	mu    sync.Mutex
	state map[string]chan struct{} // by client address: closed when the server closes the conn
}

func startHardServer(t *testing.T, limits server.Timeouts, built bool) *hardServer {
	t.Helper()
	h := &hardServer{srv: server.New("", "public, max-age=300", nil), logs: new(syncBuffer), state: map[string]chan struct{}{}}
	if built {
		cfg, _ := writeConfig(t, "testdata/content", "")
		rb, _ := newServeRebuilder(testSettings(t, cfg), "", h.srv, testLogger(io.Discard))
		t.Cleanup(rb.Close)
		mustDo(t, rb.Rebuild(context.Background(), "start"))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	log := testLogger(h.logs)
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
