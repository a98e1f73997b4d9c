package feedgen

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/syndicate/syndicate/source"
)

// change is one edit of a site between two builds.
type change struct {
	name string
	site func(*Site)
	opts func(*Options)
	// posts edits a deep copy of the posts.
	posts func([]*source.Post) []*source.Post
}

func incrementalChanges() []change {
	return []change{
		{name: "nothing"},
		{name: "one post's content", posts: func(ps []*source.Post) []*source.Post {
			ps[7].ContentHTML += "<p>edited</p>"
			return ps
		}},
		{name: "a post no feed lists", posts: func(ps []*source.Post) []*source.Post {
			ps[len(ps)-1].Title += " (edited)"
			return ps
		}},
		{name: "a new post", posts: func(ps []*source.Post) []*source.Post {
			x := simplePost("new.md", ps[0].Published.Add(time.Hour), "brand new", ps[0].Tags[0])
			return append(ps, x)
		}},
		{name: "a post removed", posts: func(ps []*source.Post) []*source.Post {
			return append(ps[:3:3], ps[4:]...)
		}},
		{name: "a tag gone", posts: func(ps []*source.Post) []*source.Post {
			// The rarest tag in the corpus disappears with its feed.
			for _, x := range ps {
				x.Tags = slicesDelete(x.Tags, "rare tag")
			}
			return ps
		}},
		{name: "site title", site: func(s *Site) { s.Title += " (new)" }},
		{name: "summary only", opts: func(o *Options) { o.SummaryOnly = true }},
		{name: "fewer formats", opts: func(o *Options) { o.Formats = []Format{Atom} }},
	}
}

func slicesDelete(list []string, s string) []string {
	var out []string
	for _, v := range list {
		if v != s {
			out = append(out, v)
		}
	}
	return out
}

func incrementalCorpus() []*source.Post {
	posts := generatePosts(300, 40, 5)
	posts[100].Tags = append(posts[100].Tags, "rare tag")
	return posts
}

// apply makes the plan after the change, from fresh copies of posts.
func (c change) apply(t testing.TB, posts []*source.Post) *Plan {
	t.Helper()
	site, opts := benchSite(), Options{Limit: 10}
	if c.site != nil {
		c.site(&site)
	}
	if c.opts != nil {
		c.opts(&opts)
	}
	ps := clonePosts(posts)
	if c.posts != nil {
		ps = c.posts(ps)
	}
	return mustPlan(t, site, opts, ps)
}

// TestBuildIncremental builds, changes one thing and builds again from
// the first snapshot: the result equals a build from scratch; documents
// whose fingerprints did not change are the previous snapshot's, the
// very same pointers; and only posts listed by changed documents are
// encoded.
func TestBuildIncremental(t *testing.T) {
	posts := incrementalCorpus()
	ctx := context.Background()
	for _, c := range incrementalChanges() {
		t.Run(c.name, func(t *testing.T) {
			prev, err := mustPlan(t, benchSite(), Options{Limit: 10}, clonePosts(posts)).Build(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			full, err := c.apply(t, posts).Build(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			plan := c.apply(t, posts)
			n := itemsEncoded.Load()
			inc, err := plan.Build(ctx, prev)
			if err != nil {
				t.Fatal(err)
			}
			encodings := itemsEncoded.Load() - n

			if fmt.Sprint(inc.Paths) != fmt.Sprint(full.Paths) {
				t.Fatalf("paths\n%q\nwant\n%q", inc.Paths, full.Paths)
			}
			changed, wantEncodings := 0, 0
			listed := map[string]bool{}
			for _, pd := range plan.Documents() {
				d, f := inc.Docs[pd.Path], full.Docs[pd.Path]
				if !bytes.Equal(d.Body, f.Body) || d.ETag != f.ETag || !d.Modified.Equal(f.Modified) || d.Fingerprint != f.Fingerprint {
					t.Errorf("%s differs from a build from scratch", pd.Path)
				}
				if old := prev.Docs[pd.Path]; old != nil && old.Fingerprint == pd.Fingerprint {
					if d != old {
						t.Errorf("%s: unchanged, but not the previous snapshot's document", pd.Path)
					}
					continue
				} else if old == d {
					t.Errorf("%s: changed, but the previous document was kept", pd.Path)
				}
				changed++
				for _, x := range pd.Feed.Posts {
					if k := string(pd.Format) + "\x00" + x.Path; !listed[k] {
						listed[k] = true
						wantEncodings++
					}
				}
			}
			if inc.Encoded != changed {
				t.Errorf("Encoded = %d, want %d", inc.Encoded, changed)
			}
			if encodings != int64(wantEncodings) {
				t.Errorf("%d items encoded, want %d (each post listed by a changed document, once per format)", encodings, wantEncodings)
			}
			if c.name == "nothing" && changed != 0 {
				t.Errorf("%d documents encoded again when nothing changed", changed)
			}
			if c.name == "one post's content" && (changed == 0 || changed > 3*7) {
				t.Errorf("%d documents encoded again for one post", changed)
			}
			t.Logf("%d of %d documents encoded, %d items", changed, len(inc.Paths), encodings)
		})
	}
}

// TestBuildIgnoresUnfingerprintedPrevious: a previous document without a
// fingerprint (made by hand) is never reused.
func TestBuildIgnoresUnfingerprintedPrevious(t *testing.T) {
	plan := mustPlan(t, testSite(), Options{Limit: 5}, fixturePosts())
	s, err := plan.Build(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	fake := &Document{Path: "feed.rss", Format: RSS, Body: []byte("old"), ETag: `"old"`}
	prev := &Snapshot{Docs: map[string]*Document{"feed.rss": fake}, Paths: []string{"feed.rss"}}
	again, err := mustPlan(t, testSite(), Options{Limit: 5}, fixturePosts()).Build(context.Background(), prev)
	if err != nil {
		t.Fatal(err)
	}
	if again.Docs["feed.rss"] == fake || !bytes.Equal(again.Docs["feed.rss"].Body, s.Docs["feed.rss"].Body) {
		t.Error("a previous document without a fingerprint was reused")
	}
	if again.Encoded != len(again.Paths) {
		t.Errorf("Encoded = %d, want all %d", again.Encoded, len(again.Paths))
	}
}
