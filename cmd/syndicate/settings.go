package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/robfig/cron/v3"

	"github.com/syndicate/syndicate/feedgen"
	"github.com/syndicate/syndicate/pipeline"
	"github.com/syndicate/syndicate/pubstate"
	"github.com/syndicate/syndicate/source"
)

// settings are what syndicate's packages need, derived once from a
// validated Config and the command line's overrides; neither changes
// afterwards.
type settings struct {
	// contentDir and outputDir are resolved against the config's folder
	// (or, from flags, the working directory).
	contentDir, outputDir string
	// pipeline reads contentDir; its Source.Cache is the caller's.
	pipeline pipeline.Config
	// cachePath is the cache file, "" when there is no cache folder
	// (cacheErr says why).
	cachePath string
	cacheErr  error
	// stateDir holds the publication state (openState).
	stateDir string
	schedule cron.Schedule
	spec     string // the schedule as written, for logs
	server   ServerConfig
	log      LogConfig
	// folders maps the folders /readyz must not name to their labels.
	folders map[string]string
	// watch: serve watches the content folder where the kernel can
	// report changes; off as on a network file system.
	watch bool
}

// overrides are command-line flags that replace config keys; their paths
// are relative to the working directory, not to the config file.
type overrides struct {
	contentDir, outputDir, listen string
}

// settings derives the packages' settings from a validated config. The
// only error is a usage error: cache_dir inside content_dir or
// output_dir.
func (c *Config) settings(o overrides) (*settings, error) {
	s := &settings{
		contentDir: c.resolve(c.ContentDir),
		outputDir:  c.resolve(c.OutputDir),
		schedule:   c.Schedule.sched,
		spec:       c.Schedule.Spec,
		server:     c.Server,
		log:        c.Log,
		watch:      true,
	}
	if o.contentDir != "" {
		s.contentDir = absPath(o.contentDir)
	}
	if o.outputDir != "" {
		s.outputDir = absPath(o.outputDir)
	}
	if o.listen != "" {
		s.server.Listen = o.listen
	}
	s.server.PathPrefix = strings.TrimSuffix(s.server.PathPrefix, "/")

	loc, _ := c.location() // checked by Validate
	var formats []feedgen.Format
	for _, name := range c.Feeds.Formats {
		if f, err := feedgen.ParseFormat(name); err == nil && !slices.Contains(formats, f) {
			formats = append(formats, f)
		}
	}
	siteURL := withSlash(c.Site.URL)
	feedsURL := siteURL + "feeds/"
	if c.Site.FeedsURL != "" {
		feedsURL = withSlash(c.Site.FeedsURL)
	}
	s.pipeline = pipeline.Config{
		ContentDir: s.contentDir,
		Source: source.Config{
			SiteURL:   siteURL,
			Permalink: c.Permalink,
			Location:  loc,
			Author:    source.PlainText(c.Site.Author),
			Language:  c.Site.Language,
			CacheKey:  programKey(),
			SiteTitle: source.PlainText(c.Site.Title),
			Params:    c.Site.Params,
			MaxTerms:  c.Limits.TermsPerPost,
		},
		Site: feedgen.Site{
			Title:            source.PlainText(c.Site.Title),
			Description:      source.PlainText(c.Site.Description),
			URL:              siteURL,
			FeedsURL:         feedsURL,
			Language:         c.Site.Language,
			Author:           source.PlainText(c.Site.Author),
			TagURL:           c.Site.TagURL,
			CategoryURL:      c.Site.CategoryURL,
			Icon:             siteRelative(siteURL, c.Site.Icon),
			Logo:             siteRelative(siteURL, c.Site.Logo),
			Generator:        "syndicate",
			GeneratorVersion: version(),
			GeneratorURI:     "https://github.com/syndicate/syndicate",
		},
		Feeds: feedgen.Options{Limit: c.Feeds.Limit, Formats: formats, SummaryOnly: c.Feeds.Content == "summary", AuthorFeeds: c.Feeds.Authors,
			MaxFeeds: c.Limits.Feeds, MaxOutputBytes: c.Limits.OutputBytes, MaxHeldBytes: c.Limits.HeldBytes},
	}
	s.pipeline.KeepEmpty, _ = parseDays(c.Feeds.KeepEmpty) // checked by Validate
	if c.IDs == "wordpress" {
		s.pipeline.Site.WordPressGUIDBase = c.Site.WordPressGUIDBase
		if s.pipeline.Site.WordPressGUIDBase == "" {
			s.pipeline.Site.WordPressGUIDBase = "http:" + strings.TrimPrefix(strings.TrimPrefix(siteURL, "https:"), "http:")
		}
	}

	s.folders = map[string]string{
		s.contentDir:              "<content_dir>",
		s.outputDir:               "<output_dir>",
		filepath.Dir(s.outputDir): "<output_dir>/..",
	}
	if c.path != "" {
		s.folders[filepath.Dir(c.path)] = "<config_dir>"
	}

	s.cachePath, s.cacheErr = cachePath(c.resolve(c.CacheDir), s.contentDir)
	if err := s.checkFolders(); err != nil {
		return nil, &usageError{fmt.Errorf("config: %w", err)}
	}
	s.stateDir = c.resolve(c.StateDir)
	if err := s.checkStateDir(); err != nil {
		return nil, &usageError{fmt.Errorf("config: %w", err)}
	}
	return s, nil
}

// cacheFile is the cache file, or "" when there is none (logged).
func (s *settings) cacheFile(log *slog.Logger) string {
	if s.cacheErr != nil {
		log.Warn("cache disabled", "err", s.cacheErr)
	}
	return s.cachePath
}

// cachePath is the cache file for a content folder: one file per content
// folder under dir (default syndicate/ under the user's cache folder),
// never inside the content or output folders.
func cachePath(dir, contentDir string) (string, error) {
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("cache_dir is not set and there is no user cache folder: %w", err)
		}
		dir = filepath.Join(base, "syndicate")
	}
	content, err := filepath.Abs(contentDir)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(content))
	return filepath.Join(dir, "posts-"+hex.EncodeToString(sum[:8])+".cache"), nil
}

// checkFolders keeps the folders apart, comparing absolute, cleaned
// paths whatever the working directory and however the config named
// them: the cache inside content_dir would be read as content, inside
// output_dir it would be published and then deleted by the next swap;
// content inside output_dir (or the reverse) would be replaced or read as
// posts; and no folder may be / or the home folder, which syndicate would
// replace or read whole.
func (s *settings) checkFolders() error {
	type folder struct{ key, dir string }
	content, output := folder{"content_dir", absPath(s.contentDir)}, folder{"output_dir", absPath(s.outputDir)}
	all := []folder{content, output}
	if s.cachePath != "" { // else no cache; the build goes on without one
		all = append(all, folder{"cache_dir", absPath(filepath.Dir(s.cachePath))})
	}
	home, _ := os.UserHomeDir()
	var errs []error
	for _, f := range all {
		if f.dir == string(filepath.Separator) || (home != "" && f.dir == filepath.Clean(home)) {
			errs = append(errs, fmt.Errorf("%s: %s is the root or home folder; name a folder of its own", f.key, f.dir))
		}
	}
	for _, p := range [][2]folder{{all[len(all)-1], content}, {all[len(all)-1], output}, {output, content}, {content, output}} {
		in, of := p[0], p[1]
		if in.key == of.key {
			continue // no cache
		}
		if rel, err := filepath.Rel(of.dir, in.dir); err == nil && filepath.IsLocal(rel) { // "." too
			errs = append(errs, fmt.Errorf("%s: %s is inside %s (%s); put it elsewhere", in.key, in.dir, of.key, of.dir))
		}
	}
	return errors.Join(errs...)
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// checkStateDir keeps the publication state out of the folders syndicate
// reads and replaces, like the cache; with state_dir unset it is
// syndicate/ under the user's state folder ($XDG_STATE_HOME, else
// ~/.local/state).
func (s *settings) checkStateDir() error {
	if s.stateDir == "" {
		base := os.Getenv("XDG_STATE_HOME")
		if base == "" || !filepath.IsAbs(base) {
			home, err := os.UserHomeDir()
			if err != nil {
				return fmt.Errorf("state_dir is not set and there is no home folder for ~/.local/state: %w", err)
			}
			base = filepath.Join(home, ".local", "state")
		}
		s.stateDir = filepath.Join(base, "syndicate")
	}
	s.stateDir = absPath(s.stateDir)
	for _, f := range []struct{ key, dir string }{{"content_dir", s.contentDir}, {"output_dir", s.outputDir}} {
		abs := absPath(f.dir)
		if rel, err := filepath.Rel(abs, s.stateDir); err == nil && filepath.IsLocal(rel) || abs == s.stateDir {
			return fmt.Errorf("state_dir: %s is inside %s (%s); keep the state elsewhere", s.stateDir, f.key, abs)
		}
	}
	return nil
}

// openState opens the publication state for the site; failing that, the
// command fails: a build without it could hand readers new ids.
func (s *settings) openState(ctx context.Context) (*pubstate.Store, error) {
	return pubstate.Open(ctx, s.stateDir, s.pipeline.Site.URL)
}
