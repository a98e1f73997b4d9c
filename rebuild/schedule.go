package rebuild

import (
	"context"
	"log/slog"
	"os"

	"github.com/robfig/cron/v3"
)

// jobWrappers is the chain every scheduled job runs in. Order matters:
// cron v3.0.1's SkipIfStillRunning puts its token back only when the job
// returns normally, so a panic passing through it would make it skip
// every later run. Recover is therefore listed after it, which puts it
// inside: the panic stops there and SkipIfStillRunning sees a normal
// return.
func jobWrappers(l cron.Logger) []cron.JobWrapper {
	return []cron.JobWrapper{cron.SkipIfStillRunning(l), cron.Recover(l)}
}

// Schedule runs rebuilds on sched until Stop is called on the returned
// cron; ctx is every scheduled rebuild's context.
func (rb *Rebuilder) Schedule(ctx context.Context, sched cron.Schedule) *cron.Cron {
	l := cronLogger{rb.Log}
	c := cron.New(cron.WithChain(jobWrappers(l)...), cron.WithLogger(l))
	c.Schedule(sched, cron.FuncJob(func() { rb.Rebuild(ctx, "schedule") }))
	c.Start()
	return c
}

// OnSignal rebuilds once per signal received until ctx is done. Signals
// arriving during a rebuild coalesce in the channel's buffer.
func (rb *Rebuilder) OnSignal(ctx context.Context, sig <-chan os.Signal) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-sig:
			rb.Log.Info("SIGHUP: rebuilding now")
			rb.Rebuild(ctx, "sighup")
		}
	}
}

// cronLogger adapts slog to cron.Logger. cron's routine messages (wake,
// run, schedule) go to debug; a skipped run is worth an info line.
type cronLogger struct{ l *slog.Logger }

var _ cron.Logger = cronLogger{}

func (c cronLogger) Info(msg string, kv ...any) {
	level := slog.LevelDebug
	if msg == "skip" {
		level, msg = slog.LevelInfo, "skip: the previous scheduled rebuild is still running"
	}
	c.l.Log(context.Background(), level, "cron: "+msg, kv...)
}

func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "err", err)...)
}
