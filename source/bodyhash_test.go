package source

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestBodyHash: the hash follows the body alone, not the front matter
// or the file's name, and fails for a file changed since the scan.
func TestBodyHash(t *testing.T) {
	root := writeTree(t, map[string]string{
		"a.md":         "---\ntitle: A\ndate: 2024-01-02\n---\nThe same body.\n",
		"renamed-b.md": "---\ntitle: Retitled\ndate: 2023-05-06\ntags: [x]\n---\n\nThe same body.\n\n",
		"c.md":         "---\ntitle: C\ndate: 2024-01-03\n---\nAnother body.\n",
	})
	sc, err := NewScanner(root, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	res, err := sc.Scan(context.Background(), ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hashes := map[string]string{}
	for _, p := range res.Posts {
		h, err := sc.BodyHash(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		hashes[p.Path] = h
	}
	if hashes["a.md"] == "" || hashes["a.md"] != hashes["renamed-b.md"] {
		t.Errorf("same body, different front matter: %q and %q", hashes["a.md"], hashes["renamed-b.md"])
	}
	if hashes["a.md"] == hashes["c.md"] {
		t.Error("different bodies hash alike")
	}
	if err := os.WriteFile(filepath.Join(root, "c.md"), []byte("---\ntitle: C\ndate: 2024-01-03\n---\nChanged, longer body.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Posts {
		if p.Path == "c.md" {
			if _, err := sc.BodyHash(context.Background(), p); err == nil {
				t.Error("a file changed since the scan was hashed")
			}
		}
	}
}
