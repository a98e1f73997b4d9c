package feedgen

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/syndicate/syndicate/source"
)

// feedcheckScript is the shared validator suite (../shared/feedcheck from
// the repository root); $FEEDCHECK overrides it.
func feedcheckScript(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("feedcheck runs external validators and readers; skipped with -short")
	}
	script := os.Getenv("FEEDCHECK")
	if script == "" {
		script = filepath.Join("..", "..", "shared", "feedcheck", "feedcheck")
	}
	script, err := filepath.Abs(script)
	if err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(script); err != nil || info.IsDir() {
		t.Skipf("no feedcheck at %s (set FEEDCHECK)", script)
	}
	// feedcheck runs under Debian's python3, where python3-feedparser
	// lives; without it and xmllint it would judge little.
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Skip("xmllint missing (../shared/feedcheck/setup.sh installs it)")
	}
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		py = "python3"
	}
	if err := exec.Command(py, "-c", "import feedparser").Run(); err != nil {
		t.Skip("python3 feedparser missing (../shared/feedcheck/setup.sh installs it)")
	}
	return script
}

var feedcheckSummary = regexp.MustCompile(`(?m)^(\d+) passed, (\d+) failed$`)

// TestFeedcheck writes the fixtures, plus posts with the hard cases
// (control characters, two posts claiming one link, no authors, a
// plain-text summary, a javascript: id, a language that is no tag, a
// WordPress guid) and a tag feed kept with no items, as a tree and runs
// feedcheck --strict on it: every
// document must pass every available checker without a warning.
func TestFeedcheck(t *testing.T) {
	script := feedcheckScript(t)
	posts := fixturePosts()
	ctl := simplePost("hard/control.md", t0.Add(-time.Hour), "Go")
	ctl.Title = "Control\x01 characters\u0085 and \ufffd"
	ctl.ContentHTML = "<p>form\x0cfeed, next line\u0085, replacement \ufffd, bad \xff byte</p>"
	ctl.Authors = []source.Author{{Name: "Ann\x00", Email: "ann@example.org"}}
	dup := simplePost("hard/translation.md", t0.Add(-2*time.Hour))
	dup.ID, dup.Link = posts[0].ID, posts[0].Link
	dup.Language = "fr"
	plain := simplePost("hard/plain.md", t0.Add(-3*time.Hour))
	plain.SummaryHTML, plain.SummaryText, plain.ContentHTML = "", "Fish & chips <b>", "<p>Body</p>"
	plain.Authors = nil
	// Values that must not reach a feed as they are: an id a reader
	// might act on and a language that is not a tag.
	bad := simplePost("hard/bad-values.md", t0.Add(-4*time.Hour), "Go")
	bad.ID, bad.Language = "javascript:alert(11)", `en"><x/>`
	plain.Tags = []string{"Anonymous"} // a JSON feed with top-level authors
	wp := simplePost("hard/wordpress.md", t0.Add(-5*time.Hour), "Go")
	wp.PostID = "4569" // an id WordPress gave: http://example.org/?p=4569
	// Authors as exports write them: an address alone, a name with an
	// address in it, one author with a public address (authorsSite).
	mail := simplePost("hard/mail.md", t0.Add(-6*time.Hour), "Go")
	mail.Authors = []source.Author{{Name: "wp@example.org", Email: "wp@example.org"}}
	named := simplePost("hard/named.md", t0.Add(-7*time.Hour))
	named.Authors = []source.Author{{Name: "Max <max@example.org>"}, {Name: "Jane Doe", Email: "jane@example.org"}}
	posts = append(posts, ctl, dup, plain, bad, wp, mail, named)

	// Every author feed, with no authors: config and with one.
	for _, tree := range []struct {
		name string
		site Site
	}{{"public", testSite()}, {"configured", authorsSite(t)}} {
		site := tree.site
		site.Icon, site.Logo = "https://example.org/favicon.png", "https://example.org/logo.png"
		site.WordPressGUIDBase = "http://example.org/"
		plan, snap := mustBuild(t, site, Options{Limit: 10, AuthorFeeds: true}, posts)
		if len(plan.Notices) == 0 {
			t.Error("the duplicate link was not reported")
		}
		dir := filepath.Join(t.TempDir(), tree.name)
		if err := writeDir(snap, dir); err != nil {
			t.Fatal(err)
		}
		runFeedcheck(t, script, site.FeedsURL, dir)
	}
	site := testSite()

	// A tag published once and named by no post now: kept, with no
	// items. feed-extractor cannot read an Atom feed without entries (it
	// recognises Atom by its first <entry>), which RFC 4287 allows and
	// every other checker accepts; it is left out for this tree.
	kept := &Earlier{Feeds: []PublishedFeed{{Kind: TagFeed, Name: "Gone & Back", Slug: "gone-back", LastPost: t0}}, Now: t0}
	_, snap := mustBuild(t, site, Options{Limit: 10, Earlier: kept}, []*source.Post{simplePost("a.md", t0, "Go")})
	if snap.Docs["tags/gone-back/feed.atom"] == nil {
		t.Fatal("the kept feed was not built")
	}
	dir := filepath.Join(t.TempDir(), "kept")
	if _, err := snap.WriteTree(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	runFeedcheck(t, script, site.FeedsURL, dir, "--only", "w3c,feedparser,xmllint,atom-rng,jsonfeed,newsboat,sfeed")
}

// runFeedcheck runs feedcheck --strict on a tree; any FAIL or WARN fails
// the test.
func runFeedcheck(t *testing.T, script, feedsURL, dir string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	args = append([]string{"--strict", "-q", "--public-url", feedsURL}, args...)
	cmd := exec.CommandContext(ctx, script, append(args, dir)...)
	out, err := cmd.CombinedOutput()
	m := feedcheckSummary.FindSubmatch(out)
	if err != nil || m == nil || string(m[2]) != "0" {
		var problems []string
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, "==") || strings.Contains(line, "[FAIL]") || strings.Contains(line, "[WARN]") {
				problems = append(problems, line)
			}
		}
		t.Fatalf("feedcheck --strict: %v\n%s\n\nfull output:\n%s", err, strings.Join(problems, "\n"), out)
	}
	t.Logf("feedcheck: %s", m[0])
}
