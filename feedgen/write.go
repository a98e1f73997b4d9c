package feedgen

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// markerName marks a folder as written by syndicate, so that WriteDir
// never replaces a folder holding anything else.
const markerName = ".syndicate-output"

// WriteDir publishes the snapshot as a folder tree at dir, atomically: the
// tree is written beside dir and swapped in with one rename (on Linux an
// exchange, so dir never goes missing). A reader sees the old tree or the
// new one, never a half-written file or a mix; feeds that no longer exist
// disappear with the old tree. Each file's modification time is its
// document's Modified, so static servers' validators stay stable across
// identical builds.
func (s *Snapshot) WriteDir(dir string) error {
	dir = filepath.Clean(dir)
	parent, base := filepath.Dir(dir), filepath.Base(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("output: %w", err)
	}
	if info, err := os.Lstat(dir); err == nil {
		if !info.IsDir() {
			return fmt.Errorf("output: %s exists and is not a folder", dir)
		}
		if err := checkOwned(dir); err != nil {
			return err
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("output: %w", err)
	}
	staging, err := os.MkdirTemp(parent, "."+base+".new-")
	if err != nil {
		return fmt.Errorf("output: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			os.RemoveAll(staging)
		}
	}()
	if err := os.Chmod(staging, 0o755); err != nil {
		return fmt.Errorf("output: %w", err)
	}
	if err := s.writeTree(staging); err != nil {
		return err
	}
	if _, err := os.Lstat(dir); errors.Is(err, os.ErrNotExist) {
		if err := os.Rename(staging, dir); err != nil {
			return fmt.Errorf("output: %w", err)
		}
		committed = true
		return nil
	}
	if err := exchange(staging, dir); err != nil {
		return fmt.Errorf("output: replace %s: %w", dir, err)
	}
	committed = true
	// staging now holds the previous tree.
	if err := os.RemoveAll(staging); err != nil {
		return fmt.Errorf("output: remove previous tree: %w", err)
	}
	return nil
}

func (s *Snapshot) writeTree(root string) error {
	made := map[string]bool{root: true}
	for _, p := range s.Paths {
		d := s.Docs[p]
		rel := filepath.FromSlash(p)
		if !filepath.IsLocal(rel) {
			return fmt.Errorf("output: refusing to write %q outside the output folder", p)
		}
		full := filepath.Join(root, rel)
		if dir := filepath.Dir(full); !made[dir] {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return fmt.Errorf("output: %w", err)
			}
			made[dir] = true
		}
		if err := os.WriteFile(full, d.Body, 0o644); err != nil {
			return fmt.Errorf("output: %w", err)
		}
		if !d.Modified.IsZero() {
			if err := os.Chtimes(full, d.Modified, d.Modified); err != nil {
				return fmt.Errorf("output: %w", err)
			}
		}
	}
	marker := "This folder is written by syndicate and replaced as a whole on every build.\n"
	return os.WriteFile(filepath.Join(root, markerName), []byte(marker), 0o644)
}

// checkOwned refuses to replace a non-empty folder syndicate did not write.
func checkOwned(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, markerName)); err == nil {
		return nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("output: %w", err)
	}
	if len(entries) == 0 {
		return nil
	}
	names := make([]string, 0, 3)
	for _, e := range entries[:min(3, len(entries))] {
		names = append(names, e.Name())
	}
	return fmt.Errorf("output: %s holds files syndicate did not write (%s); point output_dir at a folder of its own", dir, strings.Join(names, ", "))
}
