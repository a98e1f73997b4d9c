package outtree

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/syndicate/syndicate/internal/dirtest"
)

// preparingJob is a filesJob that records what Prepare was given and
// reverses it.
type preparingJob struct {
	*filesJob
	prepared []int
	refuse   error // returned by Prepare
}

func (j *preparingJob) Prepare(todo []int) error {
	j.prepared = slices.Clone(todo)
	slices.Reverse(todo)
	return j.refuse
}

// TestJoin: a joined job writes every job's files into one tree, reuses
// each job's unchanged files by that job's rule, and tells a Preparer its
// own share of the files in its own indices.
func TestJoin(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	a := &preparingJob{filesJob: newFilesJob(map[string]string{"feed.rss": "r", "tags/go/feed.rss": "g"})}
	b := newFilesJob(map[string]string{"index.html": "i", "tags/go/index.html": "p", "a.opml": "o"})
	ctx := context.Background()
	st, err := Write(ctx, dir, Join(a, b), Options{Workers: 2})
	if err != nil || st.Written != 5 {
		t.Fatalf("%+v, %v", st, err)
	}
	if got := fmt.Sprint(dirtest.Files(t, dir, MarkerName)); got != "map[a.opml:o feed.rss:r index.html:i tags/go/feed.rss:g tags/go/index.html:p]" {
		t.Errorf("tree %s", got)
	}
	if fmt.Sprint(a.prepared) != "[0 1]" {
		t.Errorf("prepared %v", a.prepared)
	}
	// One file of b changes: only it is written, and a prepares nothing.
	a2 := &preparingJob{filesJob: newFilesJob(a.bodies)}
	b2 := newFilesJob(map[string]string{"index.html": "i2", "tags/go/index.html": "p", "a.opml": "o"})
	st, err = Write(ctx, dir, Join(a2, b2), Options{Workers: 2})
	if err != nil || st.Written != 1 || st.Linked != 4 || b2.written.Load() != 1 || len(a2.prepared) != 0 {
		t.Fatalf("%+v, %v; b wrote %d, a prepared %v", st, err, b2.written.Load(), a2.prepared)
	}
	if dirtest.Files(t, dir, MarkerName)["index.html"] != "i2" {
		t.Error("changed file not written")
	}
	// A job that refuses in Prepare stops the write; the tree stays.
	a3 := &preparingJob{filesJob: newFilesJob(map[string]string{"feed.rss": "r3", "tags/go/feed.rss": "g"}), refuse: errors.New("over a limit")}
	if _, err := Write(ctx, dir, Join(a3, b2), Options{Workers: 2}); err == nil || err.Error() != "over a limit" {
		t.Errorf("a refusing job: %v", err)
	}
	if dirtest.Files(t, dir, MarkerName)["feed.rss"] != "r" {
		t.Error("a refused write changed the tree")
	}
	// Jobs claiming one path are refused.
	if _, err := Write(ctx, dir, Join(b2, newFilesJob(map[string]string{"index.html": "x"})), Options{Workers: 1}); err == nil {
		t.Error("a path listed twice was written")
	}
}
