package feedgen

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/atom"
	"github.com/mmcdole/gofeed/rss"

	"github.com/syndicate/syndicate/source"
)

func TestDuplicateIDs(t *testing.T) {
	a := simplePost("en/post.md", t0)
	b := simplePost("fr/post.md", t0.Add(time.Hour)) // a translation claiming a's link
	b.Link, b.ID = a.Link, a.ID
	c := simplePost("copy/post.md", t0.Add(2*time.Hour))
	c.Link, c.ID = a.Link, a.ID
	other := simplePost("other.md", t0.Add(-time.Hour))
	posts := []*source.Post{c, b, a, other}

	plan, snap := mustBuild(t, testSite(), Options{Limit: 10}, posts)
	if got := plan.IDs[a]; got != a.ID {
		t.Errorf("the earliest post's id = %q, want %q", got, a.ID)
	}
	seen := map[string]bool{}
	for _, x := range posts {
		id := plan.IDs[x]
		if id == "" || seen[id] {
			t.Errorf("%s: id %q empty or repeated", x.Path, id)
		}
		seen[id] = true
	}
	if len(plan.Notices) != 2 {
		t.Errorf("notices %v, want one per extra claimant", plan.Notices)
	}
	for _, n := range plan.Notices {
		if n.Path != "fr/post.md" && n.Path != "copy/post.md" || !strings.Contains(n.Message, "same id") {
			t.Errorf("notice %q", n)
		}
	}
	for _, path := range snap.Paths {
		f, err := gofeed.NewParser().Parse(bytes.NewReader(snap.Docs[path].Body))
		if err != nil {
			t.Fatal(err)
		}
		if len(f.Items) != 4 {
			t.Errorf("%s: %d items, want all 4 published", path, len(f.Items))
		}
		guids := map[string]bool{}
		for _, it := range f.Items {
			if guids[it.GUID] {
				t.Errorf("%s: id %q repeated", path, it.GUID)
			}
			guids[it.GUID] = true
		}
	}
	// RSS: the ids that are not the link are no permalinks.
	rf, _ := (&rss.Parser{}).Parse(bytes.NewReader(snap.Docs["feed.rss"].Body))
	for _, it := range rf.Items {
		if want := fmt.Sprint(it.GUID.Value == it.Link); it.GUID.IsPermalink != want {
			t.Errorf("guid %s isPermaLink=%s, want %s", it.GUID.Value, it.GUID.IsPermalink, want)
		}
	}

	// Stable: another order, another build, the same ids.
	again := mustPlan(t, testSite(), Options{Limit: 10}, []*source.Post{a, other, b, c})
	if got, want := ids(again, posts), ids(plan, posts); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ids changed with input order: %q, then %q", want, got)
	}
}

func TestDuplicateIDsWithoutPaths(t *testing.T) {
	// Posts built in code may have no path; they still get distinct ids,
	// even when one's own id looks like another's generated one.
	a := simplePost("x.md", t0)
	b := simplePost("y.md", t0.Add(time.Hour))
	c := simplePost("z.md", t0.Add(2*time.Hour))
	a.Path, b.Path, c.Path = "", "", ""
	b.ID, b.Link = a.ID, a.Link
	c.ID, c.Link = a.ID, a.Link
	d := simplePost("w.md", t0.Add(3*time.Hour))
	plan := mustPlan(t, testSite(), Options{Limit: 10}, []*source.Post{a, b, c, d})
	d2 := simplePost("w.md", t0.Add(3*time.Hour))
	d2.ID = plan.IDs[b] // a post whose own id is b's generated one
	plan = mustPlan(t, testSite(), Options{Limit: 10}, []*source.Post{a, b, c, d2})
	seen := map[string]bool{}
	for _, x := range []*source.Post{a, b, c, d2} {
		if id := plan.IDs[x]; seen[id] {
			t.Errorf("id %q repeated: %q", id, ids(plan, []*source.Post{a, b, c, d2}))
		} else {
			seen[id] = true
		}
	}
	if plan.IDs[d2] != d2.ID {
		t.Errorf("a post's own unique id was changed to %q", plan.IDs[d2])
	}
}

func TestMissingIDUsesLink(t *testing.T) {
	x := simplePost("a.md", t0)
	x.ID = ""
	y := simplePost("b.md", t0)
	y.ID = ""
	plan := mustPlan(t, testSite(), Options{Limit: 10}, []*source.Post{x, y})
	if plan.IDs[x] != x.Link || plan.IDs[y] != y.Link {
		t.Errorf("ids %q, want the links", ids(plan, []*source.Post{x, y}))
	}
	for _, link := range []string{"", "/relative/", "mailto:x@example.org", "example.org/x"} {
		z := simplePost("c.md", t0)
		z.Link = link
		plan = mustPlan(t, testSite(), Options{Limit: 10}, []*source.Post{x, z})
		if len(plan.Needed) != 1 || len(plan.Notices) != 1 || plan.Notices[0].Path != "c.md" {
			t.Errorf("a post with link %q: needed %q, notices %v", link, paths(plan.Needed), plan.Notices)
		}
	}
	// An id that is no absolute URI cannot be an Atom id: the link is used.
	for _, id := range []string{"42", "my post", "/relative/"} {
		z := simplePost("c.md", t0)
		z.ID = id
		plan = mustPlan(t, testSite(), Options{Limit: 10}, []*source.Post{z})
		if plan.IDs[z] != z.Link || len(plan.Notices) != 1 {
			t.Errorf("id %q: used %q, notices %v", id, plan.IDs[z], plan.Notices)
		}
	}
	for _, id := range []string{"tag:example.org,2024:x", "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66", "https://example.org/?p=42"} {
		z := simplePost("c.md", t0)
		z.ID = id
		if plan = mustPlan(t, testSite(), Options{Limit: 10}, []*source.Post{z}); plan.IDs[z] != id {
			t.Errorf("id %q replaced by %q", id, plan.IDs[z])
		}
	}
}

// TestLimitTieBreak gives five posts one publication time: whatever the
// input order, the limit keeps the same three, ordered by path.
func TestLimitTieBreak(t *testing.T) {
	var posts []*source.Post
	for _, name := range []string{"e.md", "c.md", "a.md", "d.md", "b.md"} {
		posts = append(posts, simplePost(name, t0, "tie"))
	}
	newer := simplePost("z-newest.md", t0.Add(time.Minute), "tie")
	older := simplePost("0-oldest.md", t0.Add(-time.Minute), "tie")
	posts = append(posts, older, newer)
	want := "[z-newest.md a.md b.md]"
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20; i++ {
		rng.Shuffle(len(posts), func(i, j int) { posts[i], posts[j] = posts[j], posts[i] })
		plan := mustPlan(t, testSite(), Options{Limit: 3}, posts)
		for _, f := range plan.Feeds {
			if got := fmt.Sprint(paths(f.Posts)); got != want {
				t.Fatalf("feed %q lists %s, want %s", f.Dir(), got, want)
			}
		}
		if got := fmt.Sprint(paths(plan.Needed)); got != want {
			t.Fatalf("needed %s, want %s", got, want)
		}
	}
}

func TestTagFeedsNewestFirst(t *testing.T) {
	var posts []*source.Post
	for i := range 10 {
		tags := []string{"all"}
		if i%2 == 0 {
			tags = append(tags, "Even")
		}
		if i%3 == 0 {
			tags = append(tags, "three", "THREE") // one tag, named twice
		}
		posts = append(posts, simplePost(fmt.Sprintf("p%02d.md", i), t0.Add(time.Duration(i)*time.Hour), tags...))
	}
	plan := mustPlan(t, testSite(), Options{Limit: 3}, posts)
	for _, tc := range []struct{ dir, want string }{
		{"", "[p09.md p08.md p07.md]"},
		{"tags/all/", "[p09.md p08.md p07.md]"},
		{"tags/even/", "[p08.md p06.md p04.md]"},
		{"tags/three/", "[p09.md p06.md p03.md]"},
	} {
		f := feedByPath(t, plan, tc.dir)
		if got := fmt.Sprint(paths(f.Posts)); got != tc.want {
			t.Errorf("%q lists %s, want %s", tc.dir, got, tc.want)
		}
	}
	if n := len(plan.Feeds); n != 4 {
		t.Errorf("%d feeds, want 4", n)
	}
	if got := feedByPath(t, plan, "tags/even/").Name; got != "Even" {
		t.Errorf("tag name %q, want Even", got)
	}
	// Needed: every listed post once, newest first.
	if got, want := fmt.Sprint(paths(plan.Needed)), "[p09.md p08.md p07.md p06.md p04.md p03.md]"; got != want {
		t.Errorf("needed %s, want %s", got, want)
	}
}

func TestDraftsAndPagesLeftOut(t *testing.T) {
	a, d, pg := simplePost("a.md", t0), simplePost("draft.md", t0), simplePost("page.md", t0)
	d.Draft, pg.Page = true, true
	plan := mustPlan(t, testSite(), Options{Limit: 10}, []*source.Post{a, d, pg})
	if got := fmt.Sprint(paths(plan.Needed)); got != "[a.md]" {
		t.Errorf("needed %s", got)
	}
}

func TestUpdatedNeverBeforePublished(t *testing.T) {
	x := simplePost("a.md", t0)
	x.Updated = t0.Add(-time.Hour)
	y := simplePost("b.md", t0.Add(-time.Hour))
	y.Updated = time.Time{}
	_, snap := mustBuild(t, testSite(), Options{Limit: 5}, []*source.Post{x, y})
	af, _ := (&atom.Parser{}).Parse(bytes.NewReader(snap.Docs["feed.atom"].Body))
	for i, want := range []time.Time{t0, t0.Add(-time.Hour)} {
		if e := af.Entries[i]; !e.UpdatedParsed.Equal(want) {
			t.Errorf("entry %d updated %v, want %v", i, e.UpdatedParsed, want)
		}
	}
	if !snap.Docs["feed.atom"].Modified.Equal(t0) {
		t.Errorf("feed modified %v, want %v", snap.Docs["feed.atom"].Modified, t0)
	}
}

func TestPlanErrors(t *testing.T) {
	good := testSite()
	for _, tc := range []struct {
		name string
		site func(Site) Site
		opts Options
		want string
	}{
		{"zero limit", nil, Options{}, "limit"},
		{"negative limit", nil, Options{Limit: -1}, "limit"},
		{"unknown format", nil, Options{Limit: 1, Formats: []Format{"xml"}}, "xml"},
		{"relative site url", func(s Site) Site { s.URL = "/blog/"; return s }, Options{Limit: 1}, "site url"},
		{"no feeds url", func(s Site) Site { s.FeedsURL = ""; return s }, Options{Limit: 1}, "feeds url"},
		{"relative tag url", func(s Site) Site { s.TagURL = "/tags/:slug/"; return s }, Options{Limit: 1}, "tag url"},
		{"relative category url", func(s Site) Site { s.CategoryURL = "categories/:slug"; return s }, Options{Limit: 1}, "category url"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			site := good
			if tc.site != nil {
				site = tc.site(site)
			}
			_, err := NewPlan(site, tc.opts, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one naming %q", err, tc.want)
			}
		})
	}
}

func TestFormatsSubset(t *testing.T) {
	_, snap := mustBuild(t, testSite(), Options{Limit: 5, Formats: []Format{JSON, RSS, JSON}}, []*source.Post{simplePost("a.md", t0, "x")})
	if got, want := fmt.Sprint(snap.Paths), "[feed.json feed.rss tags/x/feed.json tags/x/feed.rss]"; got != want {
		t.Errorf("paths %s, want %s", got, want)
	}
}

func TestSiteTitleDefault(t *testing.T) {
	site := testSite()
	site.Title = ""
	_, snap := mustBuild(t, site, Options{Limit: 5}, nil)
	f, err := gofeed.NewParser().Parse(bytes.NewReader(snap.Docs["feed.rss"].Body))
	if err != nil || f.Title != "example.org" {
		t.Errorf("title %q (%v), want the site's host", f.Title, err)
	}
}

// TestAuthorFeeds: with AuthorFeeds, each author gets a feed under
// authors/, by the rules of tags: names alike but for case are one
// author, slugs that clash keep a feed each, the newest Limit posts; and
// no author feed exists without the option.
func TestAuthorFeeds(t *testing.T) {
	by := func(n int, names ...string) *source.Post {
		x := simplePost(fmt.Sprintf("p%d.md", n), t0.Add(time.Duration(n)*time.Hour))
		for _, name := range names {
			x.Authors = append(x.Authors, source.Author{Name: name, Email: strings.ToLower(name) + "@example.org"})
		}
		return x
	}
	posts := []*source.Post{by(1, "Jane Doe"), by(2, "jane doe", "Zoë"), by(3, "C++"), by(4, "C"), by(5, "Jane Doe"), by(6)}
	opts := Options{Limit: 2, AuthorFeeds: true}
	plan := mustPlan(t, testSite(), opts, posts)
	var got []string
	for _, f := range plan.Feeds {
		if f.Kind != AuthorFeed {
			continue
		}
		var paths []string
		for _, x := range f.Posts {
			paths = append(paths, x.Path)
		}
		got = append(got, fmt.Sprintf("%s %s %q %v", f.Path(RSS), plan.URL(f, Atom), f.Name, paths))
	}
	want := []string{
		`authors/c/feed.rss https://example.org/feeds/authors/c/feed.atom "C" [p4.md]`,
		`authors/c-cedb1bac/feed.rss https://example.org/feeds/authors/c-cedb1bac/feed.atom "C++" [p3.md]`,
		`authors/jane-doe/feed.rss https://example.org/feeds/authors/jane-doe/feed.atom "Jane Doe" [p5.md p2.md]`,
		`authors/zoë/feed.rss https://example.org/feeds/authors/zo%C3%AB/feed.atom "Zoë" [p2.md]`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("author feeds\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	clash := false
	for _, n := range plan.Notices {
		clash = clash || strings.Contains(n.Message, `author "c" and "c++" both make the slug "c"`)
	}
	if !clash {
		t.Errorf("no notice of the clash: %v", plan.Notices)
	}
	for _, f := range plan.Feeds {
		if f.Kind == AuthorFeed && f.Name == "Jane Doe" {
			if plan.Title(f) != "Example Blog – author: Jane Doe" || plan.Description(f) != "Posts by Jane Doe on Example Blog" {
				t.Errorf("title %q, description %q", plan.Title(f), plan.Description(f))
			}
		}
	}
	for _, f := range mustPlan(t, testSite(), Options{Limit: 2}, posts).Feeds {
		if f.Kind == AuthorFeed {
			t.Errorf("author feed %s without the option", f.Dir())
		}
	}
}
