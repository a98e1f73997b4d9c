package rebuild

import (
	"io"
	"log/slog"
	"testing"

	"github.com/robfig/cron/v3"
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
