package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigServerKeys(t *testing.T) {
	tests := []configCase{
		{"server:\n  listen: \":8080\"\n", ""},
		{"server:\n  listen: \"127.0.0.1:0\"\n", ""},
		{"server:\n  listen: \"[::]:8080\"\n", ""},
		{"server:\n  listen: \"8080\"\n", "server.listen"},
		{"server:\n  listen: \"host:http\"\n", "server.listen"},
		{"server:\n  listen: \":70000\"\n", "server.listen"},
		{"server:\n  cache_control: \"public\\r\\nX-Evil: 1\"\n", "server.cache_control"},
		{"server:\n  path_prefix: feeds\n", "server.path_prefix"},
		{"server:\n  browser_pages: off\n", ""},
		{"server:\n  wordpress_urls: true\n  wordpress_tag_base: schlagwort\n", ""},
		{"server:\n  wordpress_category_base: a/b\n", "server.wordpress_category_base"},
		{"server:\n  wordpress_tag_base: \"\"\n", "server.wordpress_tag_base"},
		{"  feeds_url: https://example.org/f$x/\nserver:\n  wordpress_urls: true\n", "site.feeds_url"}, // under site:
		{"  feeds_url: https://example.org/f%3Fx/\nserver:\n  wordpress_urls: true\n", "site.feeds_url"},
		{"  feeds_url: https://example.org/f$x/\n", ""},                          // no include to write
		{"  icon: /favicon.png\n  logo: https://cdn.example.org/logo.png\n", ""}, // under site:
		{"  icon: javascript:alert(1)\n", "site.icon"},
		{"  logo: \"data:image/png;base64,AA\"\n", "site.logo"},
		{"  tag_url: https://example.org/tag/:slug/\n", ""},
		{"  tag_url: \"javascript:alert(1)//:slug\"\n", "site.tag_url"},
		{"  category_url: \"data:text/html,:slug\"\n", "site.category_url"},
		{"  category_url: https://example.org/category/\n", "site.category_url"},
		{"server:\n  browser_pages: negotiate\n", ""},
		{"server:\n  browser_pages: true\n", "server.browser_pages"},
		{"server:\n  browser_pages: always\n", "server.browser_pages"},
		{"schedule: \"every five minutes\"\n", "schedule"},
		{"schedule: \"CRON_TZ=Europe/Berlin 0 6 * * *\"\n", ""},
		{"schedule: \"@hourly\"\n", ""},
		{"server:\n  rebuild_timeout: 2m\n  stale_after: 6h\n", ""},
		{"server:\n  rebuild_timeout: 0s\n", "server.rebuild_timeout"},
		{"  language: en-GB\n", ""},
		{"  language: de_AT\n", ""},
		{"  language: english please\n", "site.language"},
		{"  language: \"x-\"\n", "site.language"},
		{"server:\n  stale_after: 10ms\n", "server.stale_after"},
		{"server:\n  stale_after: soon\n", "stale_after"},
	}
	checkConfigCases(t, tests)
}

// configCase is a config fragment (after "site:\n  url: ...\n") and the
// key its error must name, "" when it must load.
type configCase struct{ yaml, wantErr string }

// checkConfigCases loads each case's config and checks its error.
func checkConfigCases(t *testing.T, cases []configCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.yaml, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.yaml")
			os.WriteFile(path, []byte("site:\n  url: https://example.org/\n"+tc.yaml), 0o644)
			_, err := Load(path)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("error %v, want one naming %s", err, tc.wantErr)
			}
		})
	}
}

// TestLimitsConfig: the limits keys are read, checked and named in errors.
func TestLimitsConfig(t *testing.T) {
	checkConfigCases(t, []configCase{
		{"", ""},
		{"limits:\n  terms_per_post: 20\n  feeds: 10\n  output_bytes: 1048576\n  held_bytes: 1048576\n", ""},
		{"limits:\n  terms_per_post: 0\n", "limits.terms_per_post"},
		{"limits:\n  feeds: -1\n", "limits.feeds"},
		{"limits:\n  output_bytes: 0\n", "limits.output_bytes"},
		{"limits:\n  held_bytes: -5\n", "limits.held_bytes"},
		{"limits:\n  tags: 5\n", `unknown key "limits.tags"`},
	})
}
