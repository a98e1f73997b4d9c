package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syndicate/syndicate/config"
	"github.com/syndicate/syndicate/feedgen"
	"github.com/syndicate/syndicate/internal/dirtest"
	"github.com/syndicate/syndicate/internal/handlertest"
	"github.com/syndicate/syndicate/pipeline"
	"github.com/syndicate/syndicate/rebuild"
	"github.com/syndicate/syndicate/server"
	"github.com/syndicate/syndicate/source"
)

func TestRebuildWithIdenticalInputKeepsDocuments(t *testing.T) {
	cfg, _ := writeConfig(t, "testdata/content", "")
	srv := server.New("", "public, max-age=300", nil)
	rb := rebuild.New(buildFor(cfg), srv, testLogger(io.Discard), "")
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

// TestSelfLinksIgnoreHost: documents are bytes from the config's URLs;
// no request header reaches them.
func TestSelfLinksIgnoreHost(t *testing.T) {
	cfg, _ := writeConfig(t, "testdata/content", "")
	srv := server.New("", "", nil)
	rb := rebuild.New(buildFor(cfg), srv, testLogger(io.Discard), "")
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

func TestFailedRebuildKeepsLastGoodSet(t *testing.T) {
	content := copyContent(t)
	cfg, _ := writeConfig(t, content, "")
	srv := server.New("/feeds", "", nil)
	var logs syncBuffer
	rb := rebuild.New(buildFor(cfg), srv, testLogger(&logs), "")
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
	cfg, _ := writeConfig(t, "testdata/content", "")
	srv := server.New("", "", nil)
	rb := rebuild.New(buildFor(cfg), srv, testLogger(io.Discard), "")
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
	rb := rebuild.New(func(ctx context.Context, now time.Time) (*pipeline.Result, *feedgen.Snapshot, error) {
		if calls.Add(1) == 1 {
			panic("boom")
		}
		return &pipeline.Result{}, stubSnapshot(), nil
	}, srv, testLogger(io.Discard), "")
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
	rb := rebuild.New(func(ctx context.Context, now time.Time) (*pipeline.Result, *feedgen.Snapshot, error) {
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
	rb := rebuild.New(func(ctx context.Context, now time.Time) (*pipeline.Result, *feedgen.Snapshot, error) {
		cancel()
		return nil, nil, ctx.Err()
	}, srv, testLogger(io.Discard), "")
	if err := rb.Rebuild(ctx, "schedule"); !errors.Is(err, context.Canceled) {
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
	rb := rebuild.New(buildFor(cfg), srv, testLogger(io.Discard), out)
	ctx := context.Background()
	if err := rb.Rebuild(ctx, "start"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, "tags", "日本語", "feed.rss"))
	if err != nil || !bytes.Equal(b, docBytes(t, srv.Served().Doc("tags/日本語/feed.rss"))) {
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
	rb2 := rebuild.New(buildFor(cfg), srv2, testLogger(io.Discard), foreign)
	if err := rb2.Rebuild(ctx, "start"); err != nil {
		t.Fatal(err)
	}
	if st := srv2.Status().Last; st.Result != "ok" || st.OutputError == "" || srv2.Served() == nil {
		t.Errorf("status %+v", st)
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
	logs                           *syncBuffer
}

func newFaultEnv(t *testing.T) *faultEnv {
	t.Helper()
	e := &faultEnv{content: copyContent(t), logs: new(syncBuffer)}
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
	e.rb, _ = newServeRebuilder(testSettings(t, e.cfg), "", e.srv, testLogger(e.logs))
	t.Cleanup(e.rb.Close)
	return e
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

type contentFault struct {
	name        string
	break_, fix func(t *testing.T, e *faultEnv)
	reason      string // in the error /readyz shows
}

func contentFaults() []contentFault {
	return []contentFault{
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

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestRebuildFaultsInContent(t *testing.T) {
	ctx := context.Background()
	for _, f := range contentFaults() {
		t.Run(f.name, func(t *testing.T) {
			e := newFaultEnv(t)
			mustDo(t, e.rb.Rebuild(ctx, "start"))
			before := e.etags(t)
			set := e.srv.Served()
			disk := dirtest.Files(t, e.out)
			e.checkDiskMatchesServed(t)

			f.break_(t, e)
			err := e.rb.Rebuild(ctx, "schedule")
			if err == nil {
				t.Fatal("rebuild succeeded despite the fault")
			}
			if e.srv.Served() != set {
				t.Error("the failed rebuild replaced the served set")
			}
			if got := e.etags(t); !equalMaps(got, before) {
				t.Errorf("ETags changed after a failed rebuild:\n%v\n%v", before, got)
			}
			if got := dirtest.Files(t, e.out); !equalMaps(got, disk) {
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

type outputFault struct {
	name        string
	break_, fix func(t *testing.T, e *faultEnv)
	reason      string
}

func outputFaults() []outputFault {
	return []outputFault{
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
			mustDo(t, e.rb.Rebuild(ctx, "start"))
			disk := dirtest.Files(t, e.out)
			e.checkDiskMatchesServed(t)
			before := e.etags(t)

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
			if got := dirtest.Files(t, e.out); !equalMaps(got, disk) {
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

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
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
	var logs syncBuffer
	rb := rebuild.New(ledger.wrap(buildFor(cfg)), srv, testLogger(&logs), "")
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

// gzipETag is the validator serve gives a document's gzip variant: the
// identity ETag with -gz before its closing quote.
func gzipETag(etag string) string {
	return strings.TrimSuffix(etag, `"`) + `-gz"`
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
	rb, _ := newServeRebuilder(st, "", srv, testLogger(io.Discard))
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

// TestRebuildStalledIsCancelledAndTicksGoOn: serve's first scheduled
// rebuild blocks until its context is cancelled (as a read of a file that
// never ends would); it is cancelled after server.rebuild_timeout,
// recorded as failed and stalled with its start, and the next tick runs.
func TestRebuildStalledIsCancelledAndTicksGoOn(t *testing.T) {
	cfg, _ := writeConfig(t, "testdata/content", "")
	srv := server.New("", "", nil)
	var logs syncBuffer
	rb, _ := newServeRebuilder(testSettings(t, cfg), "", srv, testLogger(&logs))
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

// TestRebuildStalledIgnoringCancelIsAbandoned: a build that does not even
// return when cancelled is abandoned after the grace period with its
// pipeline; the next rebuild runs on a fresh one.
func TestRebuildStalledIgnoringCancelIsAbandoned(t *testing.T) {
	cfg, _ := writeConfig(t, "testdata/content", "")
	srv := server.New("", "", nil)
	rb, _ := newServeRebuilder(testSettings(t, cfg), "", srv, testLogger(io.Discard))
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
