package outtree

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestRenameExchangeAvailable makes sure Write's swap really is the
// one-step renameat2(RENAME_EXCHANGE) here, not the two-rename fallback
// during which the output folder is missing.
func TestRenameExchangeAvailable(t *testing.T) {
	root := t.TempDir()
	a, b := filepath.Join(root, "a"), filepath.Join(root, "b")
	for _, d := range []string{a, b} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
	if err == unix.EINVAL || err == unix.ENOSYS {
		t.Skipf("this file system or kernel has no RENAME_EXCHANGE (%v); WriteDir falls back to two renames", err)
	}
	if err != nil {
		t.Fatal(err)
	}
}
