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
	res, snap, err := rb.safeBuild(ctx, rb.now())
	took := time.Since(start)
	rep := &server.Report{
		Time: start, Trigger: trigger, Result: "ok",
		Duration: took.Round(time.Millisecond).String(), DurationMS: took.Milliseconds(),
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
		if o, err := snap.WriteTree(ctx, rb.outDir); err != nil {
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
