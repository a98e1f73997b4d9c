package main

import (
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
