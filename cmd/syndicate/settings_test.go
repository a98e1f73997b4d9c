package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCacheDirMustNotBeInsideContentOrOutput(t *testing.T) {
	content := copyContent(t)
	for _, dir := range []string{filepath.Join(content, "cache"), "public/cache"} {
		_, cfgPath := writeConfig(t, content, "cache_dir: "+dir+"\n")
		code, stderr := runCmd(t, "build", "--config", cfgPath)
		if code != exitUsage || !strings.Contains(stderr, "cache_dir") {
			t.Errorf("cache_dir %s: exit %d, stderr %q", dir, code, stderr)
		}
	}
}

// TestFoldersCheckedResolved: the folder rules compare absolute paths,
// with the config named relative to a working directory that is not its
// folder (cache_dir: public/cache beside output_dir: public used to pass).
func TestFoldersCheckedResolved(t *testing.T) {
	content := copyContent(t)
	home, err := os.UserHomeDir()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ yaml, key string }{
		{"output_dir: public\ncache_dir: public/cache\n", "cache_dir"},
		{"output_dir: ./public/\ncache_dir: public/../public/cache\n", "cache_dir"},
		{"output_dir: public\ncache_dir: public\n", "cache_dir"},
		{"output_dir: " + content + "/../" + filepath.Base(content) + "/out\n", "output_dir"},
		{"output_dir: " + filepath.Dir(content) + "\n", "content_dir"},
		{"output_dir: /\n", "output_dir: / is the root"},
		{"output_dir: " + home + "/\n", "output_dir: " + filepath.Clean(home) + " is the root or home"},
		{"output_dir: public\ncache_dir: cache\n", ""},
	} {
		t.Run(tc.yaml, func(t *testing.T) {
			site := filepath.Join(t.TempDir(), "site")
			if err := os.MkdirAll(site, 0o755); err != nil {
				t.Fatal(err)
			}
			yaml := fmt.Sprintf("site:\n  url: https://example.org/\ncontent_dir: %q\n%s", content, tc.yaml)
			if err := os.WriteFile(filepath.Join(site, "config.yaml"), []byte(yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Chdir(filepath.Dir(site))
			code, stderr := runCmd(t, "build", "--config", "site/config.yaml")
			if tc.key == "" {
				if code != exitOK {
					t.Fatalf("exit %d: %s", code, stderr)
				}
				return
			}
			if code != exitUsage || !strings.Contains(stderr, "config: "+tc.key) {
				t.Errorf("exit %d, stderr %q; want %d naming %s", code, stderr, exitUsage, tc.key)
			}
			if _, err := os.Stat(filepath.Join(site, "public")); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("a refused build wrote its output: %v", err)
			}
		})
	}
}

// TestSiteIcons: site.icon and site.logo are resolved against site.url.
func TestSiteIcons(t *testing.T) {
	content := copyContent(t)
	cfg, _ := writeConfig(t, content, "")
	cfg.Site.URL = "https://example.org/blog"
	cfg.Site.Icon, cfg.Site.Logo = "favicon.png", "//cdn.example.net/logo.png"
	st, err := cfg.settings(overrides{})
	if err != nil {
		t.Fatal(err)
	}
	if s := st.pipeline.Site; s.Icon != "https://example.org/blog/favicon.png" || s.Logo != "https://cdn.example.net/logo.png" {
		t.Errorf("icon %q, logo %q", s.Icon, s.Logo)
	}
}

// TestSitePlainText: the config's site title, description and author
// follow the plain-text rule of front matter (entities decoded, markup
// removed), so the feeds never carry them escaped as they were typed.
func TestSitePlainText(t *testing.T) {
	content := copyContent(t)
	cfg, _ := writeConfig(t, content, "")
	cfg.Site.Title, cfg.Site.Description, cfg.Site.Author = "Inj <b>&amp;</b> Co", "Notes &#8211; <i>all</i>", "Ann <script>x</script>Lee"
	st, err := cfg.settings(overrides{})
	if err != nil {
		t.Fatal(err)
	}
	s := st.pipeline.Site
	if s.Title != "Inj & Co" || s.Description != "Notes – all" || s.Author != "Ann x Lee" {
		t.Errorf("title %q, description %q, author %q", s.Title, s.Description, s.Author)
	}
	if src := st.pipeline.Source; src.SiteTitle != s.Title || src.Author != s.Author {
		t.Errorf("source got title %q, author %q", src.SiteTitle, src.Author)
	}
}
