package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/syndicate/syndicate/feedgen"
	"github.com/syndicate/syndicate/pipeline"
	"github.com/syndicate/syndicate/server"
)

// buildFunc runs the pipeline as of now: what it did, and the snapshot
// to serve.
type buildFunc func(ctx context.Context, now time.Time) (*pipeline.Result, *feedgen.Snapshot, error)

// rebuilder is the one path every rebuild takes, whatever triggered it
// (start, schedule, SIGHUP): it holds a one-slot semaphore while building,
// so two rebuilds never run at once, and a trigger arriving meanwhile
// waits its turn rather than being dropped (a SIGHUP sent after an edit
// must see the edit). A build that fails or panics leaves the served set
// as it was.
type rebuilder struct {
	build  buildFunc
	srv    *server.Handler
	log    *slog.Logger
	now    func() time.Time
	outDir string // written after each changed build when non-empty
	// redact, when set, rewrites error text before /readyz shows it (for
	// example hiding the server's folder layout); logs keep the full text.
	redact func(string) string

	// stop releases what the build function holds (a folder watch).
	stop func()

	// timeout bounds a rebuild (server.rebuild_timeout; 0: none). A build
	// running longer is cancelled and recorded as failed and stalled; one
	// that has not returned grace after its cancellation is abandoned,
	// renew (when set) gives build a fresh pipeline for the next trigger,
	// since the abandoned one may still be using the old.
	timeout, grace time.Duration
	renew          func()

	sem        chan struct{}
	outputDone bool // the output folder holds the served set; under sem
}

func newRebuilder(build buildFunc, srv *server.Handler, log *slog.Logger, outDir string) *rebuilder {
	return &rebuilder{build: build, srv: srv, log: log, now: time.Now, outDir: outDir, sem: make(chan struct{}, 1)}
}

// rebuild builds, publishes and records one rebuild. It returns the
// build's error; a cancelled ctx (shutdown) is returned without being
// recorded as a failure.
func (rb *rebuilder) rebuild(ctx context.Context, trigger string) error {
	select {
	case rb.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-rb.sem }()

	start := time.Now()
	bctx, cancel := context.WithCancel(ctx)
	defer cancel()
	b, stalled := rb.boundedBuild(bctx, cancel)
	res, snap, err := b.res, b.snap, b.err
	took := time.Since(start)
	rep := &server.Report{
		Time: start, Trigger: trigger, Result: "ok",
		Duration: took.Round(time.Millisecond).String(), DurationMS: took.Milliseconds(),
	}
	if stalled && ctx.Err() == nil {
		rep.Result, rep.Stalled = "failed", true
		rep.Error = fmt.Sprintf("rebuild stalled: still running after server.rebuild_timeout (%s); cancelled", rb.timeout)
		rb.srv.Record(rep)
		rb.log.Error("rebuild stalled and was cancelled; still serving the previous feeds", "trigger", trigger,
			"started", start, "timeout", rb.timeout, "err", err)
		if err == nil {
			err = errors.New(rep.Error)
		}
		return err
	}
	if err != nil {
		if ctx.Err() != nil {
			rb.log.Info("rebuild cancelled", "trigger", trigger)
			return err
		}
		rep.Result, rep.Error = "failed", rb.public(err)
		rb.srv.Record(rep)
		rb.log.Error("rebuild failed; still serving the previous feeds", "trigger", trigger, "err", err, "duration", took.Round(time.Millisecond))
		return err
	}

	st := rb.srv.Publish(snap)
	if rb.outDir != "" && (st.Changed > 0 || !rb.outputDone) {
		if o, err := snap.WriteTree(bctx, rb.outDir); err != nil {
			rep.OutputError = rb.public(err)
			rb.outputDone = false
			rb.log.Error("writing the output folder failed; serving the new feeds anyway", "dir", rb.outDir, "err", err)
		} else {
			rb.outputDone = true
			rb.log.Debug("output folder written", "dir", rb.outDir, "unchanged", o.Unchanged,
				"written", o.Written, "linked", o.Linked, "copied", o.Copied)
		}
	}
	rep.Unchanged = res.Unchanged
	rep.Counts = &server.Counts{
		Read: res.Read, Posts: res.Published, Skipped: len(res.Skipped),
		Feeds: res.Feeds, Documents: st.Documents, Changed: st.Changed,
	}
	rb.srv.Record(rep)
	for _, s := range res.Skipped {
		rb.log.Warn("skipped file", "path", s.Path, "err", s.Err)
	}
	for _, w := range res.Warnings {
		rb.log.Debug("build warning", "warning", w)
	}
	if res.Unchanged {
		rb.log.Info("rebuild: no file changed", "trigger", trigger, "duration", took.Round(time.Millisecond),
			"surveyed", res.Surveyed)
		return nil
	}
	rb.log.Info("rebuild", "trigger", trigger, "posts", res.Published, "feeds", res.Feeds,
		"documents", st.Documents, "changed", st.Changed, "skipped", len(res.Skipped),
		"duration", took.Round(time.Millisecond), "surveyed", res.Surveyed, "changed_files_only", res.Rescanned)
	return nil
}

// built is what one build returned.
type built struct {
	res  *pipeline.Result
	snap *feedgen.Snapshot
	err  error
}

// boundedBuild runs the build, cancelling it (cancel) once it has run
// for rb.timeout. stalled reports that; the build's error is then
// whatever it returned when cancelled, or nil when it had not returned
// rb.grace later and was abandoned (rb.renew is called: the next build
// must not share its state).
func (rb *rebuilder) boundedBuild(ctx context.Context, cancel context.CancelFunc) (b built, stalled bool) {
	if rb.timeout <= 0 {
		b.res, b.snap, b.err = rb.safeBuild(ctx, rb.now())
		return b, false
	}
	done := make(chan built, 1)
	go func() {
		var b built
		b.res, b.snap, b.err = rb.safeBuild(ctx, rb.now())
		done <- b
	}()
	timer := time.NewTimer(rb.timeout)
	defer timer.Stop()
	select {
	case b := <-done:
		return b, false
	case <-ctx.Done(): // shutdown: wait for the build to notice
		return <-done, false
	case <-timer.C:
	}
	cancel()
	grace := time.NewTimer(rb.grace)
	defer grace.Stop()
	select {
	case b := <-done:
		return built{err: b.err}, true
	case <-grace.C:
	}
	rb.log.Error("a stalled rebuild did not stop when cancelled; abandoning it, the next rebuild starts afresh", "grace", rb.grace)
	if rb.renew != nil {
		rb.renew()
	}
	return built{}, true
}

// public is an error's text as /readyz may show it.
func (rb *rebuilder) public(err error) string {
	if rb.redact == nil {
		return err.Error()
	}
	return rb.redact(err.Error())
}

// safeBuild turns a panic in the pipeline into an error, so the SIGHUP
// path survives one too and the semaphore is always released.
func (rb *rebuilder) safeBuild(ctx context.Context, now time.Time) (res *pipeline.Result, snap *feedgen.Snapshot, err error) {
	defer func() {
		if p := recover(); p != nil {
			rb.log.Error("rebuild panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			res, snap, err = nil, nil, fmt.Errorf("rebuild panicked: %v", p)
		}
	}()
	res, snap, err = rb.build(ctx, now)
	if err == nil && (res == nil || snap == nil) {
		err = errors.New("build returned no documents")
	}
	return res, snap, err
}
