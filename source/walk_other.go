//go:build !linux

package source

import (
	"io/fs"
	"os"
)

// statAt is os.Lstat(path); dir and name are for systems that can stat
// relative to a folder.
func statAt(_ *os.File, _, path string) (fs.FileInfo, error) { return os.Lstat(path) }
