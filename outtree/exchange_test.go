package outtree

import (
	"os"
	"path/filepath"
	"testing"
)

func TestExchange(t *testing.T) {
	for name, swap := range map[string]func(a, b string) error{"exchange": exchange, "swapByRename": swapByRename} {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			a, b := filepath.Join(root, "a"), filepath.Join(root, "b")
			for _, d := range []string{a, b} {
				if err := os.Mkdir(d, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(d, "name"), []byte(filepath.Base(d)), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := swap(a, b); err != nil {
				t.Fatal(err)
			}
			for dir, want := range map[string]string{a: "b", b: "a"} {
				if got, err := os.ReadFile(filepath.Join(dir, "name")); err != nil || string(got) != want {
					t.Errorf("%s holds %q (%v), want %q", dir, got, err, want)
				}
			}
			if entries, _ := os.ReadDir(root); len(entries) != 2 {
				t.Errorf("%d entries after the swap, want 2", len(entries))
			}
		})
	}
}
