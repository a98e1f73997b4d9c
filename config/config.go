// Package config reads config.yaml: one file, checked whole when it is
// loaded (every problem reported at once, each naming its key), never
// changed afterwards. Config.Settings derives what each package needs
// (package pipeline's Config, serve's server keys, the folders), so the
// command only wires the results together.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"golang.org/x/text/language"
	"gopkg.in/yaml.v3"

	"github.com/syndicate/syndicate/feedgen"
	"github.com/syndicate/syndicate/source"
)

// Config is config.yaml. Unknown keys are errors so typos surface.
type Config struct {
	Site       Site     `yaml:"site"`
	ContentDir string   `yaml:"content_dir"`
	OutputDir  string   `yaml:"output_dir"`
	Permalink  string   `yaml:"permalink"`
	Feeds      Feeds    `yaml:"feeds"`
	Schedule   Schedule `yaml:"schedule"`
	Server     Server   `yaml:"server"`
	Log        Log      `yaml:"log"`
	// CacheDir keeps parsed and rendered posts between runs; default
	// syndicate/ under the user's cache folder (XDG_CACHE_HOME).
	CacheDir string `yaml:"cache_dir"`
	// Limits bound what one build may produce (see Limits).
	Limits Limits `yaml:"limits"`
	// StateDir keeps what was published (package pubstate); default
	// syndicate/ under the user's state folder (XDG_STATE_HOME).
	StateDir string `yaml:"state_dir"`
	// IDs is "wordpress" for a site moving from WordPress's own feeds:
	// posts with a post_id keep WordPress's guids.
	IDs string `yaml:"ids"`
	// Authors says how the people posts credit are presented, keyed by
	// the name as front matter writes it (see feedgen.Authors).
	Authors Authors `yaml:"authors"`

	// path is the file the config came from; relative paths in it are
	// relative to its folder.
	path string
}

// Site describes the publication.
type Site struct {
	Title       string `yaml:"title"`
	Description string `yaml:"description"`
	URL         string `yaml:"url"`
	FeedsURL    string `yaml:"feeds_url"`
	Language    string `yaml:"language"`
	Author      string `yaml:"author"`
	Timezone    string `yaml:"timezone"`
	TagURL      string `yaml:"tag_url"`
	CategoryURL string `yaml:"category_url"`
	// Params are values for template directives: Liquid {{ site.X }},
	// Hugo's param shortcode (see package directive).
	Params map[string]any `yaml:"params"`
	// Icon and Logo are the site's images, absolute or relative to URL.
	Icon string `yaml:"icon"`
	Logo string `yaml:"logo"`
	// WordPressGUIDBase is the home URL WordPress made guids with (ids:
	// wordpress); default site.url with http.
	WordPressGUIDBase string `yaml:"wordpress_guid_base"`
}

// Feeds chooses what each document holds.
type Feeds struct {
	Limit   int      `yaml:"limit"`
	Formats []string `yaml:"formats"`
	Content string   `yaml:"content"`
	// Authors adds a feed per author (authors/<slug>/).
	Authors bool `yaml:"authors"`
	// KeepEmpty is how long a tag or category feed that no post names
	// any more is still published, with no items: "30d", "720h".
	KeepEmpty string `yaml:"keep_empty"`
}

// Server is used by serve.
type Server struct {
	Listen       string `yaml:"listen"`
	PathPrefix   string `yaml:"path_prefix"`
	CacheControl string `yaml:"cache_control"`
	WriteOutput  bool   `yaml:"write_output"`
	AccessLog    bool   `yaml:"access_log"`
	// BrowserPages is "off" or "negotiate": serve a feed's page from its
	// URL to requests that prefer HTML (server.Handler.BrowserPages).
	BrowserPages string `yaml:"browser_pages"`
	// WordPressURLs answers a WordPress site's feed URLs (server.WordPress),
	// whose tag and category archives start with the two bases.
	WordPressURLs         bool   `yaml:"wordpress_urls"`
	WordPressTagBase      string `yaml:"wordpress_tag_base"`
	WordPressCategoryBase string `yaml:"wordpress_category_base"`
	// RebuildTimeout cancels a rebuild running longer (recorded as failed
	// and stalled); StaleAfter makes /readyz say "stale" once the last
	// successful rebuild is older. Both like "10m" or "24h".
	RebuildTimeout time.Duration `yaml:"rebuild_timeout"`
	StaleAfter     time.Duration `yaml:"stale_after"`
}

// Limits bounds what one post and one build may produce, so that no
// input can fill a disk or the server's memory.
type Limits struct {
	// TermsPerPost bounds a post's tags, and separately its categories;
	// the rest are dropped with a warning.
	TermsPerPost int `yaml:"terms_per_post"`
	// Feeds, OutputBytes and HeldBytes fail a build that would go past
	// them, before anything is written or swapped in.
	Feeds       int   `yaml:"feeds"`
	OutputBytes int64 `yaml:"output_bytes"`
	HeldBytes   int64 `yaml:"held_bytes"`
}

// Log chooses the log format.
type Log struct {
	Format string `yaml:"format"`
	Level  string `yaml:"level"`
}

// Default is the config of an empty file: the values a key takes when
// config.yaml leaves it out (a loaded file is decoded over them).
func Default() Config {
	return Config{
		ContentDir: "content",
		OutputDir:  "public",
		Permalink:  "/:year/:month/:day/:slug/",
		Feeds:      Feeds{Limit: 20, Formats: []string{"rss", "atom", "json"}, Content: "full", Authors: true, KeepEmpty: "30d"},
		Schedule:   parseSchedule("@every 5m"),
		Server: Server{Listen: ":8080", CacheControl: "public, max-age=300", BrowserPages: "off",
			WordPressTagBase: "tag", WordPressCategoryBase: "category",
			RebuildTimeout: 10 * time.Minute, StaleAfter: 24 * time.Hour},
		Log: Log{Format: "text", Level: "info"},
		Limits: Limits{TermsPerPost: source.DefaultMaxTerms, Feeds: feedgen.DefaultMaxFeeds,
			OutputBytes: feedgen.DefaultMaxOutputBytes, HeldBytes: feedgen.DefaultMaxHeldBytes},
	}
}

var unknownField = regexp.MustCompile(`line (\d+): field (\S+) not found in type config\.(\w+)`)

var sectionOf = map[string]string{
	"Config": "", "Site": "site.", "Feeds": "feeds.", "Server": "server.", "Log": "log.",
	"Limits": "limits.",
}

// Load reads and validates a config file. The config is not
// changed afterwards: what each package needs is derived from it
// (Config.Settings).
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err // *fs.PathError: it names the file
	}
	c := Default()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			var errs []error
			for _, e := range te.Errors {
				if m := unknownField.FindStringSubmatch(e); m != nil {
					errs = append(errs, fmt.Errorf("%s:%s: unknown key %q", path, m[1], sectionOf[m[3]]+m[2]))
					continue
				}
				errs = append(errs, fmt.Errorf("%s: %s", path, e))
			}
			return nil, errors.Join(errs...)
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c.path = path
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Validate checks every key and reports all problems at once, each naming
// its key. It changes nothing.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, a...)))
	}
	if c.Site.URL == "" {
		bad("site.url", "required: the site's home page, e.g. https://example.org/")
	} else if !httpURL(c.Site.URL) {
		bad("site.url", "%q is not an absolute http(s) URL", c.Site.URL)
	}
	if c.Site.FeedsURL != "" && !httpURL(c.Site.FeedsURL) {
		bad("site.feeds_url", "%q is not an absolute http(s) URL", c.Site.FeedsURL)
	}
	for key, v := range map[string]string{"site.tag_url": c.Site.TagURL, "site.category_url": c.Site.CategoryURL} {
		if v == "" {
			continue
		}
		if !httpURL(strings.ReplaceAll(v, ":slug", "x")) {
			bad(key, "%q is not an absolute http(s) URL", v)
		} else if !strings.Contains(v, ":slug") {
			bad(key, "%q needs :slug where the tag's slug goes", v)
		}
	}
	for key, v := range map[string]string{"site.icon": c.Site.Icon, "site.logo": c.Site.Logo} {
		if v != "" && httpURL(c.Site.URL) && !httpURL(siteRelative(c.Site.URL, v)) {
			bad(key, "%q is not an http(s) URL, absolute or relative to site.url", v)
		}
	}
	if l := strings.TrimSpace(c.Site.Language); l != "" {
		// The rule feedgen applies: a tag x/text/language parses.
		if _, err := language.Parse(l); err != nil {
			bad("site.language", "%q is not a BCP 47 language tag (e.g. en, en-GB or de-AT)", c.Site.Language)
		}
	}
	if _, err := c.location(); err != nil {
		bad("site.timezone", "unknown time zone %q (want e.g. UTC or Europe/Berlin)", c.Site.Timezone)
	}
	if c.ContentDir == "" {
		bad("content_dir", "required")
	}
	if c.OutputDir == "" {
		bad("output_dir", "required")
	}
	if !strings.HasPrefix(c.Permalink, "/") || !strings.Contains(c.Permalink, ":slug") {
		bad("permalink", "%q must start with / and contain :slug", c.Permalink)
	}
	if c.Feeds.Limit < 1 || c.Feeds.Limit > 1000 {
		bad("feeds.limit", "%d is out of range (1 to 1000)", c.Feeds.Limit)
	}
	for _, s := range c.Feeds.Formats {
		if _, err := feedgen.ParseFormat(s); err != nil {
			bad("feeds.formats", "%v", err)
		}
	}
	if len(c.Feeds.Formats) == 0 {
		bad("feeds.formats", "at least one of rss, atom, json")
	}
	switch c.Feeds.Content {
	case "full", "summary":
	default:
		bad("feeds.content", "%q must be full or summary", c.Feeds.Content)
	}
	if _, err := parseDays(c.Feeds.KeepEmpty); err != nil {
		bad("feeds.keep_empty", "%v", err)
	}
	switch c.IDs {
	case "", "link", "wordpress":
	default:
		bad("ids", "%q must be link or wordpress", c.IDs)
	}
	if c.Site.WordPressGUIDBase != "" && !httpURL(c.Site.WordPressGUIDBase) {
		bad("site.wordpress_guid_base", "%q is not an absolute http(s) URL", c.Site.WordPressGUIDBase)
	}
	if c.Schedule.err != nil {
		bad("schedule", "%v", c.Schedule.err)
	}
	errs = append(errs, c.Authors.errs...)
	if _, err := c.authors(); err != nil {
		// One line per problem, like the other keys'.
		var joined interface{ Unwrap() []error }
		if errors.As(err, &joined) {
			errs = append(errs, joined.Unwrap()...)
		} else {
			errs = append(errs, err)
		}
	}
	if p := c.Server.PathPrefix; p != "" && (!strings.HasPrefix(p, "/") || strings.Contains(p, "..")) {
		bad("server.path_prefix", "%q must start with /", p)
	}
	if _, port, err := net.SplitHostPort(c.Server.Listen); err != nil {
		bad("server.listen", "%q must be host:port or :port, e.g. :8080 or 127.0.0.1:8080", c.Server.Listen)
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		bad("server.listen", "%q: port must be a number from 0 to 65535", c.Server.Listen)
	}
	if strings.ContainsFunc(c.Server.CacheControl, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		bad("server.cache_control", "%q must not contain control characters", c.Server.CacheControl)
	}
	for key, v := range map[string]string{"server.wordpress_tag_base": c.Server.WordPressTagBase, "server.wordpress_category_base": c.Server.WordPressCategoryBase} {
		if v == "" || strings.ContainsAny(v, "/?#") || v == "feed" || v == "author" {
			bad(key, "%q must be one path segment (not feed or author), e.g. tag", v)
		}
	}
	if feeds := c.Site.FeedsURL; c.Server.WordPressURLs && httpURL(c.Site.URL) {
		if feeds == "" {
			feeds = withSlash(c.Site.URL) + "feeds/"
		}
		// build's nginx include rewrites to the tree's path.
		if u, err := url.Parse(feeds); err == nil && strings.ContainsAny(u.Path, "$?") {
			bad("site.feeds_url", "%q: with server.wordpress_urls its path cannot hold $ or an escaped ? (nginx's include rewrites to it)", feeds)
		}
	}
	switch c.Server.BrowserPages {
	case "off", "negotiate":
	default:
		bad("server.browser_pages", "%q must be off or negotiate", c.Server.BrowserPages)
	}
	if c.Server.RebuildTimeout < time.Second {
		bad("server.rebuild_timeout", "%s is too short (at least 1s, e.g. 10m)", c.Server.RebuildTimeout)
	}
	if c.Server.StaleAfter < time.Second {
		bad("server.stale_after", "%s is too short (at least 1s, e.g. 24h)", c.Server.StaleAfter)
	}
	for _, l := range []struct {
		key string
		n   int64
	}{{"limits.terms_per_post", int64(c.Limits.TermsPerPost)}, {"limits.feeds", int64(c.Limits.Feeds)},
		{"limits.output_bytes", c.Limits.OutputBytes}, {"limits.held_bytes", c.Limits.HeldBytes}} {
		if l.n < 1 {
			bad(l.key, "%d must be positive", l.n)
		}
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		bad("log.format", "%q must be text or json", c.Log.Format)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "%q must be debug, info, warn or error", c.Log.Level)
	}
	return errors.Join(errs...)
}

// Schedule is serve's rebuild schedule as config.yaml gives it, parsed
// once, when the config is read: what robfig/cron/v3 accepts (five
// fields, descriptors such as @hourly and @every 5m, a CRON_TZ= prefix).
type Schedule struct {
	Spec  string
	sched cron.Schedule
	err   error // reported by Validate
}

func parseSchedule(spec string) Schedule {
	s, err := cron.ParseStandard(spec)
	return Schedule{Spec: spec, sched: s, err: err}
}

// UnmarshalYAML parses the spec; a bad one is kept for Validate to report
// with the config's other problems.
func (s *Schedule) UnmarshalYAML(n *yaml.Node) error {
	var spec string
	if err := n.Decode(&spec); err != nil {
		return err
	}
	*s = parseSchedule(spec)
	return nil
}

// parseDays reads a duration as Go writes one ("720h") or in whole days
// ("30d").
func parseDays(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 100*365 {
			return 0, fmt.Errorf("%q is not a number of days (e.g. 30d)", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a duration (e.g. 30d or 720h)", s)
	}
	return d, nil
}

// httpURL accepts absolute http and https URLs with a host.
func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.IsAbs() && u.Host != "" && (u.Scheme == "http" || u.Scheme == "https")
}

// location is site.timezone's zone, UTC when unset.
func (c *Config) location() (*time.Location, error) {
	if c.Site.Timezone == "" {
		return time.UTC, nil
	}
	return time.LoadLocation(c.Site.Timezone)
}

// siteRelative resolves ref (absolute, or relative to the site's home
// page) to an absolute URL; "" when either does not parse.
func siteRelative(site, ref string) string {
	if ref == "" {
		return ""
	}
	base, err := url.Parse(withSlash(site))
	if err != nil {
		return ""
	}
	u, err := base.Parse(ref)
	if err != nil {
		return ""
	}
	return u.String()
}

func withSlash(s string) string {
	if strings.HasSuffix(s, "/") {
		return s
	}
	return s + "/"
}

// resolve makes a config path relative to the config file's folder.
func (c *Config) resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(c.path), p)
}
