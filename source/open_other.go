//go:build !linux

package source

import (
	"errors"
	"os"
	"path/filepath"
)

// folderFlags and subfolderFlags add nothing where the system has no
// portable way to open a folder without following or blocking.
const (
	folderFlags    = 0
	subfolderFlags = 0
)

// openPost opens the post rel below root. Only Linux opens it without
// blocking and checks where a symlinked path led (open_linux.go); here a
// symlinked path is checked before the open, which a swap in between can
// defeat.
func openPost(root, rel string) (*os.File, error) {
	name := root + string(filepath.Separator) + filepath.FromSlash(rel)
	if target, err := filepath.EvalSymlinks(name); err == nil {
		if real, err := filepath.EvalSymlinks(root); err == nil && !within(real, target) {
			return nil, errOutside
		}
	}
	return os.Open(name)
}

var errOutside = errors.New("symlink points outside the content directory; not followed")
