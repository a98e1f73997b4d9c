package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/syndicate/syndicate/feedgen"
	"github.com/syndicate/syndicate/source"
)

// incrementalBuild is serve's pipeline. Each run first surveys the content
// folder (names, sizes and times, no file opened); when the survey matches
// the last good build's and no future post has fallen due since, that
// build stands and nothing is read, rendered or encoded. Otherwise the
// survey is compared with what the last scan found in every file
// (source.Index): only the files that differ are read, the other posts
// are kept as they were, the plan is made from the last one, and only
// documents whose inputs changed are encoded.
//
// Where the kernel can report changes (a source.Watcher, Linux inotify on
// a local file system), a run does not survey at all: one that heard of no
// change keeps the last build, and one told which files changed stats
// and reads only those (source.Index), unless a folder changed or
// surveyAtLeast has passed since the last survey.
type incrementalBuild struct {
	cfg *Config
	// served is the snapshot being served, whose documents a build reuses.
	served func() *feedgen.Snapshot
	log    *slog.Logger // may be nil

	// The last good build and the survey it was made from; only touched
	// by run, which the rebuilder never calls twice at once.
	last       *BuildResult
	stamp      [32]byte
	settled    bool
	symlinks   bool
	surveyedAt time.Time
	lastSnap   *feedgen.Snapshot
	// index is what the last scan found in every file; nil after a
	// failed run.
	index *source.Index

	watch *source.Watcher
	// watchOff: the folder cannot be watched (or serve is stopping), so
	// no run tries again.
	watchOff bool
	surveys  int // taken so far, for tests
	rescans  int // runs that read only the files that changed, for tests
}

// surveyAtLeast bounds how long a watcher alone may stand for surveys:
// a lost event (which inotify should never lose unnoticed) cannot keep a
// change out of the feeds for longer.
const surveyAtLeast = time.Hour

func (b *incrementalBuild) run(ctx context.Context, now time.Time) (*BuildResult, error) {
	start := time.Now()
	b.startWatching()
	changes, watched := b.changes()
	if !watched && b.watch == nil && !b.watchOff {
		// The watch failed (the folder was replaced, say): watch again
		// before the survey.
		b.startWatching()
		watched = b.watch != nil
	}
	if watched && !changes.All && b.index != nil && b.mayRescan() {
		if changes.None() && !b.index.Pending() && b.standsWithoutSurvey(now) {
			return b.unchanged(start), nil
		}
		res, err := b.rescan(ctx, now, changes.Files, start)
		if !errors.Is(err, source.ErrRescan) {
			return res, err
		}
		// A symlink or some such: the survey below sees to it.
	}
	sc, err := newScanner(b.cfg, now)
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
	if b.stands(sv.Stamp, sv.Settled, now) && ix != nil {
		b.surveyedAt, b.index = surveyedAt, ix
		return b.unchanged(start), nil
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
	res, err := b.finish(ctx, sc, scanned, start)
	if err != nil {
		b.index = nil
		return nil, err
	}
	b.stamp, b.settled = sv.Stamp, sv.Settled
	b.symlinks, b.surveyedAt = sv.Symlinks > 0, surveyedAt
	return res, nil
}

// rescan is a run that stats and reads only the files events named (and
// those the index holds pending). It returns source.ErrRescan, with the
// index as it was, for changes that need a survey.
func (b *incrementalBuild) rescan(ctx context.Context, now time.Time, files []string, start time.Time) (*BuildResult, error) {
	sc, err := newScanner(b.cfg, now)
	if err != nil {
		return nil, err
	}
	scanned, err := sc.Rescan(ctx, b.index, files)
	if errors.Is(err, source.ErrRescan) {
		return nil, err
	}
	if err == nil {
		b.rescans++
		var res *BuildResult
		if res, err = b.finish(ctx, sc, scanned, start); err == nil {
			b.stamp, b.settled = b.index.Stamp(), b.index.Settled()
			return res, nil
		}
	}
	// The index may hold changes no build took: the next run surveys.
	b.index = nil
	return nil, err
}

// finish plans and encodes the documents of a scan, reusing the served
// ones whose inputs did not change, and records the build as the last.
func (b *incrementalBuild) finish(ctx context.Context, sc *source.Scanner, scanned *source.Result, start time.Time) (*BuildResult, error) {
	prev := b.served()
	var prevPlan *feedgen.Plan
	if b.last != nil {
		prevPlan = b.last.Plan
	}
	res, err := planScannedFrom(ctx, b.cfg, sc, scanned, prevPlan, true, func(p *feedgen.Plan) []*source.Post { return p.PostsToEncode(prev) })
	if err != nil {
		return nil, err
	}
	if res.Snapshot, err = res.Plan.Build(ctx, prev); err != nil {
		return nil, err
	}
	// The documents are encoded: their posts' HTML goes, their sums stay
	// (the cache keeps no HTML either; see source.Cache.KeepSumsOnly).
	for _, x := range res.Plan.Needed {
		x.ContentHTML, x.SummaryHTML, x.SummaryText = "", "", ""
	}
	res.Duration = time.Since(start)
	b.last, b.lastSnap = res, res.Snapshot
	return res, nil
}

// mayRescan says whether the last run left what a rescan builds on: a
// build, no symlinked files (whose targets may change unwatched), no post
// that failed to render (which a survey retries), and a survey recent
// enough.
func (b *incrementalBuild) mayRescan() bool {
	return b.last != nil && !b.last.renderFailed && !b.symlinks && time.Since(b.surveyedAt) < surveyAtLeast
}

// close stops watching the content folder.
func (b *incrementalBuild) close() {
	if b.watch != nil {
		b.watch.Close()
		b.watch = nil
	}
	b.watchOff = true
}

// unchanged is the last build, standing for this run.
func (b *incrementalBuild) unchanged(start time.Time) *BuildResult {
	res := *b.last
	res.Unchanged = true
	res.Snapshot = b.lastSnap
	res.Output = nil
	res.Duration = time.Since(start)
	return &res
}

// startWatching sets up the watcher before a run surveys, so that every
// change after that survey raises an event. A folder on a file system
// that cannot be watched is never tried again; one that is missing, or
// was replaced, is tried on every run (the survey reports what is wrong).
func (b *incrementalBuild) startWatching() {
	if b.watch != nil || b.watchOff {
		return
	}
	w, err := source.NewWatcher(b.cfg.resolve(b.cfg.ContentDir))
	if errors.Is(err, source.ErrNotWatchable) {
		b.watchOff = true
		if b.log != nil {
			b.log.Info("content folder not watched; every rebuild surveys it", "reason", err)
		}
		return
	}
	if err != nil {
		return
	}
	b.watch = w
}

// changes drains the watcher's events: what changed since the last run,
// and whether the folder is watched at all.
func (b *incrementalBuild) changes() (source.Changes, bool) {
	if b.watch == nil {
		return source.Changes{All: true}, false
	}
	c, err := b.watch.Changes()
	if err != nil {
		// The next run watches afresh, before its survey.
		if b.log != nil && !errors.Is(err, source.ErrRootGone) {
			b.log.Warn("content folder watch failed; surveying it", "err", err)
		}
		b.watch.Close()
		b.watch = nil
		b.index = nil
		return source.Changes{All: true}, false
	}
	return c, true
}

// stands says whether the last build still holds for a survey taken now.
// Both surveys must be settled: a file written within racyWindow of a
// survey may change again without its times moving.
func (b *incrementalBuild) stands(stamp [32]byte, settled bool, now time.Time) bool {
	return b.standsWithoutSurvey(now) && settled && stamp == b.stamp
}

// standsWithoutSurvey is what stands needs besides the survey: a build
// that could not read a file, or render a post, is never taken as final,
// nor one a future post has come due for.
func (b *incrementalBuild) standsWithoutSurvey(now time.Time) bool {
	l := b.last
	return l != nil && b.settled && l.unreadable == 0 && !l.renderFailed &&
		(l.nextPublish.IsZero() || now.Before(l.nextPublish)) &&
		b.served() == b.lastSnap
}
