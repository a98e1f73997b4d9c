package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

var filepathAbs = filepath.Abs

// HTTP server limits. Feeds are small and fetched by machines: a client
// gets 10 s to send its request and 60 s to read a response.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 32 << 10
	// shutdownTimeout bounds the wait for in-flight requests and a running
	// rebuild on SIGTERM; below Docker's default 10 s stop grace period.
	shutdownTimeout = 8 * time.Second
)

// cmdServe builds once, then serves the feeds from memory and rebuilds on
// the schedule and on SIGHUP until ctx is cancelled (SIGTERM, SIGINT).
func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "config.yaml", "config `file`")
	listen := fs.String("listen", "", "listen `address` (overrides server.listen), e.g. 127.0.0.1:8080")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "syndicate serve: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	cfg, ok := loadConfig(*configPath, stderr)
	if !ok {
		return exitUsage
	}
	if *listen != "" {
		cfg.Server.Listen = *listen
	}
	log := newLogger(cfg.Log, stderr)
	ln, err := net.Listen("tcp", cfg.Server.Listen)
	if err != nil {
		log.Error("cannot listen", "addr", cfg.Server.Listen, "err", err)
		return exitFailed
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	return serve(ctx, cfg, ln, log, hup)
}

// serve runs the service on ln until ctx is done. The listener is up
// before the first build so /healthz answers (and feeds say 503) while a
// large site builds; if that first build fails the service exits with
// exitFailed, since there is nothing to serve and the cause is almost
// always the configuration (e.g. a wrong content_dir). Later failures keep
// the last good feeds serving.
func serve(ctx context.Context, cfg *Config, ln net.Listener, log *slog.Logger, hup <-chan os.Signal) int {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sched, err := ParseSchedule(cfg.Schedule)
	if err != nil { // validated at load; only a caller's own Config gets here
		log.Error("bad schedule", "schedule", cfg.Schedule, "err", err)
		ln.Close()
		return exitUsage
	}

	srv := newFeedServer(cfg.Server.PathPrefix, cfg.Server.CacheControl)
	var handler http.Handler = srv
	if cfg.Server.AccessLog {
		handler = accessLog(log)(handler)
	}
	hs := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- hs.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "path_prefix", cfg.Server.PathPrefix, "schedule", cfg.Schedule)

	outDir := ""
	if cfg.Server.WriteOutput {
		outDir = cfg.resolve(cfg.OutputDir)
	}
	rb := newRebuilder(func(ctx context.Context, now time.Time) (*BuildResult, error) {
		return runBuild(ctx, cfg, now)
	}, srv, log, outDir)

	if err := rb.rebuild(ctx, "start"); err != nil {
		code := exitFailed
		if ctx.Err() != nil {
			code = exitOK // stopped during the first build
		} else {
			log.Error("first build failed; exiting", "err", err)
		}
		shutdownHTTP(hs, log)
		return code
	}

	c := startScheduler(ctx, sched, rb, log)
	hupDone := make(chan struct{})
	go func() {
		defer close(hupDone)
		rebuildOnSignal(ctx, hup, rb)
	}()

	code := exitOK
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err := <-serveErr:
		log.Error("HTTP server stopped", "err", err)
		code = exitFailed
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
	return code
}

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
