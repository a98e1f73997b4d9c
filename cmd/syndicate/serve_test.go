package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

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

func TestConfigServerKeys(t *testing.T) {
	tests := []struct {
		yaml, wantErr string
	}{
		{"server:\n  listen: \":8080\"\n", ""},
		{"server:\n  listen: \"127.0.0.1:0\"\n", ""},
		{"server:\n  listen: \"[::]:8080\"\n", ""},
		{"server:\n  listen: \"8080\"\n", "server.listen"},
		{"server:\n  listen: \"host:http\"\n", "server.listen"},
		{"server:\n  listen: \":70000\"\n", "server.listen"},
		{"server:\n  cache_control: \"public\\r\\nX-Evil: 1\"\n", "server.cache_control"},
		{"server:\n  path_prefix: feeds\n", "server.path_prefix"},
		{"schedule: \"every five minutes\"\n", "schedule"},
		{"schedule: \"CRON_TZ=Europe/Berlin 0 6 * * *\"\n", ""},
		{"schedule: \"@hourly\"\n", ""},
	}
	for _, tc := range tests {
		t.Run(tc.yaml, func(t *testing.T) {
			path := t.TempDir() + "/config.yaml"
			os.WriteFile(path, []byte("site:\n  url: https://example.org/\n"+tc.yaml), 0o644)
			_, err := LoadConfig(path)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("error %v, want one naming %s", err, tc.wantErr)
			}
		})
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
	t.Cleanup(rb.stop)
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
		if err := rb.rebuild(context.Background(), "schedule"); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := srv.Status().Last.Unchanged; got != s.unchanged {
			t.Errorf("%s: unchanged = %v, want %v", s.name, got, s.unchanged)
		}
	}
}
