package pipeline

import (
	"context"
	"testing"
	"time"

	"github.com/syndicate/syndicate/feedgen"
	"github.com/syndicate/syndicate/source"
)

// testConfig is a builder's config for the posts in dir: the settings
// syndicate's config.yaml defaults give a site at https://example.org/.
func testConfig(dir string) Config {
	return Config{
		ContentDir: dir,
		Source: source.Config{
			SiteURL:   "https://example.org/",
			Permalink: "/:year/:month/:day/:slug/",
			Location:  time.UTC,
			Language:  "en",
		},
		Site: feedgen.Site{
			Title: "Test site", URL: "https://example.org/", FeedsURL: "https://example.org/feeds/", Language: "en",
			Generator: "syndicate", GeneratorVersion: "dev", GeneratorURI: "https://github.com/syndicate/syndicate",
		},
		Feeds: feedgen.Options{Limit: 20, Formats: []feedgen.Format{feedgen.RSS, feedgen.Atom, feedgen.JSON}},
	}
}

// buildSnapshot is a fresh build of cfg into memory.
func buildSnapshot(t testing.TB, cfg Config, now time.Time) *feedgen.Snapshot {
	t.Helper()
	var out Memory
	if _, err := New(cfg).Build(context.Background(), now, &out); err != nil {
		t.Fatal(err)
	}
	return out.Snapshot()
}

func docBytes(t testing.TB, d *feedgen.Document) []byte {
	t.Helper()
	b, err := d.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
