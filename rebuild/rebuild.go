// Package rebuild runs serve's rebuilds: one at a time, whatever
// triggered them (the first build, the cron schedule, SIGHUP), each
// bounded by a timeout, publishing the pipeline's snapshot to the server
// and, when asked, to the output folder. It joins the two packages that
// know nothing of each other, pipeline and server.
package rebuild

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

// BuildFunc runs the pipeline as of now: what it did, and the snapshot
// to serve.
type BuildFunc func(ctx context.Context, now time.Time) (*pipeline.Result, *feedgen.Snapshot, error)

// Rebuilder is the one path every rebuild of serve takes, whatever
// triggered it (start, schedule, SIGHUP): it holds a one-slot semaphore
// while building, so two rebuilds never run at once, and a trigger
// arriving meanwhile waits its turn rather than being dropped (a SIGHUP
// sent after an edit must see the edit). A build that fails or panics
// leaves the served set as it was. Set the optional fields before the
// first Rebuild; they are not changed afterwards.
type Rebuilder struct {
	Build  BuildFunc
	Server *server.Handler
	Log    *slog.Logger
	Now    func() time.Time
	OutDir string // written after each changed build when non-empty
	// Redact, when set, rewrites error text before /readyz shows it (for
	// example hiding the server's folder layout); logs keep the full text.
	Redact func(string) string

	// Release, when set, releases what Build holds (a folder watch); Close
	// calls it.
	Release func()

	// Timeout bounds a rebuild (server.rebuild_timeout; 0: none). A build
	// running longer is cancelled and recorded as failed and stalled; one
	// that has not returned Grace after its cancellation is abandoned, and
	// Renew (when set) gives Build a fresh pipeline for the next trigger,
	// since the abandoned one may still be using the old. Renew returns
	// what releases the old pipeline (its folder watch), or nil; it is
	// called once the abandoned build returns, if it ever does.
	Timeout, Grace time.Duration
	Renew          func() (retire func())

	sem        chan struct{}
	outputDone bool // the output folder holds the served set; under sem
}

// New is a Rebuilder publishing build's snapshots to srv, and writing
// them to outDir when it is not empty.
func New(build BuildFunc, srv *server.Handler, log *slog.Logger, outDir string) *Rebuilder {
	return &Rebuilder{Build: build, Server: srv, Log: log, Now: time.Now, OutDir: outDir, sem: make(chan struct{}, 1)}
}

// Close calls Release once no rebuild runs, and keeps any later one from
// starting; when a rebuild is still running it returns at once (the
// process is ending anyway).
func (rb *Rebuilder) Close() {
	select {
	case rb.sem <- struct{}{}:
		if rb.Release != nil {
			rb.Release()
		}
	default:
	}
}

// Rebuild builds, publishes and records one rebuild. It returns the
// build's error; a cancelled ctx (shutdown) is returned without being
// recorded as a failure.
func (rb *Rebuilder) Rebuild(ctx context.Context, trigger string) error {
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
		rep.Error = fmt.Sprintf("rebuild stalled: still running after server.rebuild_timeout (%s); cancelled", rb.Timeout)
		rb.Server.Record(rep)
		rb.Log.Error("rebuild stalled and was cancelled; still serving the previous feeds", "trigger", trigger,
			"started", start, "timeout", rb.Timeout, "err", err)
		if err == nil {
			err = errors.New(rep.Error)
		}
		return err
	}
	if err != nil {
		if ctx.Err() != nil {
			rb.Log.Info("rebuild cancelled", "trigger", trigger)
			return err
		}
		rep.Result, rep.Error = "failed", rb.public(err)
		rb.Server.Record(rep)
		rb.Log.Error("rebuild failed; still serving the previous feeds", "trigger", trigger, "err", err, "duration", took.Round(time.Millisecond))
		return err
	}

	st := rb.Server.Publish(snap)
	if rb.OutDir != "" && (st.Changed > 0 || !rb.outputDone) {
		if o, err := snap.WriteTree(bctx, rb.OutDir); err != nil {
			rep.OutputError = rb.public(err)
			rb.outputDone = false
			rb.Log.Error("writing the output folder failed; serving the new feeds anyway", "dir", rb.OutDir, "err", err)
		} else {
			rb.outputDone = true
			rb.Log.Debug("output folder written", "dir", rb.OutDir, "unchanged", o.Unchanged,
				"written", o.Written, "linked", o.Linked, "copied", o.Copied)
		}
	}
	rep.Unchanged = res.Unchanged
	rep.Counts = &server.Counts{
		Read: res.Read, Posts: res.Published, Skipped: len(res.Skipped),
		Feeds: res.Feeds, Documents: st.Documents, Changed: st.Changed,
	}
	rb.Server.Record(rep)
	for _, s := range res.Skipped {
		rb.Log.Warn("skipped file", "path", s.Path, "err", s.Err)
	}
	for _, w := range res.Warnings {
		rb.Log.Debug("build warning", "warning", w)
	}
	if res.Unchanged {
		rb.Log.Info("rebuild: no file changed", "trigger", trigger, "duration", took.Round(time.Millisecond),
			"surveyed", res.Surveyed)
		return nil
	}
	rb.Log.Info("rebuild", "trigger", trigger, "posts", res.Published, "feeds", res.Feeds,
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
// for rb.Timeout. stalled reports that; the build's error is then
// whatever it returned when cancelled, or nil when it had not returned
// rb.Grace later and was abandoned (rb.Renew is called: the next build
// must not share its state; what it returns releases the old state once
// the abandoned build returns).
func (rb *Rebuilder) boundedBuild(ctx context.Context, cancel context.CancelFunc) (b built, stalled bool) {
	if rb.Timeout <= 0 {
		b.res, b.snap, b.err = rb.safeBuild(ctx, rb.Now())
		return b, false
	}
	done := make(chan built, 1)
	go func() {
		var b built
		b.res, b.snap, b.err = rb.safeBuild(ctx, rb.Now())
		done <- b
	}()
	timer := time.NewTimer(rb.Timeout)
	defer timer.Stop()
	select {
	case b := <-done:
		return b, false
	case <-ctx.Done(): // shutdown: wait for the build to notice
		return <-done, false
	case <-timer.C:
	}
	cancel()
	grace := time.NewTimer(rb.Grace)
	defer grace.Stop()
	select {
	case b := <-done:
		return built{err: b.err}, true
	case <-grace.C:
	}
	rb.Log.Error("a stalled rebuild did not stop when cancelled; abandoning it, the next rebuild starts afresh", "grace", rb.Grace)
	if rb.Renew != nil {
		if retire := rb.Renew(); retire != nil {
			go func() {
				<-done // never, if the build never returns
				retire()
				rb.Log.Info("the abandoned rebuild returned; its pipeline is released")
			}()
		}
	}
	return built{}, true
}

// public is an error's text as /readyz may show it.
func (rb *Rebuilder) public(err error) string {
	if rb.Redact == nil {
		return err.Error()
	}
	return rb.Redact(err.Error())
}

// safeBuild turns a panic in the pipeline into an error, so the SIGHUP
// path survives one too and the semaphore is always released.
func (rb *Rebuilder) safeBuild(ctx context.Context, now time.Time) (res *pipeline.Result, snap *feedgen.Snapshot, err error) {
	defer func() {
		if p := recover(); p != nil {
			rb.Log.Error("rebuild panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			res, snap, err = nil, nil, fmt.Errorf("rebuild panicked: %v", p)
		}
	}()
	res, snap, err = rb.Build(ctx, now)
	if err == nil && (res == nil || snap == nil) {
		err = errors.New("build returned no documents")
	}
	return res, snap, err
}
