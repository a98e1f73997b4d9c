package source

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
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
		name    string
		do      func() error
		changed bool
	}{
		{"nothing", func() error { return nil }, false},
		{"read", func() error { _, err := os.ReadFile(p("a.md")); return err }, false},
		{"hidden folder", func() error { return os.WriteFile(p(".hidden/c.md"), []byte("c2"), 0o644) }, false},
		{"edit", func() error { return os.WriteFile(p("a.md"), []byte("a2"), 0o644) }, true},
		{"nothing after", func() error { return nil }, false},
		{"times", func() error { return os.Chtimes(p("sub/b.md"), old, old) }, true},
		{"chmod", func() error { return os.Chmod(p("a.md"), 0o600) }, true},
		{"add", func() error { return os.WriteFile(p("sub/new.md"), []byte("n"), 0o644) }, true},
		{"rename", func() error { return os.Rename(p("sub/new.md"), p("new.md")) }, true},
		{"remove", func() error { return os.Remove(p("new.md")) }, true},
		{"new folder", func() error { return os.MkdirAll(p("2025/01"), 0o755) }, true},
		{"file in new folder", func() error { return os.WriteFile(p("2025/01/x.md"), []byte("x"), 0o644) }, true},
		{"edit in new folder", func() error { return os.WriteFile(p("2025/01/x.md"), []byte("x2"), 0o644) }, true},
		{"folder moved in", func() error {
			out := filepath.Join(t.TempDir(), "moved")
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(out, "m.md"), []byte("m"), 0o644); err != nil {
				return err
			}
			return os.Rename(out, p("moved"))
		}, true},
		{"edit in moved folder", func() error { return os.WriteFile(p("moved/m.md"), []byte("m2"), 0o644) }, true},
		{"folder removed", func() error { return os.RemoveAll(p("moved")) }, true},
		{"quiet at last", func() error { return nil }, false},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		changed, err := w.Changed()
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if changed != s.changed {
			t.Errorf("%s: changed = %v, want %v", s.name, changed, s.changed)
		}
	}
}
