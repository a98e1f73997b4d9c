// Command syndicate turns a folder of Markdown posts into RSS, Atom and
// JSON feeds, once (build) or as a service that rebuilds on a schedule
// and serves them over HTTP (serve). It holds the command line and the
// wiring; the work is done by packages source, feedgen, pipeline and
// server.
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
	"runtime/debug"
	"syscall"

	"github.com/syndicate/syndicate/config"
	"github.com/syndicate/syndicate/pubstate"
)

// Exit statuses.
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

// usageError is a mistake in the command line or the config: exit status
// 2. Each error joined in err is printed on a line of its own.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// reportedError is a failure already reported (by the flag package, the
// log, or the command's own output): its exit status, nothing printed.
type reportedError struct {
	err  error
	code int
}

func (e *reportedError) Error() string { return e.err.Error() }
func (e *reportedError) Unwrap() error { return e.err }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs one command and is the one place that turns its error into an
// exit status and a message on stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	err := dispatch(ctx, args, stdout, stderr)
	var reported *reportedError
	var usage *usageError
	switch {
	case err == nil || errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &reported):
		return reported.code
	case errors.As(err, &usage):
		printErrors(stderr, usage.err)
		return exitUsage
	}
	printErrors(stderr, err)
	return exitFailed
}

// printErrors writes each error joined in err on a line of its own.
func printErrors(w io.Writer, err error) {
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		fmt.Fprintf(w, "syndicate: %v\n", e)
	}
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return &reportedError{errors.New("no command"), exitUsage}
	}
	switch args[0] {
	case "build":
		return cmdBuild(ctx, args[1:], stderr)
	case "serve":
		return cmdServe(ctx, args[1:], stderr)
	case "healthcheck":
		return cmdHealthcheck(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "syndicate", version())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "syndicate: unknown command %q\n\n%s", args[0], usage)
	return &reportedError{fmt.Errorf("unknown command %q", args[0]), exitUsage}
}

func version() string {
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "dev"
}

// newFlags is a command's flag set; parse parses it and rejects
// arguments after the flags.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args into fs, which has printed its own errors;
// arguments after the flags are a usage error.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &reportedError{err, exitUsage}
	}
	if fs.NArg() > 0 {
		return &usageError{fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))}
	}
	return nil
}

// loadConfig loads and validates the config file, each problem on a
// line of its own, prefixed "config:".
func loadConfig(path string) (*config.Config, error) {
	cfg, err := config.Load(path)
	return cfg, configError(err)
}

// configError prefixes each problem joined in err with "config:"; nil
// stays nil.
func configError(err error) error {
	if err == nil {
		return nil
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for i, e := range errs {
		errs[i] = fmt.Errorf("config: %w", e)
	}
	return errors.Join(errs...)
}

// loadSettings loads the config file and derives the packages' settings
// with the command line's flags (o's paths and listen address; the
// program's identity is added here); every error is a usage error.
func loadSettings(path string, o config.Options) (*config.Settings, error) {
	cfg, err := loadConfig(path)
	if err != nil {
		return nil, &usageError{err}
	}
	return deriveSettings(cfg, o)
}

// deriveSettings derives cfg's settings for this program: o with the
// program's version and cache key.
func deriveSettings(cfg *config.Config, o config.Options) (*config.Settings, error) {
	o.Version, o.CacheKey = version(), programKey()
	st, err := cfg.Settings(o)
	if err != nil {
		return nil, &usageError{configError(err)}
	}
	return st, nil
}

// cacheFile is the settings' cache file, or "" when there is none
// (logged: the build goes on without a cache).
func cacheFile(st *config.Settings, log *slog.Logger) string {
	if st.CacheErr != nil {
		log.Warn("cache disabled", "err", st.CacheErr)
	}
	return st.CachePath
}

// openState opens the publication state for the site; failing that, the
// command fails: a build without it could hand readers new ids.
func openState(ctx context.Context, st *config.Settings) (*pubstate.Store, error) {
	return pubstate.Open(ctx, st.StateDir, st.Pipeline.Site.URL)
}
