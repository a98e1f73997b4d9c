package main

import (
	"context"
	"time"

	"github.com/syndicate/syndicate/feedgen"
)

// incrementalBuild is serve's pipeline. Each run first surveys the content
// folder (names, sizes and times, no file opened); when the survey matches
// the last good build's and no future post has fallen due since, that
// build stands and nothing is read, rendered or encoded. Otherwise the
// folder is scanned through the cache, so only changed files are read,
// and only documents whose inputs changed are encoded.
type incrementalBuild struct {
	cfg *Config
	// served is the snapshot being served, whose documents a build reuses.
	served func() *feedgen.Snapshot

	// The last good build and the survey it was made from; only touched
	// by run, which the rebuilder never calls twice at once.
	last     *BuildResult
	stamp    [32]byte
	settled  bool
	lastSnap *feedgen.Snapshot
}

func (b *incrementalBuild) run(ctx context.Context, now time.Time) (*BuildResult, error) {
	start := time.Now()
	sc, err := newScanner(b.cfg, now)
	if err != nil {
		return nil, err
	}
	sv, err := sc.Survey()
	if err != nil {
		return nil, err
	}
	if b.stands(sv.Stamp, sv.Settled, now) {
		res := *b.last
		res.Unchanged = true
		res.Snapshot = b.lastSnap
		res.Output = nil
		res.Duration = time.Since(start)
		return &res, nil
	}
	scanned, err := sc.ScanSurvey(ctx, sv)
	if err != nil {
		return nil, err
	}
	res, err := planScanned(ctx, b.cfg, sc, scanned)
	if err != nil {
		return nil, err
	}
	if res.Snapshot, err = res.Plan.Build(ctx, b.served()); err != nil {
		return nil, err
	}
	res.Duration = time.Since(start)
	b.last, b.stamp, b.settled, b.lastSnap = res, sv.Stamp, sv.Settled, res.Snapshot
	return res, nil
}

// stands says whether the last build still holds for a survey taken now.
// Both surveys must be settled: a file written within racyWindow of a
// survey may change again without its times moving. A build that could
// not read a file, or render a post, is never taken as final.
func (b *incrementalBuild) stands(stamp [32]byte, settled bool, now time.Time) bool {
	l := b.last
	return l != nil && b.settled && settled && stamp == b.stamp &&
		l.unreadable == 0 && !l.renderFailed &&
		(l.nextPublish.IsZero() || now.Before(l.nextPublish)) &&
		b.served() == b.lastSnap
}
