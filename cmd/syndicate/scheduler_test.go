package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/syndicate/syndicate/feedgen"
	"github.com/syndicate/syndicate/pipeline"
	"github.com/syndicate/syndicate/server"
)

// syncBuffer is a bytes.Buffer safe for a logger and a test to share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func testLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// writeConfig writes a config.yaml for contentDir into a temp folder and
// loads it; extra is appended to the YAML.
func writeConfig(t testing.TB, contentDir, extra string) (*Config, string) {
	t.Helper()
	abs, err := filepath.Abs(contentDir)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	yaml := fmt.Sprintf("site:\n  title: Test site\n  url: https://example.org/\n  feeds_url: https://example.org/feeds/\n  language: en\ncontent_dir: %q\noutput_dir: public\n%s", abs, extra)
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return cfg, path
}

// copyContent copies testdata/content into a temp folder the test may edit.
func copyContent(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "content")
	err := os.CopyFS(dst, os.DirFS("testdata/content"))
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// buildFor is a build of cfg from scratch into memory.
func buildFor(cfg *Config) buildFunc {
	return func(ctx context.Context, now time.Time) (*pipeline.Result, *feedgen.Snapshot, error) {
		var mem pipeline.Memory
		st, err := cfg.settings(overrides{})
		if err != nil {
			return nil, nil, err
		}
		res, err := pipeline.New(st.pipeline).Build(ctx, now, &mem)
		return res, mem.Snapshot(), err
	}
}

// buildSnapshot is the snapshot of a build of cfg from scratch.
func buildSnapshot(t testing.TB, cfg *Config, now time.Time) (*pipeline.Result, *feedgen.Snapshot) {
	t.Helper()
	res, snap, err := buildFor(cfg)(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	return res, snap
}

func TestRebuildWithIdenticalInputKeepsDocuments(t *testing.T) {
	cfg, _ := writeConfig(t, "testdata/content", "")
	srv := server.New("", "public, max-age=300", nil)
	rb := newRebuilder(buildFor(cfg), srv, testLogger(io.Discard), "")
	ctx := context.Background()
	if err := rb.rebuild(ctx, "start"); err != nil {
		t.Fatal(err)
	}
	set1 := srv.Served()
	if set1.Len() != 15 {
		t.Fatalf("%d documents, want 15 (5 feeds × 3 formats)", set1.Len())
	}
	first := do(srv, "GET", "/feed.rss", "Accept-Encoding", "gzip")
	docs := map[string]any{}
	for p, d := range set1.All() {
		docs[p] = d
	}

	if err := rb.rebuild(ctx, "sighup"); err != nil {
		t.Fatal(err)
	}
	set2 := srv.Served()
	for p, d := range set1.All() {
		if set2.Doc(p) != d {
			t.Errorf("%s: an identical rebuild replaced the served document", p)
		}
	}
	if set2.Len() != set1.Len() {
		t.Errorf("identical rebuild: %d documents, was %d", set2.Len(), set1.Len())
	}
	for p, d := range set2.All() {
		if docs[p] != any(d) {
			t.Errorf("%s: Document replaced by an identical rebuild", p)
		}
	}
	again := do(srv, "GET", "/feed.rss", "Accept-Encoding", "gzip")
	if again.Header().Get("ETag") != first.Header().Get("ETag") ||
		again.Header().Get("Last-Modified") != first.Header().Get("Last-Modified") ||
		set2 != set1 {
		t.Error("validators or gzip variant changed (the served set was replaced)")
	}
	st := srv.Status()
	if st.Last.Trigger != "sighup" || st.Last.Result != "ok" || st.Last.Counts.Changed != 0 || st.Last.Counts.Posts != 2 {
		t.Errorf("status %+v %+v", st.Last, st.Last.Counts)
	}
}

// TestSelfLinksIgnoreHost: documents are bytes from the config's URLs;
// no request header reaches them.
func TestSelfLinksIgnoreHost(t *testing.T) {
	cfg, _ := writeConfig(t, "testdata/content", "")
	srv := server.New("", "", nil)
	rb := newRebuilder(buildFor(cfg), srv, testLogger(io.Discard), "")
	if err := rb.rebuild(context.Background(), "start"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/feed.rss", "/feed.atom", "/feed.json"} {
		w := do(srv, "GET", p, "Host", "evil.example", "X-Forwarded-Host", "evil.example", "X-Forwarded-Proto", "gopher", "Forwarded", "host=evil.example")
		body := w.Body.String()
		if w.Code != 200 || strings.Contains(body, "evil") || strings.Contains(body, "gopher") || !strings.Contains(body, "https://example.org/feeds"+p) {
			t.Errorf("%s: self link not from config:\n%.400s", p, body)
		}
	}
}

func TestFailedRebuildKeepsLastGoodSet(t *testing.T) {
	content := copyContent(t)
	cfg, _ := writeConfig(t, content, "")
	srv := server.New("/feeds", "", nil)
	var logs syncBuffer
	rb := newRebuilder(buildFor(cfg), srv, testLogger(&logs), "")
	ctx := context.Background()
	if err := rb.rebuild(ctx, "start"); err != nil {
		t.Fatal(err)
	}
	before := do(srv, "GET", "/feeds/feed.atom")
	set := srv.Served()

	if err := os.Rename(content, content+".moved"); err != nil {
		t.Fatal(err)
	}
	if err := rb.rebuild(ctx, "schedule"); err == nil {
		t.Fatal("rebuild without a content folder succeeded")
	}
	if srv.Served() != set {
		t.Error("failed rebuild replaced the served set")
	}
	after := do(srv, "GET", "/feeds/feed.atom")
	if after.Code != 200 || after.Body.String() != before.Body.String() || after.Header().Get("ETag") != before.Header().Get("ETag") {
		t.Errorf("feed changed after a failed rebuild: %d", after.Code)
	}
	ready := do(srv, "GET", "/feeds/readyz")
	if ready.Code != 200 || !strings.Contains(ready.Body.String(), `"result": "failed"`) ||
		!strings.Contains(ready.Body.String(), "content directory") || !strings.Contains(ready.Body.String(), `"last_success"`) {
		t.Errorf("readyz after a failed rebuild: %d\n%s", ready.Code, ready.Body)
	}
	if !strings.Contains(logs.String(), "rebuild failed") || !strings.Contains(logs.String(), "content directory") {
		t.Errorf("failure not logged with its reason:\n%s", logs.String())
	}

	// Back, with one post edited: the next rebuild recovers and changes
	// the documents that list it.
	if err := os.Rename(content+".moved", content); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(content, "posts", "second.md")
	b, _ := os.ReadFile(p)
	os.WriteFile(p, bytes.Replace(b, []byte("The second post."), []byte("The second post, edited."), 1), 0o644)
	if err := rb.rebuild(ctx, "schedule"); err != nil {
		t.Fatal(err)
	}
	st := srv.Status().Last
	if st.Result != "ok" || st.Counts.Changed == 0 || st.Counts.Changed == st.Counts.Documents {
		t.Errorf("after the edit: %+v %+v", st, st.Counts)
	}
	if w := do(srv, "GET", "/feeds/feed.atom"); w.Header().Get("ETag") == before.Header().Get("ETag") {
		t.Error("edited post did not change feed.atom's ETag")
	}
	if w := do(srv, "GET", "/feeds/tags/%E6%97%A5%E6%9C%AC%E8%AA%9E/feed.atom"); srv.Served().Doc("tags/日本語/feed.atom") != set.Doc("tags/日本語/feed.atom") || w.Code != 200 {
		t.Error("a feed not listing the edited post was replaced")
	}
}

func TestFuturePostAppearsAtFirstRunAfterItsTime(t *testing.T) {
	cfg, _ := writeConfig(t, "testdata/content", "")
	srv := server.New("", "", nil)
	rb := newRebuilder(buildFor(cfg), srv, testLogger(io.Discard), "")
	due := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	rb.now = func() time.Time { return due.Add(-time.Minute) }
	ctx := context.Background()
	if err := rb.rebuild(ctx, "schedule"); err != nil {
		t.Fatal(err)
	}
	if w := do(srv, "GET", "/feed.rss"); strings.Contains(w.Body.String(), "Future post") {
		t.Fatal("future post published early")
	}
	rb.now = func() time.Time { return due.Add(time.Minute) }
	if err := rb.rebuild(ctx, "schedule"); err != nil {
		t.Fatal(err)
	}
	if w := do(srv, "GET", "/feed.rss"); !strings.Contains(w.Body.String(), "Future post") {
		t.Fatal("future post missing after its time")
	}
}

func TestRebuildPanicIsRecovered(t *testing.T) {
	srv := server.New("", "", nil)
	var calls atomic.Int32
	rb := newRebuilder(func(ctx context.Context, now time.Time) (*pipeline.Result, *feedgen.Snapshot, error) {
		if calls.Add(1) == 1 {
			panic("boom")
		}
		return &pipeline.Result{}, stubSnapshot(), nil
	}, srv, testLogger(io.Discard), "")
	err := rb.rebuild(context.Background(), "sighup")
	if err == nil || !strings.Contains(err.Error(), "panicked: boom") {
		t.Fatalf("err = %v", err)
	}
	if st := srv.Status().Last; st.Result != "failed" {
		t.Errorf("status %+v", st)
	}
	if err := rb.rebuild(context.Background(), "sighup"); err != nil {
		t.Fatalf("rebuild after a panic: %v", err)
	}
	if srv.Served() == nil {
		t.Error("nothing served after recovery")
	}
}

// TestJobChainRecoversPanics runs a panicking job through the scheduler's
// chain several times: each run must happen. The reversed chain shows the
// cron v3.0.1 behaviour the order guards against.
func TestJobChainRecoversPanics(t *testing.T) {
	l := cronLogger{testLogger(io.Discard)}
	run := func(wrappers []cron.JobWrapper) int {
		var runs int
		job := cron.NewChain(wrappers...).Then(cron.FuncJob(func() {
			runs++
			panic("boom")
		}))
		for range 3 {
			func() {
				defer func() { recover() }() // the reversed chain re-panics nowhere, but be safe
				job.Run()
			}()
		}
		return runs
	}
	if got := run(jobWrappers(l)); got != 3 {
		t.Errorf("scheduler chain: %d of 3 runs happened", got)
	}
	w := jobWrappers(l)
	if got := run([]cron.JobWrapper{w[1], w[0]}); got != 1 {
		t.Errorf("reversed chain: %d runs; expected the wedge (1 run) this order is there to avoid", got)
	}
}

// everySchedule fires every d, below cron's one-second @every floor.
type everySchedule time.Duration

func (e everySchedule) Next(t time.Time) time.Time { return t.Add(time.Duration(e)) }

func TestSchedulerKeepsRunningAfterPanics(t *testing.T) {
	srv := server.New("", "", nil)
	var calls atomic.Int32
	rb := newRebuilder(func(ctx context.Context, now time.Time) (*pipeline.Result, *feedgen.Snapshot, error) {
		if calls.Add(1) <= 2 {
			panic("scheduled boom")
		}
		return &pipeline.Result{}, stubSnapshot(), nil
	}, srv, testLogger(io.Discard), "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := startScheduler(ctx, everySchedule(5*time.Millisecond), rb, testLogger(io.Discard))
	deadline := time.Now().Add(5 * time.Second)
	for calls.Load() < 5 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	<-c.Stop().Done()
	if calls.Load() < 5 {
		t.Fatalf("only %d scheduled runs after two panics", calls.Load())
	}
	if srv.Served() == nil || srv.Status().Last.Trigger != "schedule" {
		t.Error("no successful scheduled rebuild")
	}
}

// TestRebuildsNeverOverlap fires the schedule, SIGHUPs and direct calls at
// once; the build must never run twice at the same time.
func TestRebuildsNeverOverlap(t *testing.T) {
	srv := server.New("", "", nil)
	var active, maxActive, calls atomic.Int32
	rb := newRebuilder(func(ctx context.Context, now time.Time) (*pipeline.Result, *feedgen.Snapshot, error) {
		n := active.Add(1)
		defer active.Add(-1)
		for {
			m := maxActive.Load()
			if n <= m || maxActive.CompareAndSwap(m, n) {
				break
			}
		}
		calls.Add(1)
		time.Sleep(time.Millisecond)
		return &pipeline.Result{}, stubSnapshot(), nil
	}, srv, testLogger(io.Discard), "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := startScheduler(ctx, everySchedule(time.Millisecond), rb, testLogger(io.Discard))
	hup := make(chan os.Signal, 1)
	hupDone := make(chan struct{})
	go func() { defer close(hupDone); rebuildOnSignal(ctx, hup, rb) }()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 20 {
			select {
			case hup <- os.Interrupt:
			default:
			}
			time.Sleep(time.Millisecond)
		}
	}()
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				rb.rebuild(ctx, "sighup")
			}
		}()
	}
	wg.Wait()
	<-c.Stop().Done()
	cancel()
	<-hupDone
	if maxActive.Load() != 1 {
		t.Errorf("%d rebuilds ran at once", maxActive.Load())
	}
	if calls.Load() < 25 {
		t.Errorf("only %d rebuilds ran", calls.Load())
	}
}

// TestSighupWaitsForRunningRebuild: a SIGHUP during a scheduled rebuild is
// not dropped; it runs once that rebuild has finished.
func TestSighupWaitsForRunningRebuild(t *testing.T) {
	srv := server.New("", "", nil)
	release := make(chan struct{})
	started := make(chan string, 4)
	var active atomic.Int32
	rb := newRebuilder(func(ctx context.Context, now time.Time) (*pipeline.Result, *feedgen.Snapshot, error) {
		if active.Add(1) != 1 {
			t.Error("overlapping rebuilds")
		}
		defer active.Add(-1)
		started <- "build"
		<-release
		return &pipeline.Result{}, stubSnapshot(), nil
	}, srv, testLogger(io.Discard), "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go rb.rebuild(ctx, "schedule")
	<-started
	hup := make(chan os.Signal, 1)
	hupDone := make(chan struct{})
	go func() { defer close(hupDone); rebuildOnSignal(ctx, hup, rb) }()
	hup <- os.Interrupt
	select {
	case <-started:
		t.Fatal("SIGHUP rebuild started while the scheduled one was running")
	case <-time.After(50 * time.Millisecond):
	}
	release <- struct{}{} // finish the scheduled rebuild
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("SIGHUP rebuild never ran")
	}
	release <- struct{}{}
	deadline := time.Now().Add(5 * time.Second)
	for (srv.Status() == nil || srv.Status().Last.Trigger != "sighup") && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if st := srv.Status(); st == nil || st.Last.Trigger != "sighup" {
		t.Error("last rebuild is not the SIGHUP one")
	}
	cancel()
	<-hupDone
}

func TestRebuildCancelledIsNotAFailure(t *testing.T) {
	srv := server.New("", "", nil)
	ctx, cancel := context.WithCancel(context.Background())
	rb := newRebuilder(func(ctx context.Context, now time.Time) (*pipeline.Result, *feedgen.Snapshot, error) {
		cancel()
		return nil, nil, ctx.Err()
	}, srv, testLogger(io.Discard), "")
	if err := rb.rebuild(ctx, "schedule"); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if srv.Status() != nil {
		t.Error("a cancelled rebuild was recorded")
	}
}

func TestWriteOutput(t *testing.T) {
	cfg, _ := writeConfig(t, "testdata/content", "")
	out := filepath.Join(t.TempDir(), "public")
	srv := server.New("", "", nil)
	rb := newRebuilder(buildFor(cfg), srv, testLogger(io.Discard), out)
	ctx := context.Background()
	if err := rb.rebuild(ctx, "start"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, "tags", "日本語", "feed.rss"))
	if err != nil || !bytes.Equal(b, docBytes(t, srv.Served().Doc("tags/日本語/feed.rss"))) {
		t.Fatalf("output folder does not hold the served document: %v", err)
	}
	info1, _ := os.Stat(out)
	if err := rb.rebuild(ctx, "schedule"); err != nil {
		t.Fatal(err)
	}
	info2, _ := os.Stat(out)
	if !os.SameFile(info1, info2) {
		t.Error("an unchanged rebuild rewrote the output folder")
	}

	// A folder syndicate does not own cannot be replaced: the build is
	// still served and the failure reported.
	foreign := t.TempDir()
	os.WriteFile(filepath.Join(foreign, "index.html"), []byte("hi"), 0o644)
	srv2 := server.New("", "", nil)
	rb2 := newRebuilder(buildFor(cfg), srv2, testLogger(io.Discard), foreign)
	if err := rb2.rebuild(ctx, "start"); err != nil {
		t.Fatal(err)
	}
	if st := srv2.Status().Last; st.Result != "ok" || st.OutputError == "" || srv2.Served() == nil {
		t.Errorf("status %+v", st)
	}
}
