package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/syndicate/syndicate/server"
)

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
	cfg                            *Config
	srv                            *server.Handler
	rb                             *rebuilder
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
	t.Cleanup(e.rb.stop)
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
		w := do(e.srv, "GET", "/feeds/"+escapePath(p))
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

// treeFiles reads every file under dir, by slash path.
func treeFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkDiskMatchesServed: the output folder holds exactly the served
// documents (and the ownership marker).
func (e *faultEnv) checkDiskMatchesServed(t *testing.T) {
	t.Helper()
	files := treeFiles(t, e.out)
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
	w := do(e.srv, "GET", "/feeds/readyz")
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
			mustDo(t, e.rb.rebuild(ctx, "start"))
			before := e.etags(t)
			set := e.srv.Served()
			disk := treeFiles(t, e.out)
			e.checkDiskMatchesServed(t)

			f.break_(t, e)
			err := e.rb.rebuild(ctx, "schedule")
			if err == nil {
				t.Fatal("rebuild succeeded despite the fault")
			}
			if e.srv.Served() != set {
				t.Error("the failed rebuild replaced the served set")
			}
			if got := e.etags(t); !equalMaps(got, before) {
				t.Errorf("ETags changed after a failed rebuild:\n%v\n%v", before, got)
			}
			if got := treeFiles(t, e.out); !equalMaps(got, disk) {
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
			if e.rb.rebuild(ctx, "schedule") == nil || e.srv.Served() != set {
				t.Error("second rebuild during the fault")
			}

			// The cause goes away (with an edit made meanwhile): the next
			// scheduled rebuild recovers on its own.
			f.fix(t, e)
			e.editPost(t, "after the fault")
			mustDo(t, e.rb.rebuild(ctx, "schedule"))
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
			mustDo(t, e.rb.rebuild(ctx, "start"))
			disk := treeFiles(t, e.out)
			e.checkDiskMatchesServed(t)
			before := e.etags(t)

			e.editPost(t, "during the fault")
			f.break_(t, e)
			err := e.rb.rebuild(ctx, "schedule")
			f.fix(t, e) // at once: the checks below write files
			if err != nil {
				t.Fatalf("rebuild: %v", err)
			}
			now := e.etags(t)
			if now["feed.rss"] == before["feed.rss"] {
				t.Error("the good build was not served")
			}
			if got := treeFiles(t, e.out); !equalMaps(got, disk) {
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
			mustDo(t, e.rb.rebuild(ctx, "schedule"))
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
