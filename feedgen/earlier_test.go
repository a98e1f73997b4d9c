package feedgen

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/syndicate/syndicate/outtree"
	"github.com/syndicate/syndicate/source"
)

// itemList is PublishedItems over a list, as package pubstate keeps
// them: for a path, the first item listed with it wins.
type itemList []PublishedItem

func (l itemList) ByPath(path string) (PublishedItem, bool) {
	for _, it := range l {
		if it.Path == path {
			return it, true
		}
	}
	return PublishedItem{}, false
}

func (l itemList) where(match func(PublishedItem) bool) []PublishedItem {
	var out []PublishedItem
	for _, it := range l {
		if match(it) {
			out = append(out, it)
		}
	}
	return out
}

func (l itemList) WithPostID(id string) []PublishedItem {
	return l.where(func(it PublishedItem) bool { return it.PostID == id })
}

func (l itemList) WithTitleDate(title string, published time.Time) []PublishedItem {
	return l.where(func(it PublishedItem) bool { return it.Title == title && it.Published.Equal(published) })
}

func (l itemList) WithBody(hash string) []PublishedItem {
	return l.where(func(it PublishedItem) bool { return it.BodyHash == hash })
}

// earlierOf is what a caller keeps of a plan, as Earlier for the next;
// bodies maps a post's path to its body, for BodyHash.
func earlierOf(p *Plan, now time.Time, bodies map[string]string) *Earlier {
	items := itemList(p.PublishedItems())
	e := &Earlier{Items: items, Feeds: p.PublishedFeeds(now), Now: now}
	if bodies != nil {
		for i := range items {
			items[i].BodyHash = bodies[items[i].Path]
		}
		e.BodyHash = func(x *source.Post) string { return bodies[x.Path] }
	}
	return e
}

// linkPost is a post whose id is its link, made from its date and slug,
// as a post without canonical or id in its front matter is.
func linkPost(path string, published time.Time) *source.Post {
	slug := strings.TrimSuffix(path[strings.LastIndexByte(path, '/')+1:], ".md")
	link := fmt.Sprintf("https://example.org/%s/%s/", published.Format("2006/01/02"), slug)
	return &source.Post{
		Path: path, ID: link, Link: link, Title: "Post " + slug,
		Published: published, Updated: published, Language: "en-US", Tags: []string{"Go"},
		ContentHTML: "<p>Body of " + slug + "</p>", SummaryHTML: "<p>About " + slug + "</p>", SummaryText: "About " + slug,
	}
}

// TestEarlierIDs: with what was published before, a post keeps the id
// it was published with when its date, link or file changes; explicit
// ids win; only a new post gets a new id; without it, today's rule. Each
// plan is also made from the first one (Options.Incremental) and must agree.
func TestEarlierIDs(t *testing.T) {
	day := 24 * time.Hour
	a := linkPost("posts/a.md", t0)
	b := linkPost("posts/b.md", t0.Add(-day))
	c := linkPost("posts/c.md", t0.Add(-2*day))
	c.PostID = "4569"
	first := []*source.Post{a, b, c}
	bodies := map[string]string{"posts/a.md": "body-a", "posts/b.md": "body-b", "posts/c.md": "body-c"}
	opts := Options{Limit: 10}
	site := testSite()
	plan1 := mustPlan(t, site, opts, first)
	idA, idB, idC := plan1.IDs[a], plan1.IDs[b], plan1.IDs[c]

	moved := func(x *source.Post, path string, published time.Time, change func(*source.Post)) *source.Post {
		y := linkPost(path, published)
		y.Title, y.PostID = x.Title, x.PostID
		if change != nil {
			change(y)
		}
		return y
	}
	tests := []struct {
		name      string
		posts     func() []*source.Post
		noEarlier bool
		bodies    map[string]string // bodies of the new files
		want      map[string]string // path -> id
		notice    string            // a notice must contain it
	}{
		{name: "nothing changed", posts: func() []*source.Post { return first },
			want: map[string]string{"posts/a.md": idA, "posts/b.md": idB, "posts/c.md": idC}},
		{name: "date corrected: same file, new link", posts: func() []*source.Post {
			return []*source.Post{moved(a, "posts/a.md", t0.Add(-20*time.Hour), nil), b, c}
		}, want: map[string]string{"posts/a.md": idA}},
		{name: "date corrected without earlier: today's rule", noEarlier: true, posts: func() []*source.Post {
			return []*source.Post{moved(a, "posts/a.md", t0.Add(-20*time.Hour), nil), b, c}
		}, want: map[string]string{"posts/a.md": "https://example.org/2024/04/30/a/"}},
		{name: "renamed: same title and date", posts: func() []*source.Post {
			return []*source.Post{moved(a, "posts/a-better-name.md", t0, nil), b, c}
		}, want: map[string]string{"posts/a-better-name.md": idA}, notice: "renamed from posts/a.md (same title and date)"},
		{name: "moved and retitled: same WordPress post_id", posts: func() []*source.Post {
			return []*source.Post{a, b, moved(c, "2024/c.md", t0.Add(-3*day), func(y *source.Post) { y.Title = "Retitled" })}
		}, want: map[string]string{"2024/c.md": idC}, notice: "same WordPress post_id"},
		{name: "renamed, retitled and redated: same body", posts: func() []*source.Post {
			return []*source.Post{a, moved(b, "posts/bee.md", t0.Add(-5*day), func(y *source.Post) { y.Title = "Bee" }), c}
		}, bodies: map[string]string{"posts/bee.md": "body-b"},
			want: map[string]string{"posts/bee.md": idB}, notice: "(same body)"},
		{name: "a copy of a post still there is new", posts: func() []*source.Post {
			return []*source.Post{a, moved(a, "posts/a-copy.md", t0, nil), b, c}
		}, want: map[string]string{"posts/a.md": idA, "posts/a-copy.md": "https://example.org/2024/05/01/a-copy/"}},
		{name: "a new post is new", posts: func() []*source.Post {
			return []*source.Post{linkPost("posts/d.md", t0.Add(day)), a, b, c}
		}, bodies: map[string]string{"posts/d.md": "body-d"},
			want: map[string]string{"posts/d.md": "https://example.org/2024/05/02/d/", "posts/a.md": idA}},
		{name: "an explicit id wins over the earlier one", posts: func() []*source.Post {
			return []*source.Post{moved(a, "posts/a.md", t0, func(y *source.Post) { y.ID, y.ExplicitID = "tag:example.org,2024:a", true }), b, c}
		}, want: map[string]string{"posts/a.md": "tag:example.org,2024:a"}},
		{name: "a post named by an explicit id takes it from the earlier owner", posts: func() []*source.Post {
			e := linkPost("posts/e.md", t0.Add(day))
			e.ID, e.ExplicitID = idA, true
			return []*source.Post{e, moved(a, "posts/a.md", t0.Add(-20*time.Hour), nil), b, c}
		}, want: map[string]string{"posts/e.md": idA, "posts/a.md": "https://example.org/2024/04/30/a/"},
			notice: "which another post now names as its own"},
		{name: "a new post at a kept id's link gets another id", posts: func() []*source.Post {
			n := linkPost("posts/n/a.md", t0) // link .../2024/05/01/a/, idA
			n.Title = "Another"
			return []*source.Post{n, moved(a, "posts/a.md", t0.Add(-20*time.Hour), nil), b, c}
		}, want: map[string]string{"posts/a.md": idA}, notice: "a published post keeps"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			all := map[string]string{}
			for k, v := range bodies {
				all[k] = v
			}
			for k, v := range tt.bodies {
				all[k] = v
			}
			o := opts
			if !tt.noEarlier {
				o.Earlier = earlierOf(plan1, t0, all)
				// Only the first build's files have recorded bodies.
				items := o.Earlier.Items.(itemList)
				for i := range items {
					items[i].BodyHash = bodies[items[i].Path]
				}
			}
			posts := tt.posts()
			source.SortNewestFirst(posts)
			got := mustPlan(t, site, o, posts)
			byPath := map[string]string{}
			for _, x := range got.Needed {
				byPath[x.Path] = got.IDs[x]
			}
			for path, want := range tt.want {
				if byPath[path] != want {
					t.Errorf("%s: id %q, want %q", path, byPath[path], want)
				}
			}
			ids := slices.Collect(func(yield func(string) bool) {
				for _, id := range got.IDs {
					if !yield(id) {
						return
					}
				}
			})
			slices.Sort(ids)
			if len(slices.Compact(ids)) != len(got.IDs) {
				t.Errorf("ids not unique: %v", got.IDs)
			}
			if tt.notice != "" && !strings.Contains(fmt.Sprint(got.Notices), tt.notice) {
				t.Errorf("notices %v lack %q", got.Notices, tt.notice)
			}
			// The plan made from the first build's agrees.
			prev, err := replanFrom(nil, site, o, first)
			if err != nil {
				t.Fatal(err)
			}
			from, err := replanFrom(prev, site, o, posts)
			if err != nil {
				t.Fatal(err)
			}
			samePlan(t, "incremental", from, got)
		})
	}
}

// TestKeptFeeds: a tag feed published once and named by no post now is
// still planned, with no items and the same title, self link and id, as
// valid documents; when a post names the tag again it lists it.
func TestKeptFeeds(t *testing.T) {
	a := linkPost("posts/a.md", t0)
	b := linkPost("posts/b.md", t0.Add(-time.Hour))
	b.Tags = []string{"Rare Tag"}
	site, opts := testSite(), Options{Limit: 10}
	plan1, snap1 := mustBuild(t, site, opts, []*source.Post{a, b})
	lastSeen := t0.Add(time.Hour)
	opts.Earlier = earlierOf(plan1, lastSeen, nil)

	b2 := clonePost(b)
	b2.Tags = nil
	plan2, snap2 := mustBuild(t, site, opts, []*source.Post{a, b2})
	var kept *Feed
	for _, f := range plan2.Feeds {
		if f.Kind == TagFeed && f.Slug == "rare-tag" {
			kept = f
		}
	}
	if kept == nil || len(kept.Posts) != 0 || kept.Name != "Rare Tag" {
		t.Fatalf("kept feed = %+v, want tags/rare-tag/ with no posts", kept)
	}
	for _, format := range Formats {
		path := "tags/rare-tag/" + format.FileName()
		before, after := snap1.Docs[path], snap2.Docs[path]
		if after == nil {
			t.Fatalf("%s not written", path)
		}
		f1, err := gofeed.NewParser().Parse(bytes.NewReader(before.Body))
		if err != nil {
			t.Fatal(err)
		}
		f2, err := gofeed.NewParser().Parse(bytes.NewReader(after.Body))
		if err != nil {
			t.Fatalf("%s: %v\n%s", path, err, after.Body)
		}
		if len(f2.Items) != 0 || len(f1.Items) != 1 {
			t.Errorf("%s: %d items, then %d; want 1, then 0", path, len(f1.Items), len(f2.Items))
		}
		if f1.Title != f2.Title || f1.FeedLink != f2.FeedLink || f1.Link != f2.Link {
			t.Errorf("%s: title, self and home %q %q %q, were %q %q %q", path, f2.Title, f2.FeedLink, f2.Link, f1.Title, f1.FeedLink, f1.Link)
		}
		if format == Atom && !bytes.Contains(after.Body, []byte("<updated>"+lastSeen.Format(time.RFC3339)+"</updated>")) {
			t.Errorf("%s: updated is not when it last listed a post:\n%s", path, after.Body)
		}
	}
	if got, want := len(plan2.Documents()), len(plan1.Documents()); got != want {
		t.Errorf("%d documents, want %d as before", got, want)
	}
	// The tag comes back: its feed lists the post again.
	b3 := clonePost(b)
	b3.Path = "posts/b-again.md"
	plan3 := mustPlan(t, site, opts, []*source.Post{a, b3})
	for _, f := range plan3.Feeds {
		if f.Slug == "rare-tag" && len(f.Posts) != 1 {
			t.Errorf("refilled tag lists %d posts", len(f.Posts))
		}
	}
	// Without earlier feeds it is gone, as before.
	if p := mustPlan(t, site, Options{Limit: 10}, []*source.Post{a, b2}); slices.ContainsFunc(p.Feeds, func(f *Feed) bool { return f.Slug == "rare-tag" }) {
		t.Error("a feed was kept without Earlier")
	}
}

// TestEarlierModified: a document's Modified is when its bytes last
// changed: kept while its ETag is the recorded one, Now when its bytes
// are new, whatever its items' dates say.
func TestEarlierModified(t *testing.T) {
	a := linkPost("posts/a.md", t0)
	site := testSite()
	_, snap := mustBuild(t, site, Options{Limit: 10}, []*source.Post{a})
	changed := t0.Add(48 * time.Hour)
	now := t0.Add(72 * time.Hour)
	docs := map[string]PublishedDocument{}
	for p, d := range snap.Docs {
		docs[p] = PublishedDocument{ETag: d.ETag, Changed: changed}
	}
	e := &Earlier{Documents: docs, Now: now}
	_, same := mustBuild(t, site, Options{Limit: 10, Earlier: e}, []*source.Post{a})
	for p, d := range same.Docs {
		if !d.Modified.Equal(changed) {
			t.Errorf("%s unchanged: Modified %v, want %v", p, d.Modified, changed)
		}
	}
	// A backdated post: no item is newer, but the bytes changed.
	old := linkPost("posts/old.md", t0.Add(-time.Hour))
	_, backdated := mustBuild(t, site, Options{Limit: 10, Earlier: e}, []*source.Post{a, old})
	if d := backdated.Docs["feed.rss"]; !d.Modified.Equal(now) {
		t.Errorf("feed.rss with a backdated post: Modified %v, want %v", d.Modified, now)
	}
	// WriteTree stamps files with the same times.
	dir := t.TempDir() + "/out"
	plan := mustPlan(t, site, Options{Limit: 10, Earlier: e}, []*source.Post{a, old})
	if _, err := plan.WriteTree(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	m, err := outtree.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range m.Entries {
		if en.Path == "feed.rss" && !en.Modified.Equal(now) {
			t.Errorf("written feed.rss: Modified %v, want %v", en.Modified, now)
		}
	}
}
