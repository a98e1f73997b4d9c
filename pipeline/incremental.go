package pipeline

import (
	"context"
	"errors"
	"time"

	"github.com/syndicate/syndicate/feedgen"
	"github.com/syndicate/syndicate/outtree"
	"github.com/syndicate/syndicate/source"
)

// incremental is what an incremental Builder keeps between builds. Each
// build first surveys the content folder (names, sizes and times, no file
// opened); when the survey matches the last good build's and no future
// post has fallen due since, that build stands and nothing is read,
// rendered or encoded. Otherwise the survey is compared with what the
// last scan found in every file (source.Index): only the files that
// differ are read, the other posts are kept as they were, the plan is
// made from the last one, and only documents whose inputs changed are
// encoded.
//
// Where the kernel can report changes (a source.Watcher, Linux inotify on
// a local file system), a build does not survey at all: one that heard of
// no change keeps the last build, and one told which files changed stats
// and reads only those (source.Index), unless a folder changed or
// surveyAtLeast has passed since the last survey.
type incremental struct {
	b *Builder

	// The last good build, the output it wrote and the survey it was made
	// from; only touched by run, which builds never call twice at once.
	last       *Result
	lastOut    Output
	stamp      [32]byte
	settled    bool
	symlinks   bool
	surveyedAt time.Time
	// index is what the last scan found in every file; nil after a
	// failed run.
	index *source.Index

	watch *source.Watcher
	// watchOff: the folder cannot be watched (or the builder is closed),
	// so no run tries again.
	watchOff bool
	surveys  int // taken so far, for tests
	rescans  int // runs that read only the files that changed, for tests
}

// surveyAtLeast bounds how long a watcher alone may stand for surveys:
// a lost event (which inotify should never lose unnoticed) cannot keep a
// change out of the feeds for longer.
const surveyAtLeast = time.Hour

func (b *incremental) run(ctx context.Context, now time.Time, out Output) (*Result, error) {
	b.startWatching()
	changes, watched := b.changes()
	if !watched && b.watch == nil && !b.watchOff {
		// The watch failed (the folder was replaced, say): watch again
		// before the survey.
		b.startWatching()
		watched = b.watch != nil
	}
	if watched && !changes.All && b.index != nil && b.mayRescan() {
		if changes.None() && !b.index.Pending() && !b.index.HasIncludes() && b.lastStands(now, out) {
			return b.unchanged(), nil
		}
		res, err := b.rescan(ctx, now, changes.Files, out)
		if !errors.Is(err, source.ErrRescan) {
			return res, err
		}
		// A symlink or some such: the survey below sees to it.
	}
	sc, err := b.b.scanner(now)
	if err != nil {
		return nil, err
	}
	surveyedAt := time.Now()
	b.surveys++
	sv, err := sc.Survey()
	if err != nil {
		b.index = nil
		return nil, err
	}
	ix := b.index
	b.index = nil // until this run succeeds
	// Both surveys must be settled: a file written within the racy window
	// of a survey may change again without its times moving. Files posts
	// include are in no survey: a rescan checks them.
	if b.lastStands(now, out) && sv.Settled && sv.Stamp == b.stamp && ix != nil && !ix.HasIncludes() {
		b.surveyedAt, b.index = surveyedAt, ix
		return b.unchanged(), nil
	}
	// The survey tells which files changed since the index was made, and
	// only those are read; else (a symlink, a first run) all are.
	var scanned *source.Result
	if ix != nil && b.last != nil && !b.last.renderFailed {
		scanned, err = sc.RescanSurvey(ctx, ix, sv)
		switch {
		case err == nil:
			b.index = ix
			b.rescans++
		case errors.Is(err, source.ErrRescan):
			err = nil
		}
	}
	if scanned == nil && err == nil {
		scanned, b.index, err = sc.ScanIndexed(ctx, sv)
	}
	if err != nil {
		b.index = nil
		return nil, err
	}
	res, err := b.finish(ctx, sc, scanned, out)
	if err != nil {
		b.index = nil
		return res, err
	}
	b.stamp, b.settled = sv.Stamp, sv.Settled
	b.symlinks, b.surveyedAt = sv.Symlinks > 0, surveyedAt
	return res, nil
}

// rescan is a run that stats and reads only the files events named (and
// those the index holds pending). It returns source.ErrRescan, with the
// index as it was, for changes that need a survey.
func (b *incremental) rescan(ctx context.Context, now time.Time, files []string, out Output) (*Result, error) {
	sc, err := b.b.scanner(now)
	if err != nil {
		return nil, err
	}
	scanned, err := sc.Rescan(ctx, b.index, files)
	if errors.Is(err, source.ErrRescan) {
		return nil, err
	}
	var res *Result
	if err == nil {
		b.rescans++
		if res, err = b.finish(ctx, sc, scanned, out); err == nil {
			b.stamp, b.settled = b.index.Stamp(), b.index.Settled()
			return res, nil
		}
	}
	// The index may hold changes no build took: the next run surveys.
	b.index = nil
	return res, err
}

// finish plans and writes the documents of a scan, reusing those the
// output holds whose inputs did not change, and records the build as the
// last.
func (b *incremental) finish(ctx context.Context, sc *source.Scanner, scanned *source.Result, out Output) (*Result, error) {
	var prev *feedgen.Plan
	if b.last != nil {
		prev = b.last.Plan
	}
	res, err := b.b.plan(ctx, sc, scanned, prev, out)
	if err != nil {
		return res, err
	}
	// The documents are written: their posts' HTML goes, their sums stay
	// (the cache keeps no HTML either; see source.Cache.KeepSumsOnly).
	for _, x := range res.Plan.Needed {
		x.ReleaseHTML()
	}
	b.last, b.lastOut = res, out
	return res, nil
}

// mayRescan says whether the last run left what a rescan builds on: a
// build, no symlinked files (whose targets may change unwatched), no post
// that failed to render (which a survey retries), and a survey recent
// enough.
func (b *incremental) mayRescan() bool {
	return b.last != nil && !b.last.renderFailed && !b.symlinks && time.Since(b.surveyedAt) < surveyAtLeast
}

// close stops watching the content folder.
func (b *incremental) close() {
	if b.watch != nil {
		b.watch.Close()
		b.watch = nil
	}
	b.watchOff = true
}

// unchanged is the last build, standing for this run.
func (b *incremental) unchanged() *Result {
	res := *b.last
	res.Unchanged = true
	res.Output = outtree.Stats{Documents: res.Documents, Unchanged: true}
	return &res
}

// startWatching sets up the watcher before a run surveys, so that every
// change after that survey raises an event. A folder on a file system
// that cannot be watched is never tried again; one that is missing, or
// was replaced, is tried on every run (the survey reports what is wrong).
func (b *incremental) startWatching() {
	if b.watch != nil || b.watchOff {
		return
	}
	w, err := source.NewWatcher(b.b.cfg.ContentDir)
	if errors.Is(err, source.ErrNotWatchable) {
		b.watchOff = true
		b.b.cfg.Log.Info("content folder not watched; every rebuild surveys it", "reason", err)
		return
	}
	if err != nil {
		return
	}
	b.watch = w
}

// changes drains the watcher's events: what changed since the last run,
// and whether the folder is watched at all.
func (b *incremental) changes() (source.Changes, bool) {
	if b.watch == nil {
		return source.Changes{All: true}, false
	}
	c, err := b.watch.Changes()
	if err != nil {
		// The next run watches afresh, before its survey.
		if !errors.Is(err, source.ErrRootGone) {
			b.b.cfg.Log.Warn("content folder watch failed; surveying it", "err", err)
		}
		b.watch.Close()
		b.watch = nil
		b.index = nil
		return source.Changes{All: true}, false
	}
	return c, true
}

// lastStands is what the last build needs, besides a survey that matches
// it, to stand for a build into out now: it was written into out, it
// read every file and rendered every post (else it is never final), and
// no future post has come due since.
func (b *incremental) lastStands(now time.Time, out Output) bool {
	l := b.last
	return l != nil && b.settled && l.unreadable == 0 && !l.renderFailed &&
		(l.nextPublish.IsZero() || now.Before(l.nextPublish)) &&
		b.lastOut == out
}
