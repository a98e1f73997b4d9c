package main

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"time"

	"github.com/syndicate/syndicate/feedgen"
	"github.com/syndicate/syndicate/source"
)

// BuildResult is one run of the pipeline: files -> posts -> documents.
type BuildResult struct {
	Snapshot *feedgen.Snapshot
	// Read counts Markdown files, Published the posts in the site's
	// timeline (drafts, pages and future posts left out).
	Read, Published int
	Skipped         []*source.FileError
	Warnings        []string
	Feeds           int
	Duration        time.Duration
}

// runBuild scans the content folder, chooses what every feed lists,
// renders only those posts and encodes the documents. A post that fails
// to render is dropped (and reported) and the feeds are chosen again, so
// one bad file never takes the others' feeds down.
func runBuild(ctx context.Context, cfg *Config, now time.Time) (*BuildResult, error) {
	start := time.Now()
	contentDir := cfg.resolve(cfg.ContentDir)
	sc, err := source.NewScanner(contentDir, source.Config{
		SiteURL:   cfg.Site.URL,
		Permalink: cfg.Permalink,
		Location:  cfg.location,
		Author:    cfg.Site.Author,
		Language:  cfg.Site.Language,
		Now:       func() time.Time { return now },
		Cache:     cfg.cache,
		CacheKey:  programKey(),
	})
	if err != nil {
		return nil, err
	}
	res, err := sc.Scan(ctx)
	if err != nil {
		return nil, err
	}
	out := &BuildResult{Read: res.Read, Skipped: res.Skipped}
	for _, w := range res.Warnings {
		out.Warnings = append(out.Warnings, w.Error())
	}
	site := siteFor(cfg, contentDir, res.Posts)
	opts := feedgen.Options{Limit: cfg.Feeds.Limit, Formats: cfg.formats, SummaryOnly: cfg.Feeds.Content == "summary"}

	posts := res.Posts
	var plan *feedgen.Plan
	for {
		plan, err = feedgen.NewPlan(site, opts, posts)
		if err != nil {
			return nil, err
		}
		var todo []*source.Post
		for _, p := range plan.Needed {
			if !p.Rendered() {
				todo = append(todo, p)
			}
		}
		failed := sc.Render(ctx, todo)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if len(failed) == 0 {
			break
		}
		out.Skipped = append(out.Skipped, failed...)
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
	snap, err := plan.Build(ctx, nil)
	if err != nil {
		return nil, err
	}
	sort.Slice(out.Skipped, func(i, j int) bool { return out.Skipped[i].Path < out.Skipped[j].Path })
	out.Snapshot = snap
	out.Published = len(posts)
	out.Feeds = len(plan.Feeds)
	out.Duration = time.Since(start)
	return out, nil
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

func (r *BuildResult) summary() string {
	return fmt.Sprintf("%d posts read, %d published, %d files skipped, %d documents written (%d feeds) in %s",
		r.Read, r.Published, len(r.Skipped), len(r.Snapshot.Paths), r.Feeds, r.Duration.Round(time.Millisecond))
}
