//go:build !unix

package pubstate

import "os"

// lockDir opens the lock file; where there is no flock, two processes on
// one folder are left to SQLite's own locking.
func lockDir(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
}
