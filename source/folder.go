package source

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// surveyAtLeast bounds how long a watch alone may stand for surveys: a
// lost event (which inotify should never lose unnoticed) cannot keep a
// change out of the feeds for longer.
const surveyAtLeast = time.Hour

// Folder is a content folder read again and again (serve). It keeps what
// the last read found in every file (an Index), that read's survey stamp
// and, where the kernel can report changes, a watch on the folder, and
// decides for each Read what to look at:
//
//   - watched, and told of no change: nothing (the last read stands);
//   - watched, and told which files changed: those files alone;
//   - otherwise (not watchable, a folder event, lost events, a symlinked
//     post, a post that failed to render, an hour since the last survey):
//     a survey of every file's name, size and times, no file opened; when
//     it matches the last read's and that read was final, nothing more,
//     else only the files whose stamps differ are read.
//
// A Folder is started by its first Read (or Start) and stopped by Close.
// Reads must not overlap.
type Folder struct {
	root string
	cfg  Config
	log  *slog.Logger

	// What the last committed read left; only touched by Read, Commit
	// and Abort.
	index       *Index // nil after a failed read
	stamp       [32]byte
	settled     bool
	symlinks    bool
	surveyedAt  time.Time
	committed   bool
	unreadable  int
	nextPublish time.Time
	pending     *pendingRead

	watch *Watcher
	// watchOff: the folder cannot be watched (or the Folder is closed),
	// so no Read tries again.
	watchOff bool
}

// pendingRead is a Read that awaits Commit or Abort.
type pendingRead struct {
	result     *Result
	survey     *Survey // nil for a read of the files a watch named
	surveyedAt time.Time
}

// FolderOptions tune a Folder.
type FolderOptions struct {
	// Watch lets the Folder watch the content folder (Linux inotify on a
	// local file system) rather than survey it on every Read.
	Watch bool
	// Log receives what a Read notices but does not fail on (the folder
	// cannot be watched); nil discards it.
	Log *slog.Logger
}

// NewFolder returns the folder at root read with cfg (cfg.Now is set by
// each Read).
func NewFolder(root string, cfg Config, opts FolderOptions) *Folder {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Folder{root: root, cfg: cfg, log: opts.Log, watchOff: !opts.Watch}
}

// Basis is what the caller made of the last committed Read.
type Basis struct {
	// Complete: the caller's last build used every post of that read (a
	// post that failed to render is read again by a survey).
	Complete bool
	// Kept: that build's output is still what the caller holds, so it may
	// stand for a folder in which nothing changed.
	Kept bool
}

// FolderRead is one Read's outcome.
type FolderRead struct {
	// Unchanged: no file changed since the last committed read, which
	// stands; nothing was read, and Commit and Abort need not follow.
	Unchanged bool
	// Result holds the posts: those of changed files read anew, the
	// others the very values of the last read.
	Result *Result
	// Scanner renders the posts.
	Scanner *Scanner
	// Surveyed: the whole folder was surveyed; Rescanned: only the files
	// that changed were read.
	Surveyed, Rescanned bool
}

// Start begins watching the folder, so that every change after the next
// survey raises an event. A folder on a file system that cannot be
// watched is never tried again; one that is missing, or was replaced, is
// tried on every Read (the survey reports what is wrong).
func (f *Folder) Start() {
	if f.watch != nil || f.watchOff {
		return
	}
	w, err := NewWatcher(f.root)
	if errors.Is(err, ErrNotWatchable) {
		f.watchOff = true
		f.log.Info("content folder not watched; every rebuild surveys it", "reason", err)
		return
	}
	if err != nil {
		return
	}
	f.watch = w
}

// Close stops watching the folder; later Reads survey it.
func (f *Folder) Close() error {
	var err error
	if f.watch != nil {
		err = f.watch.Close()
		f.watch = nil
	}
	f.watchOff = true
	return err
}

// Read reads the folder as of now (see Folder). Unless it reports
// Unchanged, Commit must follow once the caller's build on it succeeded,
// Abort if it failed.
func (f *Folder) Read(ctx context.Context, now time.Time, basis Basis) (*FolderRead, error) {
	f.pending = nil
	f.Start()
	changes, watched := f.changes()
	if !watched && f.watch == nil && !f.watchOff {
		// The watch failed (the folder was replaced, say): watch again
		// before the survey.
		f.Start()
		watched = f.watch != nil
	}
	cfg := f.cfg
	cfg.Now = func() time.Time { return now }
	sc, err := NewScanner(f.root, cfg)
	if err != nil {
		return nil, err
	}
	if watched && !changes.All && f.index != nil && f.mayRescan(now, basis) {
		if changes.None() && !f.index.Pending() && !f.index.HasIncludes() && f.stands(now, basis) {
			return &FolderRead{Unchanged: true}, nil
		}
		scanned, err := sc.Scan(ctx, ScanOptions{Index: f.index, Changed: changes.Files})
		if err == nil {
			f.pending = &pendingRead{result: scanned}
			return &FolderRead{Result: scanned, Scanner: sc, Rescanned: true}, nil
		}
		if !errors.Is(err, ErrRescan) {
			// The index may hold changes no build took: the next Read
			// surveys.
			f.index = nil
			return nil, err
		}
		// A symlink or some such: the survey below sees to it, with a
		// scanner of its own.
		if sc, err = NewScanner(f.root, cfg); err != nil {
			return nil, err
		}
	}
	sv, err := sc.Survey()
	if err != nil {
		f.index = nil
		return nil, err
	}
	ix := f.index
	f.index = nil // until this read is committed
	// Both surveys must be settled: a file written within the racy window
	// of a survey may change again without its times moving. Files posts
	// include are in no survey: a rescan checks them.
	if f.stands(now, basis) && sv.Settled && sv.Stamp == f.stamp && ix != nil && !ix.HasIncludes() {
		f.surveyedAt, f.index = now, ix
		return &FolderRead{Unchanged: true, Surveyed: true}, nil
	}
	// The survey tells which files changed since the index was made, and
	// only those are read; else (a symlink, a first read) all are.
	rd := &FolderRead{Scanner: sc, Surveyed: true}
	if ix != nil && basis.Complete {
		rd.Result, err = sc.Scan(ctx, ScanOptions{Survey: sv, Index: ix})
		switch {
		case err == nil:
			f.index = ix
			rd.Rescanned = true
		case errors.Is(err, ErrRescan):
			err = nil
		}
	}
	if rd.Result == nil && err == nil {
		f.index = new(Index)
		rd.Result, err = sc.Scan(ctx, ScanOptions{Survey: sv, Index: f.index})
	}
	if err != nil {
		f.index = nil
		return nil, err
	}
	f.pending = &pendingRead{result: rd.Result, survey: sv, surveyedAt: now}
	return rd, nil
}

// Commit records the last Read as the one later Reads compare with: the
// caller's build on it succeeded.
func (f *Folder) Commit() {
	p := f.pending
	if p == nil || f.index == nil {
		return
	}
	f.pending = nil
	if p.survey != nil {
		f.stamp, f.settled = p.survey.Stamp, p.survey.Settled
		f.symlinks, f.surveyedAt = p.survey.Symlinks > 0, p.surveyedAt
	} else {
		f.stamp, f.settled = f.index.Stamp(), f.index.Settled()
	}
	f.committed = true
	f.unreadable, f.nextPublish = p.result.Unreadable, p.result.NextPublish
}

// Abort forgets the last Read: the caller's build on it failed, and the
// index may hold changes no build took, so the next Read surveys.
func (f *Folder) Abort() {
	f.pending = nil
	f.index = nil
}

// mayRescan says whether the last read left what reading only the
// changed files builds on: a complete build, no symlinked files (whose
// targets may change unwatched), and a survey recent enough.
func (f *Folder) mayRescan(now time.Time, basis Basis) bool {
	return f.committed && basis.Complete && !f.symlinks && now.Sub(f.surveyedAt) < surveyAtLeast
}

// stands says whether the last read still holds, by what is known
// besides a survey: the caller kept its complete build, that read could
// read every file, and no future post has come due since.
func (f *Folder) stands(now time.Time, basis Basis) bool {
	return f.committed && basis.Complete && basis.Kept && f.settled && f.unreadable == 0 &&
		(f.nextPublish.IsZero() || now.Before(f.nextPublish))
}

// changes drains the watcher's events: what changed since the last
// Read, and whether the folder is watched at all.
func (f *Folder) changes() (Changes, bool) {
	if f.watch == nil {
		return Changes{All: true}, false
	}
	c, err := f.watch.Changes()
	if err != nil {
		// The next Read watches afresh, before its survey.
		if !errors.Is(err, ErrRootGone) {
			f.log.Warn("content folder watch failed; surveying it", "err", err)
		}
		f.watch.Close()
		f.watch = nil
		f.index = nil
		return Changes{All: true}, false
	}
	return c, true
}
