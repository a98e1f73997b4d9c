//go:build !linux

package source

import "errors"

// Watcher is Linux-only (inotify); elsewhere NewWatcher always fails and
// callers survey the folder on every rebuild.
type Watcher struct{}

// ErrNotWatchable: the folder cannot be watched here.
var ErrNotWatchable = errors.New("content folder cannot be watched on this system")

// ErrRootGone is never returned here.
var ErrRootGone = errors.New("watched folder moved or removed")

// NewWatcher fails outside Linux.
func NewWatcher(string) (*Watcher, error) { return nil, ErrNotWatchable }

// Changes is what a Watcher heard of since it was last asked.
type Changes struct {
	Files []string
	All   bool
}

// None says nothing changed.
func (c Changes) None() bool { return !c.All && len(c.Files) == 0 }

// Changes always reports a change of all.
func (*Watcher) Changes() (Changes, error) { return Changes{All: true}, ErrNotWatchable }

// Close does nothing.
func (*Watcher) Close() error { return nil }
