package rebuild

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syndicate/syndicate/feedgen"
	"github.com/syndicate/syndicate/internal/handlertest"
	"github.com/syndicate/syndicate/internal/logtest"
	"github.com/syndicate/syndicate/pipeline"
	"github.com/syndicate/syndicate/server"
)

func TestRebuildWithIdenticalInputKeepsDocuments(t *testing.T) {
	srv := server.New("", "public, max-age=300", nil)
	rb := New(pipelineBuild("testdata/content"), srv, discard, "")
	ctx := context.Background()
	if err := rb.Rebuild(ctx, "start"); err != nil {
		t.Fatal(err)
	}
	set1 := srv.Served()
	if set1.Len() != 26 {
		t.Fatalf("%d documents, want 26 (5 feeds × 3 formats, a page per feed but the site's, the index page, the OPML file and a discovery snippet per feed)", set1.Len())
	}
	first := handlertest.Do(srv, "GET", "/feed.rss", "Accept-Encoding", "gzip")
	docs := map[string]any{}
	for p, d := range set1.All() {
		docs[p] = d
	}

	if err := rb.Rebuild(ctx, "sighup"); err != nil {
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
	again := handlertest.Do(srv, "GET", "/feed.rss", "Accept-Encoding", "gzip")
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

func TestFailedRebuildKeepsLastGoodSet(t *testing.T) {
	content := copyContent(t)
	srv := server.New("/feeds", "", nil)
	var logs bytes.Buffer // the rebuilds below run on this goroutine
	rb := New(pipelineBuild(content), srv, logtest.New(&logs), "")
	ctx := context.Background()
	if err := rb.Rebuild(ctx, "start"); err != nil {
		t.Fatal(err)
	}
	before := handlertest.Do(srv, "GET", "/feeds/feed.atom")
	set := srv.Served()

	if err := os.Rename(content, content+".moved"); err != nil {
		t.Fatal(err)
	}
	if err := rb.Rebuild(ctx, "schedule"); err == nil {
		t.Fatal("rebuild without a content folder succeeded")
	}
	if srv.Served() != set {
		t.Error("failed rebuild replaced the served set")
	}
	after := handlertest.Do(srv, "GET", "/feeds/feed.atom")
	if after.Code != 200 || after.Body.String() != before.Body.String() || after.Header().Get("ETag") != before.Header().Get("ETag") {
		t.Errorf("feed changed after a failed rebuild: %d", after.Code)
	}
	ready := handlertest.Do(srv, "GET", "/feeds/readyz")
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
	if err := rb.Rebuild(ctx, "schedule"); err != nil {
		t.Fatal(err)
	}
	st := srv.Status().Last
	if st.Result != "ok" || st.Counts.Changed == 0 || st.Counts.Changed == st.Counts.Documents {
		t.Errorf("after the edit: %+v %+v", st, st.Counts)
	}
	if w := handlertest.Do(srv, "GET", "/feeds/feed.atom"); w.Header().Get("ETag") == before.Header().Get("ETag") {
		t.Error("edited post did not change feed.atom's ETag")
	}
	if w := handlertest.Do(srv, "GET", "/feeds/tags/%E6%97%A5%E6%9C%AC%E8%AA%9E/feed.atom"); srv.Served().Doc("tags/日本語/feed.atom") != set.Doc("tags/日本語/feed.atom") || w.Code != 200 {
		t.Error("a feed not listing the edited post was replaced")
	}
}

func TestFuturePostAppearsAtFirstRunAfterItsTime(t *testing.T) {
	srv := server.New("", "", nil)
	rb := New(pipelineBuild("testdata/content"), srv, discard, "")
	due := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	rb.Now = func() time.Time { return due.Add(-time.Minute) }
	ctx := context.Background()
	if err := rb.Rebuild(ctx, "schedule"); err != nil {
		t.Fatal(err)
	}
	if w := handlertest.Do(srv, "GET", "/feed.rss"); strings.Contains(w.Body.String(), "Future post") {
		t.Fatal("future post published early")
	}
	rb.Now = func() time.Time { return due.Add(time.Minute) }
	if err := rb.Rebuild(ctx, "schedule"); err != nil {
		t.Fatal(err)
	}
	if w := handlertest.Do(srv, "GET", "/feed.rss"); !strings.Contains(w.Body.String(), "Future post") {
		t.Fatal("future post missing after its time")
	}
}

func TestRebuildPanicIsRecovered(t *testing.T) {
	srv := server.New("", "", nil)
	var calls atomic.Int32
	rb := New(func(ctx context.Context, now time.Time) (*pipeline.Result, *feedgen.Snapshot, error) {
		if calls.Add(1) == 1 {
			panic("boom")
		}
		return &pipeline.Result{}, stubSnapshot(), nil
	}, srv, discard, "")
	err := rb.Rebuild(context.Background(), "sighup")
	if err == nil || !strings.Contains(err.Error(), "panicked: boom") {
		t.Fatalf("err = %v", err)
	}
	if st := srv.Status().Last; st.Result != "failed" {
		t.Errorf("status %+v", st)
	}
	if err := rb.Rebuild(context.Background(), "sighup"); err != nil {
		t.Fatalf("rebuild after a panic: %v", err)
	}
	if srv.Served() == nil {
		t.Error("nothing served after recovery")
	}
}

// TestRebuildsNeverOverlap fires the schedule, SIGHUPs and direct calls at
// once; the build must never run twice at the same time.
func TestRebuildsNeverOverlap(t *testing.T) {
	srv := server.New("", "", nil)
	var active, maxActive, calls atomic.Int32
	rb := New(func(ctx context.Context, now time.Time) (*pipeline.Result, *feedgen.Snapshot, error) {
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
	}, srv, discard, "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := rb.Schedule(ctx, everySchedule(time.Millisecond))
	hup := make(chan os.Signal, 1)
	hupDone := make(chan struct{})
	go func() { defer close(hupDone); rb.OnSignal(ctx, hup) }()
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
				rb.Rebuild(ctx, "sighup")
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

func TestRebuildCancelledIsNotAFailure(t *testing.T) {
	srv := server.New("", "", nil)
	ctx, cancel := context.WithCancel(context.Background())
	rb := New(func(ctx context.Context, now time.Time) (*pipeline.Result, *feedgen.Snapshot, error) {
		cancel()
		return nil, nil, ctx.Err()
	}, srv, discard, "")
	if err := rb.Rebuild(ctx, "schedule"); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if srv.Status() != nil {
		t.Error("a cancelled rebuild was recorded")
	}
}

func TestWriteOutput(t *testing.T) {
	build := pipelineBuild("testdata/content")
	out := filepath.Join(t.TempDir(), "public")
	srv := server.New("", "", nil)
	rb := New(build, srv, discard, out)
	ctx := context.Background()
	if err := rb.Rebuild(ctx, "start"); err != nil {
		t.Fatal(err)
	}
	served, err := srv.Served().Doc("tags/日本語/feed.rss").Bytes()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, "tags", "日本語", "feed.rss"))
	if err != nil || !bytes.Equal(b, served) {
		t.Fatalf("output folder does not hold the served document: %v", err)
	}
	info1, _ := os.Stat(out)
	if err := rb.Rebuild(ctx, "schedule"); err != nil {
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
	rb2 := New(build, srv2, discard, foreign)
	if err := rb2.Rebuild(ctx, "start"); err != nil {
		t.Fatal(err)
	}
	if st := srv2.Status().Last; st.Result != "ok" || st.OutputError == "" || srv2.Served() == nil {
		t.Errorf("status %+v", st)
	}
}

// TestRebuildStalledIsCancelledAndTicksGoOn: the first scheduled
// rebuild blocks until its context is cancelled (as a read of a file that
// never ends would); it is cancelled after Timeout, recorded as failed
// and stalled with its start, and the next tick runs.
func TestRebuildStalledIsCancelledAndTicksGoOn(t *testing.T) {
	srv := server.New("", "", nil)
	var logs logtest.Buffer
	rb := New(pipelineBuild("testdata/content"), srv, logtest.New(&logs), "")
	t.Cleanup(rb.Close)
	// Long enough for a real build on a loaded machine under -race.
	rb.Timeout = 2 * time.Second
	var calls atomic.Int32
	inner := rb.Build
	rb.Build = func(ctx context.Context, now time.Time) (*pipeline.Result, *feedgen.Snapshot, error) {
		if calls.Add(1) == 1 {
			<-ctx.Done() // the hook in the builder's input: blocks until cancelled
			return nil, nil, fmt.Errorf("read post: %w", ctx.Err())
		}
		return inner(ctx, now)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	before := time.Now()
	c := rb.Schedule(ctx, everySchedule(20*time.Millisecond))
	defer func() { cancel(); <-c.Stop().Done() }()
	var stalled *server.Report
	deadline := time.Now().Add(30 * time.Second)
	for {
		if st := srv.Status(); st != nil {
			if st.Last.Stalled {
				stalled = st.Last
			}
			if stalled != nil && st.LastOK != nil {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no successful rebuild after the stalled one; status %+v, stalled %+v; log:\n%s", srv.Status(), stalled, logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if stalled.Result != "failed" || stalled.Time.Before(before) || !strings.Contains(stalled.Error, "rebuild_timeout") {
		t.Errorf("stalled report %+v", stalled)
	}
	if !strings.Contains(logs.String(), "rebuild stalled and was cancelled") {
		t.Errorf("the stall was not logged:\n%s", logs.String())
	}
	w := handlertest.Do(srv, "GET", "/readyz")
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"result": "ok"`) {
		t.Errorf("/readyz %d:\n%s", w.Code, w.Body)
	}
}

// TestAbandonedBuildIsRetired: a build deaf to its cancellation is
// abandoned after the grace period and Renew gives the next build a fresh
// pipeline; what Renew returned releases the old one only once the
// abandoned build has returned, never while it may still use it.
func TestAbandonedBuildIsRetired(t *testing.T) {
	srv := server.New("", "", nil)
	release := make(chan struct{})
	returned := make(chan struct{})
	var calls atomic.Int32
	rb := New(func(ctx context.Context, now time.Time) (*pipeline.Result, *feedgen.Snapshot, error) {
		if calls.Add(1) == 1 {
			<-release // deaf to ctx
			defer close(returned)
			return nil, nil, ctx.Err()
		}
		return &pipeline.Result{}, stubSnapshot(), nil
	}, srv, discard, "")
	rb.Timeout, rb.Grace = 50*time.Millisecond, 50*time.Millisecond
	var renewed atomic.Int32
	retired := make(chan struct{})
	rb.Renew = func() func() {
		renewed.Add(1)
		return func() {
			select {
			case <-returned:
			default:
				t.Error("the old pipeline was released while the abandoned build still ran")
			}
			close(retired)
		}
	}
	if err := rb.Rebuild(context.Background(), "start"); err == nil {
		t.Fatal("a stalled rebuild succeeded")
	}
	if renewed.Load() != 1 {
		t.Fatalf("Renew called %d times, want 1", renewed.Load())
	}
	if err := rb.Rebuild(context.Background(), "schedule"); err != nil {
		t.Fatalf("the rebuild after an abandoned one: %v", err)
	}
	// A release that did not wait for the abandoned build would have run
	// by now; give it the time to show.
	time.Sleep(100 * time.Millisecond)
	select {
	case <-retired:
		t.Fatal("retired before the abandoned build returned")
	default:
	}
	close(release)
	select {
	case <-retired:
	case <-time.After(10 * time.Second):
		t.Fatal("the abandoned build returned but its pipeline was never released")
	}
}
