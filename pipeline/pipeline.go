// Package pipeline turns a folder of Markdown posts into feed documents:
// files -> posts (package source) -> plan -> documents (package feedgen),
// once (syndicate build) or again and again (syndicate serve), written to
// an Output (a folder, or a snapshot in memory for the HTTP server).
//
// One Builder runs every build. A plain builder scans the whole folder
// each time; an incremental one (Config.Incremental) keeps what the last
// build found, so that a build reads, renders and encodes only what
// changed since. Either way a post that fails to render is reported and
// left out, and the feeds are planned again without it: one bad file
// never takes the others' feeds down.
package pipeline

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"sort"
	"time"

	"github.com/syndicate/syndicate/feedgen"
	"github.com/syndicate/syndicate/outtree"
	"github.com/syndicate/syndicate/pages"
	"github.com/syndicate/syndicate/pubstate"
	"github.com/syndicate/syndicate/source"
)

// Config is what a Builder reads and writes; the caller owns the values
// and must not change them once the Builder is made.
type Config struct {
	// ContentDir is the folder of posts, absolute or relative to the
	// working directory.
	ContentDir string
	// Source says how posts are read; Source.Now is set by each Build
	// and Source.Cache, when set, is kept between builds (see New).
	Source source.Config
	// CacheFile, when set, is where parsed posts are kept between runs:
	// New reads it into Source.Cache and Builder.SaveCache writes it.
	CacheFile string
	// Site describes the publication. An empty Title is filled from the
	// posts' site name, else the content folder's name; an empty Language
	// with the posts' most common language.
	Site feedgen.Site
	// Feeds chooses what each document holds.
	Feeds feedgen.Options
	// Pages chooses the documents made beside the feeds beyond those
	// every build makes (package pages).
	Pages pages.Options
	// Incremental keeps, between builds, what the last build read: the
	// index of the files, its survey and plan, and, where the kernel can
	// report changes (Watch), a watch on the folder. A build then reads
	// only the files that changed and encodes only the documents whose
	// inputs changed; when nothing changed the last build stands
	// (Result.Unchanged). For a process that builds again and again.
	Incremental bool
	// Watch lets an incremental builder watch the content folder
	// (Linux inotify) rather than survey it on every build.
	Watch bool
	// Log receives what a build notices but does not fail on (the folder
	// cannot be watched); nil discards it.
	Log *slog.Logger
	// State, when set, is what the site published before: plans keep
	// its ids, feeds and documents' times (feedgen.Earlier), and each
	// build is recorded in it once its output is published (a build whose
	// record fails fails). Nil plans as if nothing had been published.
	State *pubstate.Store
	// KeepEmpty is how long a tag or category feed no post names any
	// more is still published, with no items (with State).
	KeepEmpty time.Duration
}

// Builder runs the pipeline. Builds on one Builder must not overlap;
// Close releases what an incremental builder holds.
type Builder struct {
	cfg Config
	inc *incremental // nil unless cfg.Incremental
}

// New returns a builder for cfg. A cache file that cannot be read only
// costs speed: the problem is logged and the builder starts with an
// empty cache. An incremental builder keeps a cache in memory when given
// none. The cache is set to keep posts' render sums but not their HTML
// (source.Cache.KeepSumsOnly): every Output says which posts it lacks the
// documents of, and only those are rendered.
func New(cfg Config) *Builder {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.CacheFile != "" {
		c, err := source.LoadCache(cfg.CacheFile)
		switch {
		case errors.Is(err, source.ErrCacheInvalid):
			cfg.Log.Warn("discarding cache", "err", err)
		case err != nil:
			cfg.Log.Warn("cannot read cache", "err", err)
		}
		cfg.Source.Cache = c
	}
	if cfg.Incremental && cfg.Source.Cache == nil {
		cfg.Source.Cache = source.NewCache() // rebuilds read only files that changed
	}
	if cfg.Source.Cache != nil {
		cfg.Source.Cache.KeepSumsOnly()
		if !cfg.Incremental {
			// Nothing keeps the posts between builds: the cache may
			// hold the build's own rather than copies.
			cfg.Source.Cache.ShareScanned()
		}
	}
	b := &Builder{cfg: cfg}
	if cfg.Incremental {
		b.inc = newIncremental(b)
	}
	return b
}

// Result is one build: what was read, planned and written.
type Result struct {
	// Plan says which documents there are and what each lists.
	Plan  *feedgen.Plan
	pages *pages.Set // the pages about Plan's feeds
	// Read counts Markdown files, Published the posts in the site's
	// timeline (drafts, pages and future posts left out).
	Read, Published int
	Skipped         []*source.FileError
	Warnings        []string
	Feeds           int
	// Documents counts the documents the output holds.
	Documents int
	// Output says what writing the output did.
	Output   outtree.Stats
	Duration time.Duration
	// Unchanged: an incremental build found every file as the last build
	// read it, so that build's documents stand and nothing was written.
	Unchanged bool
	// Surveyed: an incremental build surveyed the whole content folder;
	// Rescanned: it read only the files that changed (source.Folder).
	Surveyed, Rescanned bool

	// renderFailed: a post failed to render, so the next build may not
	// stand on this one.
	renderFailed bool
}

// Build reads the content folder as of now, chooses what every feed
// lists, renders the posts the output lacks and writes the documents to
// out. On an error from out the result is returned too, saying what was
// read (the skipped files and warnings).
func (b *Builder) Build(ctx context.Context, now time.Time, out Output) (*Result, error) {
	start := time.Now()
	var res *Result
	var err error
	if b.inc != nil {
		res, err = b.inc.run(ctx, now, out)
	} else {
		res, err = b.scan(ctx, now, out)
	}
	if res != nil {
		res.Duration = time.Since(start)
	}
	return res, err
}

// Close stops watching the content folder; the builder plans from scratch
// afterwards.
func (b *Builder) Close() error {
	if b.inc != nil {
		b.inc.close()
	}
	return nil
}

// SaveCache writes the cache to Config.CacheFile, when both are set; a
// failure costs the next run speed only, so it is logged. It must not
// overlap a Build.
func (b *Builder) SaveCache() {
	if c := b.cfg.Source.Cache; c != nil && b.cfg.CacheFile != "" {
		if err := c.Save(b.cfg.CacheFile); err != nil {
			b.cfg.Log.Warn("cannot write cache", "err", err)
		}
	}
}

// scan is a build from a full scan.
func (b *Builder) scan(ctx context.Context, now time.Time, out Output) (*Result, error) {
	sc, err := b.scanner(now)
	if err != nil {
		return nil, err
	}
	scanned, err := sc.Scan(ctx, source.ScanOptions{})
	if err != nil {
		return nil, err
	}
	return b.plan(ctx, now, sc, scanned, nil, out)
}

// scanner reads the content folder as of now.
func (b *Builder) scanner(now time.Time) (*source.Scanner, error) {
	sc := b.cfg.Source
	sc.Now = func() time.Time { return now }
	return source.NewScanner(b.cfg.ContentDir, sc)
}

// plan makes the plan of a scan, renders what out lacks and writes the
// documents to out. An incremental builder makes the plan and the pages
// from prev, the last good build (or nil), and reuses their fingerprints
// where feeds list the same posts (feedgen.Options.Prev, Incremental;
// pages.Options.Prev); both need the
// scan to give a changed file a new post and an unchanged one its old
// post, as source.Index does. A post
// that fails to render is dropped (and reported) and the feeds are
// planned again.
func (b *Builder) plan(ctx context.Context, now time.Time, sc *source.Scanner, scanned *source.Result, prev *Result, out Output) (*Result, error) {
	res := &Result{Read: scanned.Read, Skipped: scanned.Skipped}
	for _, w := range scanned.Warnings {
		res.Warnings = append(res.Warnings, w.Error())
	}
	site := b.site(scanned.Posts)
	opts := b.cfg.Feeds
	if b.cfg.State != nil {
		opts.Earlier = b.earlier(ctx, sc, now)
	}
	opts.Incremental = b.cfg.Incremental
	pgOpts := b.cfg.Pages
	if prev != nil {
		opts.Prev, pgOpts.Prev = prev.Plan, prev.pages
	}
	posts := scanned.Posts
	var plan *feedgen.Plan
	var pg *pages.Set
	var err error
	for {
		plan, err = feedgen.NewPlan(site, opts, posts)
		if err != nil {
			return nil, err
		}
		if b.cfg.Incremental {
			opts.Prev = plan // a plan again without a failed post is made from this one
		}
		// First the posts known by neither HTML nor sum (new or changed
		// files), which fingerprints need; then, of the documents the
		// output lacks, the posts without HTML.
		var todo []*source.Post
		for _, p := range plan.Needed {
			if !p.Rendered() && p.RenderSum == [16]byte{} {
				todo = append(todo, p)
			}
		}
		failed := sc.Render(ctx, todo)
		if len(failed) == 0 {
			pg = pages.New(plan, pgOpts) // fingerprints need the render sums
			todo = todo[:0]
			for _, p := range out.Lacking(plan, pg) {
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
		res.Skipped = append(res.Skipped, failed...)
		res.renderFailed = true
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
	for _, p := range plan.Needed {
		for _, w := range p.RenderWarnings {
			res.Warnings = append(res.Warnings, w.Error())
		}
	}
	for _, n := range plan.Notices {
		res.Warnings = append(res.Warnings, n.String())
	}
	sort.Slice(res.Skipped, func(i, j int) bool { return res.Skipped[i].Path < res.Skipped[j].Path })
	res.Plan, res.pages = plan, pg
	res.Published = len(posts)
	res.Feeds = len(plan.Feeds)
	res.Documents = len(plan.Documents())
	st, err := out.Write(ctx, plan, pg)
	if err != nil {
		return res, err
	}
	res.Output = st
	res.Documents = st.Documents // the feeds' and the pages about them
	if b.cfg.State != nil {
		if err := b.record(ctx, now, sc, plan, out); err != nil {
			return res, err
		}
	}
	return res, nil
}

// site fills the site's defaults from the posts: the export's site_name,
// else the content folder's name, for the title, and the most common
// language.
func (b *Builder) site(posts []*source.Post) feedgen.Site {
	s := b.cfg.Site
	if s.Title == "" {
		s.Title = mostCommon(posts, func(p *source.Post) string { return p.SiteName })
	}
	if s.Title == "" {
		abs, _ := filepath.Abs(b.cfg.ContentDir)
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
