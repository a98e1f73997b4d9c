package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/syndicate/syndicate/feedgen"
	"github.com/syndicate/syndicate/source"
)

// incrementalBuild is serve's pipeline. Each run first surveys the content
// folder (names, sizes and times, no file opened); when the survey matches
// the last good build's and no future post has fallen due since, that
// build stands and nothing is read, rendered or encoded. Otherwise the
// folder is scanned through the cache, so only changed files are read,
// and only documents whose inputs changed are encoded.
//
// Where the kernel can report changes (a source.Watcher, Linux inotify on
// a local file system), a run that heard of no change since the last
// survey does not even survey, except once surveyAtLeast has passed.
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

	watch      *source.Watcher
	watchTried bool
	surveys    int // taken so far, for tests
}

// surveyAtLeast bounds how long a watcher alone may stand for surveys:
// a lost event (which inotify should never lose unnoticed) cannot keep a
// change out of the feeds for longer.
const surveyAtLeast = time.Hour

func (b *incrementalBuild) run(ctx context.Context, now time.Time) (*BuildResult, error) {
	start := time.Now()
	b.startWatching()
	if b.quiet(now) {
		return b.unchanged(start), nil
	}
	sc, err := newScanner(b.cfg, now)
	if err != nil {
		return nil, err
	}
	surveyedAt := time.Now()
	b.surveys++
	sv, err := sc.Survey()
	if err != nil {
		return nil, err
	}
	if b.stands(sv.Stamp, sv.Settled, now) {
		b.surveyedAt = surveyedAt
		return b.unchanged(start), nil
	}
	scanned, err := sc.ScanSurvey(ctx, sv)
	if err != nil {
		return nil, err
	}
	prev := b.served()
	res, err := planScanned(ctx, b.cfg, sc, scanned, func(p *feedgen.Plan) []*source.Post { return p.PostsToEncode(prev) })
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
	b.last, b.stamp, b.settled, b.lastSnap = res, sv.Stamp, sv.Settled, res.Snapshot
	b.symlinks, b.surveyedAt = sv.Symlinks > 0, surveyedAt
	return res, nil
}

// close stops watching the content folder.
func (b *incrementalBuild) close() {
	if b.watch != nil {
		b.watch.Close()
		b.watch = nil
	}
	b.watchTried = true
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

// startWatching sets up the watcher once, before the first survey, so
// that every change after that survey raises an event.
func (b *incrementalBuild) startWatching() {
	if b.watchTried {
		return
	}
	b.watchTried = true
	w, err := source.NewWatcher(b.cfg.resolve(b.cfg.ContentDir))
	if err != nil {
		if b.log != nil {
			b.log.Info("content folder not watched; every rebuild surveys it", "reason", err)
		}
		return
	}
	b.watch = w
}

// quiet says whether the watcher heard of no change since the last
// survey, and the last build stands without surveying again. It drains
// the events either way: a survey that follows sees what they announced.
func (b *incrementalBuild) quiet(now time.Time) bool {
	if b.watch == nil {
		return false
	}
	changed, err := b.watch.Changed()
	if err != nil {
		if b.log != nil {
			b.log.Warn("content folder watch failed; every rebuild surveys it", "err", err)
		}
		b.watch.Close()
		b.watch = nil
		return false
	}
	return !changed && b.standsWithoutSurvey(now) && !b.symlinks &&
		time.Since(b.surveyedAt) < surveyAtLeast
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
