// Package dirtest reads a folder tree back in tests: the files it
// holds, their contents and their inode numbers, by slash-separated path
// relative to the folder. It is the one copy of these helpers for the
// packages whose tests write trees (outtree, feedgen, cmd/syndicate,
// cmd/gencontent); production code does not import it.
package dirtest

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"syscall"
	"testing"
)

// Paths lists the files under dir (everything but folders) but those
// named in except, sorted, failing t if dir cannot be walked.
func Paths(t testing.TB, dir string, except ...string) []string {
	t.Helper()
	var out []string
	walk(t, dir, except, func(rel, _ string) error {
		out = append(out, rel)
		return nil
	})
	sort.Strings(out)
	return out
}

// Files maps every file under dir but those named in except to its
// contents, failing t if one cannot be read.
func Files(t testing.TB, dir string, except ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	walk(t, dir, except, func(rel, full string) error {
		b, err := os.ReadFile(full)
		out[rel] = string(b)
		return err
	})
	return out
}

// Inodes maps every file under dir but those named in except to its
// inode number; it skips t on a system whose files have none.
func Inodes(t testing.TB, dir string, except ...string) map[string]uint64 {
	t.Helper()
	out := map[string]uint64{}
	walk(t, dir, except, func(rel, full string) error {
		info, err := os.Lstat(full)
		if err != nil {
			return err
		}
		st, ok := info.Sys().(*syscall.Stat_t)
		if !ok {
			t.Skip("no inode numbers here")
		}
		out[rel] = st.Ino
		return nil
	})
	return out
}

// walk calls f with the slash path relative to dir and the full path of
// every file under dir but those named in except, failing t on the
// first error.
func walk(t testing.TB, dir string, except []string, f func(rel, full string) error) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if rel = filepath.ToSlash(rel); slices.Contains(except, rel) {
			return nil
		}
		return f(rel, p)
	})
	if err != nil {
		t.Fatal(err)
	}
}
