package rebuild

import (
	"context"
	"io"
	"log/slog"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/syndicate/syndicate/feedgen"
	"github.com/syndicate/syndicate/pipeline"
	"github.com/syndicate/syndicate/server"
)

// TestJobChainRecoversPanics runs a panicking job through the scheduler's
// chain several times: each run must happen. The reversed chain shows the
// cron v3.0.1 behaviour the order guards against.
func TestJobChainRecoversPanics(t *testing.T) {
	l := cronLogger{slog.New(slog.NewTextHandler(io.Discard, nil))}
	run := func(wrappers []cron.JobWrapper) int {
		var runs int
		job := cron.NewChain(wrappers...).Then(cron.FuncJob(func() {
			runs++
			panic("boom")
		}))
		for range 3 {
			func() {
				defer func() { recover() }() // the reversed chain re-panics nowhere, but be safe
				job.Run()
			}()
		}
		return runs
	}
	if got := run(jobWrappers(l)); got != 3 {
		t.Errorf("scheduler chain: %d of 3 runs happened", got)
	}
	w := jobWrappers(l)
	if got := run([]cron.JobWrapper{w[1], w[0]}); got != 1 {
		t.Errorf("reversed chain: %d runs; expected the wedge (1 run) this order is there to avoid", got)
	}
}

func TestSchedulerKeepsRunningAfterPanics(t *testing.T) {
	srv := server.New("", "", nil)
	var calls atomic.Int32
	rb := New(func(ctx context.Context, now time.Time) (*pipeline.Result, *feedgen.Snapshot, error) {
		if calls.Add(1) <= 2 {
			panic("scheduled boom")
		}
		return &pipeline.Result{}, stubSnapshot(), nil
	}, srv, discard, "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := rb.Schedule(ctx, everySchedule(5*time.Millisecond))
	deadline := time.Now().Add(5 * time.Second)
	for calls.Load() < 5 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	<-c.Stop().Done()
	if calls.Load() < 5 {
		t.Fatalf("only %d scheduled runs after two panics", calls.Load())
	}
	if srv.Served() == nil || srv.Status().Last.Trigger != "schedule" {
		t.Error("no successful scheduled rebuild")
	}
}

// TestSighupWaitsForRunningRebuild: a SIGHUP during a scheduled rebuild is
// not dropped; it runs once that rebuild has finished.
func TestSighupWaitsForRunningRebuild(t *testing.T) {
	srv := server.New("", "", nil)
	release := make(chan struct{})
	started := make(chan string, 4)
	var active atomic.Int32
	rb := New(func(ctx context.Context, now time.Time) (*pipeline.Result, *feedgen.Snapshot, error) {
		if active.Add(1) != 1 {
			t.Error("overlapping rebuilds")
		}
		defer active.Add(-1)
		started <- "build"
		<-release
		return &pipeline.Result{}, stubSnapshot(), nil
	}, srv, discard, "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go rb.Rebuild(ctx, "schedule")
	<-started
	hup := make(chan os.Signal, 1)
	hupDone := make(chan struct{})
	go func() { defer close(hupDone); rb.OnSignal(ctx, hup) }()
	hup <- os.Interrupt
	select {
	case <-started:
		t.Fatal("SIGHUP rebuild started while the scheduled one was running")
	case <-time.After(50 * time.Millisecond):
	}
	release <- struct{}{} // finish the scheduled rebuild
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("SIGHUP rebuild never ran")
	}
	release <- struct{}{}
	deadline := time.Now().Add(5 * time.Second)
	for (srv.Status() == nil || srv.Status().Last.Trigger != "sighup") && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if st := srv.Status(); st == nil || st.Last.Trigger != "sighup" {
		t.Error("last rebuild is not the SIGHUP one")
	}
	cancel()
	<-hupDone
}
