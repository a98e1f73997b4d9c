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

	"github.com/syndicate/syndicate/feedgen"
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
	cachePath := ""
	if !*noCache {
		cachePath = loadCache(cfg, log)
	}
	if *cpuProfile != "" {
		stopProfile, err := startCPUProfile(*cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "syndicate: %v\n", err)
			return exitUsage
		}
		defer stopProfile()
	}
	limitBuildMemory()
	outDir := cfg.resolve(cfg.OutputDir)
	var toEncode func(*feedgen.Plan) []*source.Post
	if cfg.cache != nil {
		// The cache keeps rendered posts' sums, not their HTML: only the
		// posts of documents the output folder lacks are rendered.
		cfg.cache.KeepSumsOnly()
		toEncode = func(p *feedgen.Plan) []*source.Post { return p.PostsToWrite(outDir) }
	}
	res, err := planBuildFor(ctx, cfg, time.Now(), toEncode)
	if err != nil {
		fmt.Fprintf(stderr, "syndicate: build failed: %v\n", err)
		return exitFailed
	}
	saveCache(cfg, cachePath, log)
	for _, s := range res.Skipped {
		fmt.Fprintf(stderr, "skipped %v\n", s)
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	if err := res.writeOutput(ctx, outDir); err != nil {
		fmt.Fprintf(stderr, "syndicate: %v\n", err)
		return exitFailed
	}
	fmt.Fprintln(stderr, res.summary())
	if *strict && len(res.Skipped) > 0 {
		return exitFailed
	}
	return exitOK
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
