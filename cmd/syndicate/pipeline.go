package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"time"

	"github.com/syndicate/syndicate/feedgen"
	"github.com/syndicate/syndicate/source"
)

// BuildResult is one run of the pipeline: files -> posts -> documents.
type BuildResult struct {
	// Plan says which documents there are and what each lists.
	Plan *feedgen.Plan
	// Snapshot holds the encoded documents (runBuild); nil when they are
	// encoded straight into the output folder instead (planBuild, then
	// writeOutput).
	Snapshot *feedgen.Snapshot
	// Output says what writeOutput did; nil before.
	Output *feedgen.WriteStats
	// Read counts Markdown files, Published the posts in the site's
	// timeline (drafts, pages and future posts left out).
	Read, Published int
	Skipped         []*source.FileError
	Warnings        []string
	Feeds           int
	Duration        time.Duration
	// Unchanged: a survey found every file as the last build read it, so
	// that build's documents stand (incrementalBuild).
	Unchanged bool

	// What decides whether the next survey may stand for a scan.
	unreadable   int
	renderFailed bool
	nextPublish  time.Time
}

// runBuild scans the content folder, chooses what every feed lists,
// renders only those posts and encodes the documents into memory.
func runBuild(ctx context.Context, cfg *Config, now time.Time) (*BuildResult, error) {
	return runBuildFrom(ctx, cfg, now, nil)
}

// runBuildFrom is runBuild reusing prev's documents (the snapshot being
// served, or nil) wherever their inputs did not change: only documents
// whose fingerprints differ are encoded, and the new snapshot holds the
// very same *feedgen.Document for the others.
func runBuildFrom(ctx context.Context, cfg *Config, now time.Time, prev *feedgen.Snapshot) (*BuildResult, error) {
	start := time.Now()
	out, err := planBuild(ctx, cfg, now)
	if err != nil {
		return nil, err
	}
	snap, err := out.Plan.Build(ctx, prev)
	if err != nil {
		return nil, err
	}
	out.Snapshot = snap
	out.Duration = time.Since(start)
	return out, nil
}

// planBuild scans the content folder, chooses what every feed lists and
// renders only those posts; the documents are left to encode. A post that
// fails to render is dropped (and reported) and the feeds are chosen
// again, so one bad file never takes the others' feeds down.
func planBuild(ctx context.Context, cfg *Config, now time.Time) (*BuildResult, error) {
	return planBuildFor(ctx, cfg, now, nil)
}

// planBuildFor is planBuild where toEncode, when set, names the posts whose
// HTML the documents to encode need; the others need only their RenderSum
// (see planScanned).
func planBuildFor(ctx context.Context, cfg *Config, now time.Time, toEncode func(*feedgen.Plan) []*source.Post) (*BuildResult, error) {
	start := time.Now()
	sc, err := newScanner(cfg, now)
	if err != nil {
		return nil, err
	}
	res, err := sc.Scan(ctx)
	if err != nil {
		return nil, err
	}
	out, err := planScanned(ctx, cfg, sc, res, toEncode)
	if err != nil {
		return nil, err
	}
	out.Duration = time.Since(start)
	return out, nil
}

// newScanner reads cfg's content folder as of now.
func newScanner(cfg *Config, now time.Time) (*source.Scanner, error) {
	return source.NewScanner(cfg.resolve(cfg.ContentDir), source.Config{
		SiteURL:   cfg.Site.URL,
		Permalink: cfg.Permalink,
		Location:  cfg.location,
		Author:    cfg.Site.Author,
		Language:  cfg.Site.Language,
		Now:       func() time.Time { return now },
		Cache:     cfg.cache,
		CacheKey:  programKey(),
	})
}

// planScanned is planBuild after the scan. toEncode, when set, lists the
// posts of the documents that will be encoded (the others are reused from
// the served snapshot or the output folder): only those need their HTML,
// the rest of the listed posts only their RenderSum, for fingerprints.
// Caches that keep sums only (source.Cache.KeepSumsOnly) rely on it.
func planScanned(ctx context.Context, cfg *Config, sc *source.Scanner, res *source.Result, toEncode func(*feedgen.Plan) []*source.Post) (*BuildResult, error) {
	return planScannedFrom(ctx, cfg, sc, res, nil, false, toEncode)
}

// planScannedFrom is planScanned for a process that plans again and
// again (serve): with incremental set, plans are made with
// feedgen.NewPlanFrom, which keeps with each plan what the next is made
// from, and prev, the last build's plan (or nil), is what this one is
// made from; its fingerprints are reused where feeds list the same posts
// (feedgen.Plan.ReuseFingerprints). Both need the scan to give a changed
// file a new post and an unchanged one its old post, as source.Index
// does; a scan of fresh posts just makes them plan from scratch.
func planScannedFrom(ctx context.Context, cfg *Config, sc *source.Scanner, res *source.Result, prev *feedgen.Plan, incremental bool, toEncode func(*feedgen.Plan) []*source.Post) (*BuildResult, error) {
	contentDir := cfg.resolve(cfg.ContentDir)
	out := &BuildResult{Read: res.Read, Skipped: res.Skipped, unreadable: res.Unreadable, nextPublish: res.NextPublish}
	for _, w := range res.Warnings {
		out.Warnings = append(out.Warnings, w.Error())
	}
	site := siteFor(cfg, contentDir, res.Posts)
	opts := feedgen.Options{Limit: cfg.Feeds.Limit, Formats: cfg.formats, SummaryOnly: cfg.Feeds.Content == "summary",
		Compressed: cfg.holdCompressed}

	posts := res.Posts
	var plan *feedgen.Plan
	var err error
	base := prev // the plan the next is made from
	for {
		if incremental {
			plan, err = feedgen.NewPlanFrom(base, site, opts, posts)
		} else {
			plan, err = feedgen.NewPlan(site, opts, posts)
		}
		if err != nil {
			return nil, err
		}
		plan.ReuseFingerprints(prev)
		base = plan
		// First the posts known by neither HTML nor sum (new or changed
		// files), which fingerprints need; then, of the documents whose
		// fingerprints changed, the posts without HTML.
		var todo []*source.Post
		for _, p := range plan.Needed {
			if !p.Rendered() && (toEncode == nil || p.RenderSum == [16]byte{}) {
				todo = append(todo, p)
			}
		}
		failed := sc.Render(ctx, todo)
		if len(failed) == 0 && toEncode != nil {
			todo = todo[:0]
			for _, p := range toEncode(plan) {
				if !p.Rendered() {
					todo = append(todo, p)
				}
			}
			failed = sc.Render(ctx, todo)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if len(failed) == 0 {
			break
		}
		out.Skipped = append(out.Skipped, failed...)
		out.renderFailed = true
		bad := make(map[string]bool, len(failed))
		for _, f := range failed {
			bad[f.Path] = true
		}
		kept := posts[:0:0]
		for _, p := range posts {
			if !bad[p.Path] {
				kept = append(kept, p)
			}
		}
		posts = kept
	}
	for _, n := range plan.Notices {
		out.Warnings = append(out.Warnings, n.String())
	}
	sort.Slice(out.Skipped, func(i, j int) bool { return out.Skipped[i].Path < out.Skipped[j].Path })
	out.Plan = plan
	out.Published = len(posts)
	out.Feeds = len(plan.Feeds)
	return out, nil
}

// buildMemoryLimit is build's soft memory limit (runtime/debug's
// SetMemoryLimit), unless GOMEMLIMIT sets another (or "off"). The Go
// collector lets the heap grow to twice what is live; at 100,000 posts
// the rendered posts alone are about 300 MB live, so without a limit the
// process peaks near 1 GB although it never needs that much. With it the
// collector runs more often once the heap nears the limit, at little cost
// in time while what is live stays well under it; a site whose posts
// need more than the limit is slowed (the runtime caps the collector's
// share of CPU) rather than stopped, and GOMEMLIMIT=off lifts it.
const buildMemoryLimit = 512 << 20

// limitBuildMemory applies buildMemoryLimit unless GOMEMLIMIT is set.
func limitBuildMemory() { limitMemory(buildMemoryLimit) }

// serveMemoryLimit is serve's soft memory limit, on the same terms as
// buildMemoryLimit. What serve keeps between rebuilds (documents held
// compressed, the posts' metadata, the cache, the index of the files and
// the plan's bookkeeping) is 474 MiB at 100,000 posts (BenchmarkRebuild's
// live-MiB); a rebuild needs room above that
// for the posts it renders and the documents it encodes.
const serveMemoryLimit = 800 << 20

// limitMemory sets the soft memory limit and, unless GOGC is set, lets
// the heap grow to five times what is live (GOGC=400) below it: the limit,
// not the default doubling, then decides when the collector runs, which
// at 100,000 posts saves about a tenth of a cold build's time (measured
// 13.9 s against 12.2 s, the same 518 MiB peak).
func limitMemory(limit int64) {
	_, memSet := os.LookupEnv("GOMEMLIMIT")
	if !memSet {
		debug.SetMemoryLimit(limit)
	}
	if _, gcSet := os.LookupEnv("GOGC"); !gcSet && !memSet {
		debug.SetGCPercent(400)
	}
}

// siteFor fills the site's defaults from the posts: the export's
// site_name, else the content folder's name, for the title, and the most
// common language.
func siteFor(cfg *Config, contentDir string, posts []*source.Post) feedgen.Site {
	s := feedgen.Site{
		Title:            cfg.Site.Title,
		Description:      cfg.Site.Description,
		URL:              cfg.Site.URL,
		FeedsURL:         cfg.Site.FeedsURL,
		Language:         cfg.Site.Language,
		Author:           cfg.Site.Author,
		TagURL:           cfg.Site.TagURL,
		CategoryURL:      cfg.Site.CategoryURL,
		Generator:        "syndicate",
		GeneratorVersion: version(),
		GeneratorURI:     "https://github.com/syndicate/syndicate",
	}
	if s.Title == "" {
		s.Title = mostCommon(posts, func(p *source.Post) string { return p.SiteName })
	}
	if s.Title == "" {
		abs, _ := filepath.Abs(contentDir)
		s.Title = filepath.Base(abs)
	}
	if s.Language == "" {
		s.Language = mostCommon(posts, func(p *source.Post) string { return p.Language })
	}
	return s
}

// mostCommon picks the value most posts share, ties broken by order.
func mostCommon(posts []*source.Post, f func(*source.Post) string) string {
	counts := map[string]int{}
	for _, p := range posts {
		if v := f(p); v != "" {
			counts[v]++
		}
	}
	best, n := "", 0
	for v, c := range counts {
		if c > n || c == n && v < best {
			best, n = v, c
		}
	}
	return best
}

// writeOutput publishes the build in dir: the snapshot's documents when
// there is one, else the plan's, encoded straight into the folder so that
// they are never all in memory at once. Either way documents the folder
// already holds unchanged are linked, not encoded or written again, and
// a folder that holds them all is left alone.
func (r *BuildResult) writeOutput(ctx context.Context, dir string) error {
	start := time.Now()
	var st feedgen.WriteStats
	var err error
	if r.Snapshot != nil {
		st, err = r.Snapshot.WriteTree(ctx, dir)
	} else {
		st, err = r.Plan.WriteTree(ctx, dir)
	}
	if err != nil {
		return err
	}
	r.Output = &st
	r.Duration += time.Since(start)
	return nil
}

func (r *BuildResult) summary() string {
	docs := 0
	switch {
	case r.Snapshot != nil:
		docs = len(r.Snapshot.Paths)
	case r.Plan != nil:
		docs = len(r.Plan.Documents())
	}
	what := fmt.Sprintf("%d documents written", docs)
	switch o := r.Output; {
	case o == nil:
	case o.Unchanged:
		what = fmt.Sprintf("%d documents, output unchanged", docs)
	case o.Linked+o.Copied > 0:
		what = fmt.Sprintf("%d documents written (%d encoded, %d unchanged kept)", docs, o.Written, o.Linked+o.Copied)
	}
	return fmt.Sprintf("%d posts read, %d published, %d files skipped, %s (%d feeds) in %s",
		r.Read, r.Published, len(r.Skipped), what, r.Feeds, r.Duration.Round(time.Millisecond))
}
