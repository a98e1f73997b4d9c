package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestWatcher: every kind of change in a watched folder, and in a folder
// made after the watch began, is reported once; nothing else is.
func TestWatcher(t *testing.T) {
	root := writeTree(t, map[string]string{"a.md": "a", "sub/b.md": "b", ".hidden/c.md": "c"})
	w, err := NewWatcher(root)
	if errors.Is(err, ErrNotWatchable) {
		t.Skipf("temporary folder not watchable here: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	p := func(name string) string { return filepath.Join(root, filepath.FromSlash(name)) }
	old := time.Now().Add(-time.Hour)
	steps := []struct {
		name  string
		do    func() error
		files []string
		all   bool
	}{
		{"nothing", func() error { return nil }, nil, false},
		{"read", func() error { _, err := os.ReadFile(p("a.md")); return err }, nil, false},
		{"hidden folder", func() error { return os.WriteFile(p(".hidden/c.md"), []byte("c2"), 0o644) }, nil, false},
		{"hidden file", func() error { return os.WriteFile(p(".a.md.swp"), []byte("s"), 0o644) }, nil, false},
		{"edit", func() error { return os.WriteFile(p("a.md"), []byte("a2"), 0o644) }, []string{"a.md"}, false},
		{"nothing after", func() error { return nil }, nil, false},
		{"times", func() error { return os.Chtimes(p("sub/b.md"), old, old) }, []string{"sub/b.md"}, false},
		{"chmod", func() error { return os.Chmod(p("a.md"), 0o600) }, []string{"a.md"}, false},
		{"add", func() error { return os.WriteFile(p("sub/new.md"), []byte("n"), 0o644) }, []string{"sub/new.md"}, false},
		{"rename", func() error { return os.Rename(p("sub/new.md"), p("new.md")) }, []string{"new.md", "sub/new.md"}, false},
		{"remove", func() error { return os.Remove(p("new.md")) }, []string{"new.md"}, false},
		{"new folder", func() error { return os.MkdirAll(p("2025/01"), 0o755) }, nil, true},
		{"file in new folder", func() error { return os.WriteFile(p("2025/01/x.md"), []byte("x"), 0o644) }, []string{"2025/01/x.md"}, false},
		{"edit in new folder", func() error { return os.WriteFile(p("2025/01/x.md"), []byte("x2"), 0o644) }, []string{"2025/01/x.md"}, false},
		{"folder renamed", func() error { return os.Rename(p("2025"), p("2026")) }, nil, true},
		{"edit in renamed folder", func() error { return os.WriteFile(p("2026/01/x.md"), []byte("x3"), 0o644) }, []string{"2026/01/x.md"}, false},
		{"folder moved in", func() error {
			out := filepath.Join(t.TempDir(), "moved")
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(out, "m.md"), []byte("m"), 0o644); err != nil {
				return err
			}
			return os.Rename(out, p("moved"))
		}, nil, true},
		{"edit in moved folder", func() error { return os.WriteFile(p("moved/m.md"), []byte("m2"), 0o644) }, []string{"moved/m.md"}, false},
		{"folder removed", func() error { return os.RemoveAll(p("moved")) }, nil, true},
		{"many files", func() error {
			for i := range maxChangedFiles + 1 {
				if err := os.WriteFile(p(fmt.Sprintf("sub/many-%d.md", i)), nil, 0o644); err != nil {
					return err
				}
			}
			return nil
		}, nil, true},
		{"quiet at last", func() error { return nil }, nil, false},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		c, err := w.Changes()
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		slices.Sort(c.Files)
		if c.All != s.all || !s.all && !slices.Equal(c.Files, s.files) {
			t.Errorf("%s: changes = %+v, want files %q, all %v", s.name, c, s.files, s.all)
		}
		if c.None() != (!s.all && len(s.files) == 0) {
			t.Errorf("%s: None() = %v", s.name, c.None())
		}
	}
}

// TestWatcherRootGone: a watched folder moved away, or a symlink on its
// way swapped to another folder (as deploys do), raises ErrRootGone:
// whatever now stands at the path is not watched.
func TestWatcherRootGone(t *testing.T) {
	cases := []struct {
		name string
		swap func(t *testing.T, path, real string)
	}{
		{"folder moved away", func(t *testing.T, path, real string) {
			if err := os.Rename(real, real+".old"); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(real, 0o755); err != nil {
				t.Fatal(err)
			}
		}},
		{"symlink swapped", func(t *testing.T, path, real string) {
			other := writeTree(t, map[string]string{"a.md": "other"})
			tmp := path + ".new"
			if err := os.Symlink(other, tmp); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(tmp, path); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			real := writeTree(t, map[string]string{"a.md": "a"})
			path := filepath.Join(t.TempDir(), "current")
			if err := os.Symlink(real, path); err != nil {
				t.Fatal(err)
			}
			w, err := NewWatcher(path)
			if errors.Is(err, ErrNotWatchable) {
				t.Skipf("temporary folder not watchable here: %v", err)
			}
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			if c, err := w.Changes(); err != nil || !c.None() {
				t.Fatalf("before: %+v, %v", c, err)
			}
			c.swap(t, path, real)
			if ch, err := w.Changes(); !errors.Is(err, ErrRootGone) || !ch.All {
				t.Errorf("after: %+v, %v; want all and ErrRootGone", ch, err)
			}
		})
	}
}

// TestFolderOutOfWatches: a system with no inotify watches to spare
// (ENOSPC from inotify_add_watch, at the start or when a new folder
// appears) makes the folder fall back to surveys, logged once, and no
// change is missed.
func TestFolderOutOfWatches(t *testing.T) {
	post := func(title string) string {
		return "---\ntitle: " + title + "\ndate: 2024-01-02\n---\nBody.\n"
	}
	for _, tc := range []struct {
		name    string
		allowed int // add calls that succeed before ENOSPC
	}{
		{"at the start", 0},
		{"on a new folder", 2}, // the root and sub/
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := writeTree(t, map[string]string{"a.md": post("A"), "sub/b.md": post("B")})
			if _, err := NewWatcher(root); errors.Is(err, ErrNotWatchable) {
				t.Skipf("temporary folder not watchable here: %v", err)
			}
			calls := 0
			inotifyAddWatch = func(fd int, path string, mask uint32) (int, error) {
				if calls++; calls > tc.allowed {
					return -1, unix.ENOSPC
				}
				return unix.InotifyAddWatch(fd, path, mask)
			}
			t.Cleanup(func() { inotifyAddWatch = unix.InotifyAddWatch })
			var logs bytes.Buffer
			f := NewFolder(root, testConfig(), FolderOptions{Watch: true, Log: slog.New(slog.NewTextHandler(&logs, nil))})
			defer f.Close()
			read := func(want int) *FolderRead {
				t.Helper()
				rd, err := f.Read(context.Background(), time.Now().Add(time.Hour), Basis{Complete: true, Kept: true})
				if err != nil {
					t.Fatal(err)
				}
				if !rd.Unchanged {
					if len(rd.Result.Posts) != want {
						t.Fatalf("%d posts, want %d", len(rd.Result.Posts), want)
					}
					f.Commit()
				}
				return rd
			}
			read(2)
			if tc.allowed > 0 {
				if f.watch == nil {
					t.Fatal("not watched although watches were left")
				}
				if err := os.MkdirAll(filepath.Join(root, "new"), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			for i := range 3 {
				name := filepath.Join(root, "new", fmt.Sprintf("p%d.md", i))
				if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(name, []byte(post(fmt.Sprint("P", i))), 0o644); err != nil {
					t.Fatal(err)
				}
				if rd := read(3 + i); !rd.Surveyed {
					t.Errorf("read %d did not survey: %+v", i, rd)
				}
			}
			if n := strings.Count(logs.String(), "content folder not watched"); n != 1 || !strings.Contains(logs.String(), "max_user_watches") {
				t.Errorf("logged %d times, want once naming max_user_watches:\n%s", n, logs.String())
			}
		})
	}
}
