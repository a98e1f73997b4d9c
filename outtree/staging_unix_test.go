//go:build unix

package outtree

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCleanStaging: a build removes the staging folders that earlier
// builds of the same output left when they died (a new tree being
// written, or the previous tree after the swap), recognised by name and
// marker, and leaves alone those of live builds, of other outputs, and
// folders without the marker.
func TestCleanStaging(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "public")
	if _, err := Write(context.Background(), dir, newFilesJob(manyFiles("first")), Options{Workers: 2}); err != nil {
		t.Fatal(err)
	}
	mk := func(name string, marker bool) string {
		p := filepath.Join(parent, name)
		if err := os.MkdirAll(filepath.Join(p, "tags", "go"), 0o755); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(p, "tags", "go", "feed.rss"), []byte("<rss/>"), 0o644)
		if marker {
			os.WriteFile(filepath.Join(p, MarkerName), []byte(markerText), 0o644)
		}
		return p
	}
	mk(".public.new-1001", true) // a new tree, killed while written
	old := filepath.Join(parent, ".public.new-1002")
	if err := os.CopyFS(old, os.DirFS(dir)); err != nil { // the previous tree, killed before its removal
		t.Fatal(err)
	}
	stale := filepath.Join(parent, ".public.new-1008") // empty: killed before the marker
	fresh := filepath.Join(parent, ".public.new-1009") // empty: a build that just began
	for _, p := range []string{stale, fresh} {
		if err := os.Mkdir(p, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	past := time.Now().Add(-2 * staleEmpty)
	os.Chtimes(stale, past, past)
	live := mk(".public.new-1003", true)
	release := holdFolder(live) // a build still writing it
	defer release()
	kept := []string{
		mk(".public.new-1004", false), // no marker: not recognisably syndicate's
		mk(".other.new-1005", true),   // another output's
		mk(".public.old-1006", true),  // not a staging folder's name
		live,
		fresh,
	}
	os.Symlink(mk("elsewhere", true), filepath.Join(parent, ".public.new-1007")) // never followed
	kept = append(kept, filepath.Join(parent, ".public.new-1007"))

	st, err := Write(context.Background(), dir, newFilesJob(manyFiles("second")), Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if st.Cleaned != 3 {
		t.Errorf("Cleaned = %d, want 3", st.Cleaned)
	}
	for _, name := range []string{".public.new-1001", ".public.new-1002", ".public.new-1008"} {
		if _, err := os.Lstat(filepath.Join(parent, name)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s left behind (%v)", name, err)
		}
	}
	for _, p := range kept {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s removed: %v", filepath.Base(p), err)
		}
	}
	if _, err := os.Stat(filepath.Join(parent, "elsewhere", MarkerName)); err != nil {
		t.Errorf("a symlink's target was touched: %v", err)
	}
}

// TestStagingAfterKill: builds killed with SIGKILL at varied moments
// leave staging folders; the next build removes them all and publishes.
// The moments vary with the load: how many folders the kills leave is
// reported, not required, except that the next build leaves none.
func TestStagingAfterKill(t *testing.T) {
	if os.Getenv("OUTTREE_KILL_CHILD") != "" {
		killChild(os.Getenv("OUTTREE_KILL_CHILD"))
		return
	}
	if testing.Short() {
		t.Skip("starts and kills processes")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "public")
	kills := 20
	for i := range kills {
		cmd := exec.Command(exe, "-test.run=^TestStagingAfterKill$")
		cmd.Env = append(os.Environ(), "OUTTREE_KILL_CHILD="+dir)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Wait until the child has a build under way (a staging folder
		// exists), then let it run a little while longer.
		for range 2000 {
			if leftovers(t, dir) > 0 {
				break
			}
			time.Sleep(time.Millisecond)
		}
		time.Sleep(time.Duration(i%5) * 3 * time.Millisecond)
		cmd.Process.Kill()
		cmd.Wait()
	}
	left := leftovers(t, dir)
	t.Logf("%d kills left %d staging folders", kills, left)
	// A build killed between making its staging folder and writing the
	// marker leaves it empty, and it is taken for a dead build's only
	// once older than staleEmpty: the next build comes that much later.
	entries, _ := os.ReadDir(filepath.Dir(dir))
	past := time.Now().Add(-2 * staleEmpty)
	for _, e := range entries {
		if e.Name() != filepath.Base(dir) {
			os.Chtimes(filepath.Join(filepath.Dir(dir), e.Name()), past, past)
		}
	}
	st, err := Write(context.Background(), dir, newFilesJob(killFiles(0)), Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if n := leftovers(t, dir); n != 0 {
		t.Errorf("%d staging folders left after a build (cleaned %d)", n, st.Cleaned)
	}
	if _, err := ReadManifest(dir); err != nil {
		t.Errorf("output: %v", err)
	}
}

// killFiles is a tree whose every write differs (n varies the bodies),
// with enough files that writing it takes a while.
func killFiles(n int) map[string]string {
	m := map[string]string{}
	for i := range 600 {
		m[fmt.Sprintf("d%02d/f%03d.txt", i%40, i)] = fmt.Sprintf("write %d file %d %s", n, i, strings.Repeat("x", 2000))
	}
	return m
}

// killChild writes the tree at dir again and again until it is killed.
func killChild(dir string) {
	for n := 1; ; n++ {
		if _, err := Write(context.Background(), dir, newFilesJob(killFiles(n)), Options{Workers: 2}); err != nil {
			panic(err)
		}
	}
}

// leftovers counts the staging folders beside dir.
func leftovers(t *testing.T, dir string) int {
	t.Helper()
	entries, err := os.ReadDir(filepath.Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "."+filepath.Base(dir)+".new-") {
			n++
		}
	}
	return n
}
