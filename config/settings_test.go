package config

import (
	"path/filepath"
	"testing"
)

// testConfig is a loadable config whose folders are the test's own.
func testConfig(t *testing.T) *Config {
	t.Helper()
	dir := t.TempDir()
	cfg := Default()
	cfg.Site.URL = "https://example.org/"
	cfg.ContentDir = filepath.Join(dir, "content")
	cfg.OutputDir = filepath.Join(dir, "public")
	cfg.CacheDir = filepath.Join(dir, "cache")
	cfg.StateDir = filepath.Join(dir, "state")
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return &cfg
}

// TestSiteIcons: site.icon and site.logo are resolved against site.url.
func TestSiteIcons(t *testing.T) {
	cfg := testConfig(t)
	cfg.Site.URL = "https://example.org/blog"
	cfg.Site.Icon, cfg.Site.Logo = "favicon.png", "//cdn.example.net/logo.png"
	st, err := cfg.Settings(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s := st.Pipeline.Site; s.Icon != "https://example.org/blog/favicon.png" || s.Logo != "https://cdn.example.net/logo.png" {
		t.Errorf("icon %q, logo %q", s.Icon, s.Logo)
	}
}

// TestSitePlainText: the config's site title, description and author
// follow the plain-text rule of front matter (entities decoded, markup
// removed), so the feeds never carry them escaped as they were typed.
func TestSitePlainText(t *testing.T) {
	cfg := testConfig(t)
	cfg.Site.Title, cfg.Site.Description, cfg.Site.Author = "Inj <b>&amp;</b> Co", "Notes &#8211; <i>all</i>", "Ann <script>x</script>Lee"
	st, err := cfg.Settings(Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := st.Pipeline.Site
	if s.Title != "Inj & Co" || s.Description != "Notes – all" || s.Author != "Ann x Lee" {
		t.Errorf("title %q, description %q, author %q", s.Title, s.Description, s.Author)
	}
	if src := st.Pipeline.Source; src.SiteTitle != s.Title || src.Author != s.Author {
		t.Errorf("source got title %q, author %q", src.SiteTitle, src.Author)
	}
}
