package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/syndicate/syndicate/config"
	"github.com/syndicate/syndicate/feedgen"
	"github.com/syndicate/syndicate/outtree"
	"github.com/syndicate/syndicate/pipeline"
	"github.com/syndicate/syndicate/rebuild"
	"github.com/syndicate/syndicate/server"
)

// shutdownTimeout bounds the wait for in-flight requests and a running
// rebuild on SIGTERM; below Docker's default 10 s stop grace period.
const shutdownTimeout = 8 * time.Second

// cmdServe builds once, then serves the feeds from memory and rebuilds on
// the schedule and on SIGHUP until ctx is cancelled (SIGTERM, SIGINT).
func cmdServe(ctx context.Context, args []string, stderr io.Writer) error {
	fs := newFlags("serve", stderr)
	configPath := fs.String("config", "config.yaml", "config `file`")
	listen := fs.String("listen", "", "listen `address` (overrides server.listen), e.g. 127.0.0.1:8080")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	st, err := loadSettings(*configPath, config.Options{Listen: *listen})
	if err != nil {
		return err
	}
	if st.Server.WriteOutput {
		if err := outtree.CheckReplaceable(st.OutputDir); err != nil {
			return &usageError{err} // it names output_dir
		}
	}
	log := newLogger(st.Log, stderr)
	limitMemory(serveMemoryLimit)
	ln, err := net.Listen("tcp", st.Server.Listen)
	if err != nil {
		log.Error("cannot listen", "addr", st.Server.Listen, "err", err)
		return &reportedError{err, exitFailed}
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	return serve(ctx, st, cacheFile(st, log), ln, log, hup)
}

// serve runs the service on ln until ctx is done. The listener is up
// before the first build so /healthz answers (and feeds say 503) while a
// large site builds; if that first build fails the service exits with
// exitFailed, since there is nothing to serve and the cause is almost
// always the configuration (e.g. a wrong content_dir). Later failures keep
// the last good feeds serving. The cache is kept in cacheFile (when set)
// after the first build, so that a restart after a crash starts warm, and
// at exit. Failures are logged; the error returned only carries the exit
// status.
func serve(ctx context.Context, st *config.Settings, cacheFile string, ln net.Listener, log *slog.Logger, hup <-chan os.Signal) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	srv := server.New(st.Server.PathPrefix, st.Server.CacheControl, log)
	srv.BrowserPages = st.Server.BrowserPages == "negotiate"
	if st.Server.WordPressURLs {
		srv.WordPress = &server.WordPress{TagBase: st.Server.WordPressTagBase, CategoryBase: st.Server.WordPressCategoryBase}
	}
	srv.StaleAfter = st.Server.StaleAfter
	var handler http.Handler = srv
	if st.Server.AccessLog {
		handler = server.AccessLog(log)(handler)
	}
	hs := server.NewHTTPServer(handler, log, server.DefaultTimeouts)
	serveErr := make(chan error, 1)
	go func() { serveErr <- hs.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "path_prefix", st.Server.PathPrefix, "schedule", st.Spec)

	state, err := openState(ctx, st)
	if err != nil {
		shutdownHTTP(hs, log)
		log.Error("cannot open the publication state; exiting", "err", err)
		return &reportedError{err, exitFailed}
	}
	defer state.Close()
	withState := *st
	withState.Pipeline.State = state
	rb, saveCache := newServeRebuilder(&withState, cacheFile, srv, log)
	defer saveCache()
	defer rb.Close()

	if err := rb.Rebuild(ctx, "start"); err != nil {
		shutdownHTTP(hs, log)
		if ctx.Err() != nil {
			return nil // stopped during the first build
		}
		log.Error("first build failed; exiting", "err", err)
		return &reportedError{err, exitFailed}
	}

	saveCache()
	c := rb.Schedule(ctx, st.Schedule)
	hupDone := make(chan struct{})
	go func() {
		defer close(hupDone)
		rb.OnSignal(ctx, hup)
	}()

	var failed error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err := <-serveErr:
		log.Error("HTTP server stopped", "err", err)
		failed = &reportedError{err, exitFailed}
	}
	// No new rebuilds; a running one sees ctx cancelled and stops early.
	cronDone := c.Stop()
	cancel()
	shutdownHTTP(hs, log)
	wait, stop := context.WithTimeout(context.Background(), shutdownTimeout)
	defer stop()
	select {
	case <-cronDone.Done():
	case <-wait.Done():
		log.Warn("a scheduled rebuild did not stop in time")
	}
	select {
	case <-hupDone:
	case <-wait.Done():
		log.Warn("a SIGHUP rebuild did not stop in time")
	}
	log.Info("stopped")
	return failed
}

// newServeRebuilder is serve's rebuilder: an incremental pipeline into a
// snapshot held in memory (documents gzip-compressed: a quarter of the
// memory, and the gzip response most readers ask for is ready), the
// output folder written when server.write_output is on, and folder names
// hidden from /readyz. saveCache writes the current pipeline's cache; it
// must not run during a rebuild. A rebuild that stalls past
// server.rebuild_timeout and ignores its cancellation is abandoned with its
// pipeline, which is closed if it ever returns; the next one starts a
// fresh pipeline (a full scan).
func newServeRebuilder(st *config.Settings, cacheFile string, srv *server.Handler, log *slog.Logger) (rb *rebuild.Rebuilder, saveCache func()) {
	outDir := ""
	if st.Server.WriteOutput {
		outDir = st.OutputDir
	}
	pc := st.Pipeline
	pc.CacheFile = cacheFile
	pc.Feeds.Compressed = true
	pc.Incremental, pc.Watch, pc.Log = true, st.Watch, log
	type current struct {
		builder *pipeline.Builder
		mem     *pipeline.Memory
	}
	// cur is replaced only under rb.sem; an abandoned build keeps the
	// pair it started with.
	var cur atomic.Pointer[current]
	cur.Store(&current{pipeline.New(pc), new(pipeline.Memory)})
	build := func(ctx context.Context, now time.Time) (*pipeline.Result, *feedgen.Snapshot, error) {
		c := cur.Load()
		res, err := c.builder.Build(ctx, now, c.mem)
		if pc.State != nil && err == nil {
			// Feeds empty for longer than keep_empty answer 410.
			srv.SetGone(pc.State.Gone(now, pc.KeepEmpty))
		}
		return res, c.mem.Snapshot(), err
	}
	rb = rebuild.New(build, srv, log, outDir)
	rb.Timeout, rb.Grace = st.Server.RebuildTimeout, stalledGrace
	rb.Renew = func() func() {
		old := cur.Swap(&current{pipeline.New(pc), new(pipeline.Memory)})
		return func() { old.builder.Close() } // once the abandoned build is done with it
	}
	rb.Release = func() { cur.Load().builder.Close() }
	rb.Redact = server.Redactor(st.Folders)
	return rb, func() { cur.Load().builder.SaveCache() }
}

// stalledGrace is how long a cancelled stalled rebuild gets to return
// before it is abandoned.
const stalledGrace = 30 * time.Second

// shutdownHTTP stops accepting connections and waits for in-flight
// requests, up to shutdownTimeout.
func shutdownHTTP(hs *http.Server, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(ctx); err != nil {
		log.Warn("HTTP shutdown did not finish in time; closing connections", "err", err)
		hs.Close()
	}
}
