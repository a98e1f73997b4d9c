//go:build !linux

package source

import "os"

// statAt is os.Lstat(path); dir and name are for systems that can stat
// relative to a folder.
func statAt(_ *os.File, _, path string) (fileStamp, error) {
	info, err := os.Lstat(path)
	if err != nil {
		return fileStamp{}, err
	}
	return stampOf(info), nil
}
