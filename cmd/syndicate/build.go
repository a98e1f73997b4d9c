package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"time"

	"github.com/syndicate/syndicate/config"
	"github.com/syndicate/syndicate/outtree"
	"github.com/syndicate/syndicate/pipeline"
)

// errSkipped is build --strict's failure: the feeds were written, but
// some files could not be used (each reported on stderr).
var errSkipped = errors.New("files were skipped")

// cmdBuild reads the content folder once and writes the output folder.
func cmdBuild(ctx context.Context, args []string, stderr io.Writer) error {
	fs := newFlags("build", stderr)
	configPath := fs.String("config", "config.yaml", "config `file`")
	content := fs.String("content", "", "content `folder` (overrides content_dir)")
	out := fs.String("out", "", "output `folder` (overrides output_dir)")
	strict := fs.Bool("strict", false, "exit 1 if any file was skipped")
	noCache := fs.Bool("no-cache", false, "ignore the cache in cache_dir: read and render every post")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the build to `file` (for go tool pprof)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	st, err := loadSettings(*configPath, config.Options{ContentDir: *content, OutputDir: *out})
	if err != nil {
		return err
	}
	if err := outtree.CheckReplaceable(st.OutputDir); err != nil {
		return &usageError{err} // it names output_dir
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if *cpuProfile != "" {
		stopProfile, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return &usageError{err}
		}
		defer stopProfile()
	}
	limitMemory(buildMemoryLimit)
	pc := st.Pipeline
	pc.Log = log
	if !*noCache {
		pc.CacheFile = cacheFile(st, log)
	}
	// The state is not cache: --no-cache leaves it alone.
	state, err := openState(ctx, st)
	if err != nil {
		return err
	}
	defer state.Close()
	pc.State = state
	builder := pipeline.New(pc)
	res, err := builder.Build(ctx, time.Now(), pipeline.Dir(st.OutputDir))
	if res == nil {
		return fmt.Errorf("build failed: %w", err)
	}
	builder.SaveCache()
	for _, s := range res.Skipped {
		fmt.Fprintf(stderr, "skipped %v\n", s)
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	if err != nil { // the output folder could not be written
		return err
	}
	fmt.Fprintln(stderr, summary(res))
	if *strict && len(res.Skipped) > 0 {
		return &reportedError{errSkipped, exitFailed}
	}
	return nil
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
