//go:build !linux

package source

import "errors"

// Watcher is Linux-only (inotify); elsewhere NewWatcher always fails and
// callers survey the folder on every rebuild.
type Watcher struct{}

// ErrNotWatchable: the folder cannot be watched here.
var ErrNotWatchable = errors.New("content folder cannot be watched on this system")

// NewWatcher fails outside Linux.
func NewWatcher(string) (*Watcher, error) { return nil, ErrNotWatchable }

// Changed always reports a change.
func (*Watcher) Changed() (bool, error) { return true, ErrNotWatchable }

// Close does nothing.
func (*Watcher) Close() error { return nil }
