package outtree

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/syndicate/syndicate/internal/dirtest"
)

// filesJob writes files from memory; a file whose bytes and time match
// the previous tree's entry is reused.
type filesJob struct {
	paths    []string
	bodies   map[string]string
	modified time.Time
	written  atomic.Int64
}

func newFilesJob(bodies map[string]string) *filesJob {
	j := &filesJob{bodies: bodies, modified: time.Date(2024, 3, 5, 9, 0, 0, 0, time.UTC)}
	for p := range bodies {
		j.paths = append(j.paths, p)
	}
	sort.Strings(j.paths)
	return j
}

func (j *filesJob) Paths() []string { return j.paths }

func (j *filesJob) Reuse(i int, old Entry) (Entry, bool) {
	return old, old.Key == sha256.Sum256([]byte(j.bodies[j.paths[i]]))
}

func (j *filesJob) Write(_ context.Context, i int, full string) (Entry, error) {
	j.written.Add(1)
	p := j.paths[i]
	body := j.bodies[p]
	if err := WriteFile(full, []byte(body), j.modified); err != nil {
		return Entry{}, err
	}
	return Entry{Path: p, Key: sha256.Sum256([]byte(body)), ETag: `"x"`, Size: int64(len(body)), Modified: j.modified}, nil
}

func manyFiles(label string) map[string]string {
	m := map[string]string{}
	for i := range 20 {
		m[fmt.Sprintf("d%d/f%02d.txt", i%3, i)] = fmt.Sprintf("%s %d", label, i)
	}
	return m
}

// TestWrite writes a tree, writes it again unchanged (nothing written,
// the folder kept), then with one file changed (that one written, the
// others linked from the previous tree).
func TestWrite(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "public")
	bodies := manyFiles("a")
	st, err := Write(ctx, dir, newFilesJob(bodies), Options{Workers: 2, Version: 7})
	if err != nil || st.Written != 20 || st.Documents != 20 {
		t.Fatalf("first write: %+v, %v", st, err)
	}
	if m, err := ReadManifest(dir); err != nil || m.Version != 7 || len(m.Entries) != 20 {
		t.Fatalf("manifest %+v, %v", m, err)
	}
	before := dirtest.Inodes(t, dir, MarkerName)
	if st, err := Write(ctx, dir, newFilesJob(bodies), Options{Workers: 2}); err != nil || !st.Unchanged || st.Written != 0 {
		t.Fatalf("unchanged write: %+v, %v", st, err)
	}
	bodies["d1/f01.txt"] = "changed"
	st, err = Write(ctx, dir, newFilesJob(bodies), Options{Workers: 2})
	if err != nil || st.Written != 1 || st.Linked != 19 {
		t.Fatalf("one change: %+v, %v", st, err)
	}
	got := dirtest.Files(t, dir, MarkerName)
	for p, b := range bodies {
		if got[p] != b {
			t.Errorf("%s holds %q, want %q", p, got[p], b)
		}
	}
	after := dirtest.Inodes(t, dir, MarkerName)
	for p, ino := range before {
		if (after[p] == ino) != (p != "d1/f01.txt") {
			t.Errorf("%s: inode kept %v", p, after[p] == ino)
		}
	}
}

// TestWriteCopiesWhereLinksFail: where hard links are refused (for
// example across file systems) unchanged files are copied, once links
// are seen to fail, without trying again for every file.
func TestWriteCopiesWhereLinksFail(t *testing.T) {
	var tries atomic.Int64
	linkFile = func(a, b string) error {
		tries.Add(1)
		return &os.LinkError{Op: "link", Old: a, New: b, Err: syscall.EXDEV}
	}
	t.Cleanup(func() { linkFile = os.Link })
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "public")
	bodies := manyFiles("a")
	if _, err := Write(ctx, dir, newFilesJob(bodies), Options{Workers: 2}); err != nil {
		t.Fatal(err)
	}
	before := dirtest.Inodes(t, dir, MarkerName)
	bodies["d0/f00.txt"] = "edited"
	st, err := Write(ctx, dir, newFilesJob(bodies), Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	got := dirtest.Files(t, dir, MarkerName)
	for p, b := range bodies {
		if got[p] != b {
			t.Errorf("%s holds %q, want %q", p, got[p], b)
		}
	}
	if m, err := ReadManifest(dir); err != nil || len(m.Entries) != len(bodies) {
		t.Errorf("manifest %+v, %v", m, err)
	}
	if st.Linked != 0 || st.Copied == 0 || st.Written == 0 || st.Copied+st.Written != st.Documents {
		t.Errorf("stats %+v", st)
	}
	if n := tries.Load(); n > 8 {
		t.Errorf("%d links tried after the first failed", n)
	}
	for p, ino := range dirtest.Inodes(t, dir, MarkerName) {
		if before[p] == ino {
			t.Errorf("%s shares its inode with the previous tree", p)
		}
	}
}
