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
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/syndicate/syndicate/feedgen"
	"github.com/syndicate/syndicate/pipeline"
	"github.com/syndicate/syndicate/server"
	"github.com/syndicate/syndicate/source"
)

// serverTimeouts are the HTTP server's limits. Feeds are small and
// fetched by machines: a client gets 5 s to send its request line and
// headers, 10 s for the whole request and 60 s to read a response.
// Tests shrink them to see slow clients cut off quickly.
type serverTimeouts struct {
	ReadHeader, Read, Write, Idle time.Duration
	// MaxHeaderBytes bounds the request line and headers together; a
	// longer URL or header block is answered 431 and the connection closed.
	MaxHeaderBytes int
}

var defaultTimeouts = serverTimeouts{
	ReadHeader:     5 * time.Second,
	Read:           10 * time.Second,
	Write:          60 * time.Second,
	Idle:           120 * time.Second,
	MaxHeaderBytes: 32 << 10,
}

// shutdownTimeout bounds the wait for in-flight requests and a running
// rebuild on SIGTERM; below Docker's default 10 s stop grace period.
const shutdownTimeout = 8 * time.Second

// newHTTPServer is the http.Server serve runs, with its limits.
func newHTTPServer(h http.Handler, log *slog.Logger, t serverTimeouts) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    t.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

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
	if err := cfg.checkCacheDir(); err != nil {
		fmt.Fprintf(stderr, "syndicate: config: %v\n", err)
		return exitUsage
	}
	cache, cachePath := loadCache(cfg, log)
	if cache == nil {
		cache = source.NewCache() // rebuilds read only files that changed
	}
	limitMemory(serveMemoryLimit)
	defer saveCache(cache, cachePath, log)
	ln, err := net.Listen("tcp", cfg.Server.Listen)
	if err != nil {
		log.Error("cannot listen", "addr", cfg.Server.Listen, "err", err)
		return exitFailed
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	return serve(ctx, cfg, cache, ln, log, hup, func() { saveCache(cache, cachePath, log) })
}

// serve runs the service on ln until ctx is done. The listener is up
// before the first build so /healthz answers (and feeds say 503) while a
// large site builds; if that first build fails the service exits with
// exitFailed, since there is nothing to serve and the cause is almost
// always the configuration (e.g. a wrong content_dir). Later failures keep
// the last good feeds serving. started runs after the first build (serve
// saves the cache then, so that a restart after a crash starts warm).
func serve(ctx context.Context, cfg *Config, cache *source.Cache, ln net.Listener, log *slog.Logger, hup <-chan os.Signal, started func()) int {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sched, err := ParseSchedule(cfg.Schedule)
	if err != nil { // validated at load; only a caller's own Config gets here
		log.Error("bad schedule", "schedule", cfg.Schedule, "err", err)
		ln.Close()
		return exitUsage
	}

	srv := server.New(cfg.Server.PathPrefix, cfg.Server.CacheControl, log)
	var handler http.Handler = srv
	if cfg.Server.AccessLog {
		handler = accessLog(log)(handler)
	}
	hs := newHTTPServer(handler, log, defaultTimeouts)
	serveErr := make(chan error, 1)
	go func() { serveErr <- hs.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "path_prefix", cfg.Server.PathPrefix, "schedule", cfg.Schedule)

	rb := newServeRebuilder(cfg, cache, srv, log)
	defer rb.stop()

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

	started()
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

// noWatch leaves the content folder unwatched, as on a network file
// system, so that benchmarks can measure rebuilds that survey.
var noWatch = false

// newServeRebuilder is serve's rebuilder: an incremental pipeline into a
// snapshot held in memory (documents gzip-compressed: a quarter of the
// memory, and the gzip response most readers ask for is ready), the
// output folder written when server.write_output is on, and folder names
// hidden from /readyz.
func newServeRebuilder(cfg *Config, cache *source.Cache, srv *server.Handler, log *slog.Logger) *rebuilder {
	outDir := ""
	if cfg.Server.WriteOutput {
		outDir = cfg.resolve(cfg.OutputDir)
	}
	pc := cfg.pipelineConfig(cache)
	pc.Feeds.Compressed = true
	pc.Incremental, pc.Watch, pc.Log = true, !noWatch, log
	builder := pipeline.New(pc)
	mem := new(pipeline.Memory)
	build := func(ctx context.Context, now time.Time) (*pipeline.Result, *feedgen.Snapshot, error) {
		res, err := builder.Build(ctx, now, mem)
		return res, mem.Snapshot(), err
	}
	rb := newRebuilder(build, srv, log, outDir)
	rb.stop = func() {
		select {
		case rb.sem <- struct{}{}: // no rebuild runs, and none will
			builder.Close()
		default: // one is still running at exit; the process ends anyway
		}
	}
	contentDir := pc.ContentDir
	outAbs := cfg.resolve(cfg.OutputDir)
	folders := map[string]string{
		contentDir:           "<content_dir>",
		outAbs:               "<output_dir>",
		filepath.Dir(outAbs): "<output_dir>/..",
	}
	if cfg.path != "" {
		folders[filepath.Dir(cfg.path)] = "<config_dir>"
	}
	rb.redact = folderRedactor(folders)
	return rb
}

// folderRedactor replaces each folder's path (as given, cleaned and made
// absolute) with its label, longest paths first so that a folder inside
// another keeps its own label. /readyz is reachable through the proxy:
// it says what failed without telling the internet where things live.
func folderRedactor(folders map[string]string) func(string) string {
	type pair struct{ old, new string }
	var pairs []pair
	seen := map[string]bool{}
	for dir, label := range folders {
		if dir == "" {
			continue
		}
		forms := []string{dir, filepath.Clean(dir)}
		if abs, err := filepath.Abs(dir); err == nil {
			forms = append(forms, abs)
		}
		for _, f := range forms {
			if f == "." || f == "/" || seen[f] {
				continue
			}
			seen[f] = true
			pairs = append(pairs, pair{f, label})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if len(pairs[i].old) != len(pairs[j].old) {
			return len(pairs[i].old) > len(pairs[j].old)
		}
		return pairs[i].old < pairs[j].old
	})
	args := make([]string, 0, 2*len(pairs))
	for _, p := range pairs {
		args = append(args, p.old, p.new)
	}
	r := strings.NewReplacer(args...)
	return r.Replace
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
