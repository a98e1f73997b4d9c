package config

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/robfig/cron/v3"

	"github.com/syndicate/syndicate/feedgen"
	"github.com/syndicate/syndicate/pages"
	"github.com/syndicate/syndicate/pipeline"
	"github.com/syndicate/syndicate/source"
)

// Settings are what syndicate's packages need, derived once from a
// validated Config and the command line's options. Callers read them and
// copy what they change (a test may turn Watch off before wiring).
type Settings struct {
	// ContentDir and OutputDir are absolute or resolved against the
	// config's folder (or, from flags, the working directory).
	ContentDir, OutputDir string
	// Pipeline reads ContentDir; its Source.Cache is the caller's.
	Pipeline pipeline.Config
	// CachePath is the cache file, "" when there is no cache folder
	// (CacheErr says why; the build goes on without a cache).
	CachePath string
	CacheErr  error
	// StateDir holds the publication state (package pubstate).
	StateDir string
	// Schedule is serve's rebuild schedule, parsed once at load; Spec is
	// how config.yaml wrote it, for logs.
	Schedule cron.Schedule
	Spec     string
	Server   Server
	Log      Log
	// Folders maps the folders /readyz must not name to their labels.
	Folders map[string]string
	// Watch: serve watches the content folder where the kernel can
	// report changes; off as on a network file system.
	Watch bool
}

// Options are what the command adds to the file: flags that replace
// config keys (paths relative to the working directory, not to the config
// file) and the program's identity.
type Options struct {
	ContentDir, OutputDir, Listen string
	// Version is the program's version for the feeds' generator element;
	// CacheKey identifies the program build, so a cache written by
	// another one is never trusted.
	Version, CacheKey string
}

// Settings derives the packages' settings from a validated config. Its
// errors are mistakes in the config: folders that overlap (cache or
// state inside content or output, content inside output) or that are the
// root or home folder.
func (c *Config) Settings(o Options) (*Settings, error) {
	s := &Settings{
		ContentDir: c.resolve(c.ContentDir),
		OutputDir:  c.resolve(c.OutputDir),
		Schedule:   c.Schedule.sched,
		Spec:       c.Schedule.Spec,
		Server:     c.Server,
		Log:        c.Log,
		Watch:      true,
	}
	if o.ContentDir != "" {
		s.ContentDir = absPath(o.ContentDir)
	}
	if o.OutputDir != "" {
		s.OutputDir = absPath(o.OutputDir)
	}
	if o.Listen != "" {
		s.Server.Listen = o.Listen
	}
	s.Server.PathPrefix = strings.TrimSuffix(s.Server.PathPrefix, "/")

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
	s.Pipeline = pipeline.Config{
		ContentDir: s.ContentDir,
		Source: source.Config{
			SiteURL:   siteURL,
			Permalink: c.Permalink,
			Location:  loc,
			Author:    source.PlainText(c.Site.Author),
			Language:  c.Site.Language,
			CacheKey:  o.CacheKey,
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
			GeneratorVersion: o.Version,
			GeneratorURI:     "https://github.com/syndicate/syndicate",
		},
		Feeds: feedgen.Options{Limit: c.Feeds.Limit, Formats: formats, SummaryOnly: c.Feeds.Content == "summary", AuthorFeeds: c.Feeds.Authors,
			MaxFeeds: c.Limits.Feeds, MaxOutputBytes: c.Limits.OutputBytes, MaxHeldBytes: c.Limits.HeldBytes},
	}
	s.Pipeline.KeepEmpty, _ = parseDays(c.Feeds.KeepEmpty) // checked by Validate
	s.Pipeline.Site.Authors, _ = c.authors()               // checked by Validate
	if c.Server.WordPressURLs {
		// The same key makes build write nginx's include for the tree.
		s.Pipeline.Pages.WordPress = &pages.WordPress{TagBase: c.Server.WordPressTagBase, CategoryBase: c.Server.WordPressCategoryBase}
	}
	if c.IDs == "wordpress" {
		s.Pipeline.Site.WordPressGUIDBase = c.Site.WordPressGUIDBase
		if s.Pipeline.Site.WordPressGUIDBase == "" {
			s.Pipeline.Site.WordPressGUIDBase = "http:" + strings.TrimPrefix(strings.TrimPrefix(siteURL, "https:"), "http:")
		}
	}

	s.Folders = map[string]string{
		s.ContentDir:              "<content_dir>",
		s.OutputDir:               "<output_dir>",
		filepath.Dir(s.OutputDir): "<output_dir>/..",
	}
	if c.path != "" {
		s.Folders[filepath.Dir(c.path)] = "<config_dir>"
	}

	s.CachePath, s.CacheErr = cachePath(c.resolve(c.CacheDir), s.ContentDir)
	if err := s.checkFolders(); err != nil {
		return nil, err
	}
	s.StateDir = c.resolve(c.StateDir)
	if err := s.checkStateDir(); err != nil {
		return nil, err
	}
	return s, nil
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
func (s *Settings) checkFolders() error {
	type folder struct{ key, dir string }
	content, output := folder{"content_dir", absPath(s.ContentDir)}, folder{"output_dir", absPath(s.OutputDir)}
	all := []folder{content, output}
	if s.CachePath != "" { // else no cache; the build goes on without one
		all = append(all, folder{"cache_dir", absPath(filepath.Dir(s.CachePath))})
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
func (s *Settings) checkStateDir() error {
	if s.StateDir == "" {
		base := os.Getenv("XDG_STATE_HOME")
		if base == "" || !filepath.IsAbs(base) {
			home, err := os.UserHomeDir()
			if err != nil {
				return fmt.Errorf("state_dir is not set and there is no home folder for ~/.local/state: %w", err)
			}
			base = filepath.Join(home, ".local", "state")
		}
		s.StateDir = filepath.Join(base, "syndicate")
	}
	s.StateDir = absPath(s.StateDir)
	for _, f := range []struct{ key, dir string }{{"content_dir", s.ContentDir}, {"output_dir", s.OutputDir}} {
		abs := absPath(f.dir)
		if rel, err := filepath.Rel(abs, s.StateDir); err == nil && filepath.IsLocal(rel) || abs == s.StateDir {
			return fmt.Errorf("state_dir: %s is inside %s (%s); keep the state elsewhere", s.StateDir, f.key, abs)
		}
	}
	return nil
}
