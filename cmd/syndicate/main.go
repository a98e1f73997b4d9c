// Command syndicate turns a folder of Markdown posts into RSS, Atom and
// JSON feeds, once (build) or as a service that rebuilds on a schedule
// and serves them over HTTP (serve).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/syndicate/syndicate/pipeline"
	"github.com/syndicate/syndicate/source"
)

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1 // the job ran and failed, or --strict found skipped files
	exitUsage  = 2 // bad flags or config
)

const usage = `usage: syndicate <command> [flags]

commands:
  build        read the content folder and write the feeds to the output folder
  serve        build, then serve the feeds over HTTP and rebuild on a schedule
  healthcheck  exit 0 when a local serve answers /healthz (for containers)
  version      print the version

Run "syndicate <command> -h" for the command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "build":
		return cmdBuild(ctx, args[1:], stdout, stderr)
	case "serve":
		return cmdServe(ctx, args[1:], stdout, stderr)
	case "healthcheck":
		return cmdHealthcheck(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "syndicate", version())
		return exitOK
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "syndicate: unknown command %q\n\n%s", args[0], usage)
	return exitUsage
}

func version() string {
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "dev"
}

// loadConfigFlags parses flags shared by build and serve and loads config.
func loadConfig(path string, stderr io.Writer) (*Config, bool) {
	cfg, err := LoadConfig(path)
	if err != nil {
		for _, e := range unjoin(err) {
			fmt.Fprintf(stderr, "syndicate: config: %v\n", e)
		}
		return nil, false
	}
	return cfg, true
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func cmdBuild(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "config.yaml", "config `file`")
	content := fs.String("content", "", "content `folder` (overrides content_dir)")
	out := fs.String("out", "", "output `folder` (overrides output_dir)")
	strict := fs.Bool("strict", false, "exit 1 if any file was skipped")
	noCache := fs.Bool("no-cache", false, "ignore the cache in cache_dir: read and render every post")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the build to `file` (for go tool pprof)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "syndicate build: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	cfg, ok := loadConfig(*configPath, stderr)
	if !ok {
		return exitUsage
	}
	// Flags are relative to the working directory, not the config file.
	if *content != "" {
		cfg.ContentDir = absPath(*content)
	}
	if *out != "" {
		cfg.OutputDir = absPath(*out)
	}
	if err := cfg.checkCacheDir(); err != nil {
		fmt.Fprintf(stderr, "syndicate: config: %v\n", err)
		return exitUsage
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	var cache *source.Cache
	cachePath := ""
	if !*noCache {
		cache, cachePath = loadCache(cfg, log)
	}
	if *cpuProfile != "" {
		stopProfile, err := startCPUProfile(*cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "syndicate: %v\n", err)
			return exitUsage
		}
		defer stopProfile()
	}
	limitMemory(buildMemoryLimit)
	res, err := pipeline.New(cfg.pipelineConfig(cache)).Build(ctx, time.Now(), pipeline.Dir(cfg.resolve(cfg.OutputDir)))
	if res == nil {
		fmt.Fprintf(stderr, "syndicate: build failed: %v\n", err)
		return exitFailed
	}
	saveCache(cache, cachePath, log)
	for _, s := range res.Skipped {
		fmt.Fprintf(stderr, "skipped %v\n", s)
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	if err != nil { // the output folder could not be written
		fmt.Fprintf(stderr, "syndicate: %v\n", err)
		return exitFailed
	}
	fmt.Fprintln(stderr, summary(res))
	if *strict && len(res.Skipped) > 0 {
		return exitFailed
	}
	return exitOK
}

// summary is build's last line: what was read, skipped and written.
func summary(r *pipeline.Result) string {
	what := fmt.Sprintf("%d documents written", r.Documents)
	switch o := r.Output; {
	case o.Unchanged:
		what = fmt.Sprintf("%d documents, output unchanged", r.Documents)
	case o.Linked+o.Copied > 0:
		what = fmt.Sprintf("%d documents written (%d encoded, %d unchanged kept)", r.Documents, o.Written, o.Linked+o.Copied)
	}
	return fmt.Sprintf("%d posts read, %d published, %d files skipped, %s (%d feeds) in %s",
		r.Read, r.Published, len(r.Skipped), what, r.Feeds, r.Duration.Round(time.Millisecond))
}

// startCPUProfile profiles the rest of the process until the returned
// function is called; builds are measured with it rather than guessed at.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
