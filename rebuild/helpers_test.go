package rebuild

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/syndicate/syndicate/feedgen"
	"github.com/syndicate/syndicate/internal/logtest"
	"github.com/syndicate/syndicate/pipeline"
	"github.com/syndicate/syndicate/source"
)

// everySchedule fires every d, below cron's one-second @every floor.
type everySchedule time.Duration

func (e everySchedule) Next(t time.Time) time.Time { return t.Add(time.Duration(e)) }

// stubSnapshot is a snapshot of one compressible RSS document, for
// rebuilds whose documents do not matter.
func stubSnapshot() *feedgen.Snapshot {
	body := []byte("<rss>" + strings.Repeat("<item>stub</item>\n", 50) + "</rss>")
	d := &feedgen.Document{
		Path: "feed.rss", Format: feedgen.RSS, ContentType: feedgen.RSS.ContentType(), Body: body, Size: int64(len(body)),
		ETag: feedgen.ETag(body), Modified: time.Date(2024, 3, 5, 9, 0, 0, 0, time.UTC),
	}
	return &feedgen.Snapshot{Docs: map[string]*feedgen.Document{d.Path: d}, Paths: []string{d.Path}}
}

// discard is a logger that writes nothing.
var discard = logtest.New(io.Discard)

// pipelineBuild is a build of the posts in dir from scratch into memory,
// for a site whose feeds are at https://example.org/feeds/.
func pipelineBuild(dir string) BuildFunc {
	cfg := pipeline.Config{
		ContentDir: dir,
		Source:     source.Config{SiteURL: "https://example.org/"},
		Site:       feedgen.Site{Title: "Test site", URL: "https://example.org/", FeedsURL: "https://example.org/feeds/"},
		Feeds:      feedgen.Options{Limit: 20, Formats: []feedgen.Format{feedgen.RSS, feedgen.Atom, feedgen.JSON}},
	}
	return func(ctx context.Context, now time.Time) (*pipeline.Result, *feedgen.Snapshot, error) {
		var mem pipeline.Memory
		res, err := pipeline.New(cfg).Build(ctx, now, &mem)
		return res, mem.Snapshot(), err
	}
}

// copyContent copies testdata/content (three posts, one dated 2030) into
// a temp folder the test may edit.
func copyContent(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "content")
	if err := os.CopyFS(dst, os.DirFS("testdata/content")); err != nil {
		t.Fatal(err)
	}
	return dst
}
