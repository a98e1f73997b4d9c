package feedgen

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/syndicate/syndicate/source"
)

func TestEmptyFeed(t *testing.T) {
	plan, snap := mustBuild(t, testSite(), Options{Limit: 10}, nil)
	if len(plan.Feeds) != 1 || len(plan.Needed) != 0 {
		t.Fatalf("feeds %d, needed %d; want the site feed alone", len(plan.Feeds), len(plan.Needed))
	}
	if got, want := snap.Paths, []string{"feed.atom", "feed.json", "feed.rss"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("paths %q, want %q", got, want)
	}
	for _, path := range snap.Paths {
		body := snap.Docs[path].Body
		if path != "feed.json" {
			checkXML(t, path, body)
		}
		if m := snap.Docs[path].Modified; !m.IsZero() {
			t.Errorf("%s: Modified %v, want zero for a feed without items", path, m)
		}
		f, err := gofeed.NewParser().Parse(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("%s: %v\n%s", path, err, body)
		}
		if len(f.Items) != 0 || f.Title != "Example Blog" {
			t.Errorf("%s: %d items, title %q", path, len(f.Items), f.Title)
		}
	}
	// Atom requires <updated> even without entries; JSON needs "items".
	if !bytes.Contains(snap.Docs["feed.atom"].Body, []byte("<updated>1970-01-01T00:00:00Z</updated>")) {
		t.Errorf("empty Atom feed has no fixed <updated>:\n%s", snap.Docs["feed.atom"].Body)
	}
	if !bytes.Contains(snap.Docs["feed.json"].Body, []byte(`"items":[]`)) {
		t.Errorf("empty JSON feed has no items array:\n%s", snap.Docs["feed.json"].Body)
	}
}

func TestBuildRequiresRendered(t *testing.T) {
	x := simplePost("a.md", t0)
	x.ContentHTML, x.SummaryHTML = "", ""
	plan := mustPlan(t, testSite(), Options{Limit: 5}, []*source.Post{x})
	if _, err := plan.Build(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "a.md") {
		t.Errorf("error %v, want one naming the unrendered post", err)
	}
}

func TestBuildCancelled(t *testing.T) {
	plan := mustPlan(t, testSite(), Options{Limit: 5}, []*source.Post{simplePost("a.md", t0)})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := plan.Build(ctx, nil); err == nil {
		t.Error("Build with a cancelled context succeeded")
	}
}

// TestDeterminism builds the fixtures twice, from shuffled input, and
// wants the same bytes and ETags.
func TestDeterminism(t *testing.T) {
	posts := fixturePosts()
	for i := range 10 {
		posts = append(posts, simplePost(fmt.Sprintf("extra/%d.md", i), t0.Add(-time.Duration(i%3)*time.Hour), "Go", "c#", "C++", "c"))
	}
	plan1, s1 := mustBuild(t, testSite(), Options{Limit: 4}, posts)
	shuffled := append([]*source.Post(nil), posts...)
	rand.New(rand.NewPCG(3, 4)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	plan2, s2 := mustBuild(t, testSite(), Options{Limit: 4}, shuffled)
	if fmt.Sprint(s1.Paths) != fmt.Sprint(s2.Paths) {
		t.Fatalf("paths differ:\n%q\n%q", s1.Paths, s2.Paths)
	}
	for _, p := range s1.Paths {
		d1, d2 := s1.Docs[p], s2.Docs[p]
		if !bytes.Equal(d1.Body, d2.Body) || d1.ETag != d2.ETag || !d1.Modified.Equal(d2.Modified) {
			t.Errorf("%s differs between builds", p)
		}
		if !strings.HasPrefix(d1.ETag, `"`) || !strings.HasSuffix(d1.ETag, `"`) || len(d1.ETag) < 10 {
			t.Errorf("%s: ETag %s is not a quoted strong validator", p, d1.ETag)
		}
	}
	if fmt.Sprint(plan1.Notices) != fmt.Sprint(plan2.Notices) {
		t.Errorf("notices differ:\n%v\n%v", plan1.Notices, plan2.Notices)
	}
	etags := map[string]string{}
	for _, p := range s1.Paths {
		if q, ok := etags[s1.Docs[p].ETag]; ok {
			t.Errorf("%s and %s share an ETag", p, q)
		}
		etags[s1.Docs[p].ETag] = p
	}
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
			prev, plan, full := c.builds(t, posts)
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
				if old := prev.Docs[pd.Path]; kept(prev, pd.Path, pd.Fingerprint) {
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

// TestPostsToEncode: Build reads the HTML of exactly the posts that the
// documents it encodes list, and checks only those are rendered.
func TestPostsToEncode(t *testing.T) {
	posts := fpPosts()
	plan := mustPlan(t, testSite(), Options{Limit: 5}, posts)
	if got := plan.PostsToEncode(nil); len(got) != len(plan.Needed) {
		t.Fatalf("without a previous snapshot: %d posts, want all %d", len(got), len(plan.Needed))
	}
	prev, err := plan.Build(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	again := clonePosts(posts)
	for _, x := range again {
		x.RenderSum = [16]byte{1} // known by sum...
	}
	sumPlan := mustPlan(t, testSite(), Options{Limit: 5}, again)
	if got := sumPlan.PostsToEncode(prev); len(got) != len(sumPlan.Needed) {
		t.Fatalf("sums in place of HTML change every fingerprint: %d posts to encode, want %d", len(got), len(sumPlan.Needed))
	}
	same := mustPlan(t, testSite(), Options{Limit: 5}, clonePosts(posts))
	if got := same.PostsToEncode(prev); len(got) != 0 {
		t.Errorf("nothing changed, yet %d posts to encode", len(got))
	}
	many := generatePosts(300, 50, 6)
	plan1 := mustPlan(t, testSite(), Options{Limit: 5}, many)
	prev, err = plan1.Build(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	changed := clonePosts(many)
	edited := changed[slices.Index(many, plan1.Needed[len(plan1.Needed)-1])]
	edited.Title += " (edited)"
	plan2 := mustPlan(t, testSite(), Options{Limit: 5}, changed)
	todo := plan2.PostsToEncode(prev)
	if !slices.Contains(todo, edited) || len(todo) >= len(plan2.Needed)/2 {
		t.Fatalf("one edit: %d of %d posts to encode, edited one included: %v", len(todo), len(plan2.Needed), slices.Contains(todo, edited))
	}
	for _, x := range plan2.Needed {
		if !slices.Contains(todo, x) {
			x.ContentHTML, x.SummaryHTML, x.SummaryText = "", "", "" // not read
			x.RenderSum = [16]byte{}
		}
	}
	// The fingerprints were made before the HTML went, as in serve.
	if _, err := plan2.Build(context.Background(), prev); err != nil {
		t.Fatalf("Build with only the posts to encode rendered: %v", err)
	}
	todo[len(todo)-1].ContentHTML, todo[len(todo)-1].SummaryHTML = "", ""
	if _, err := plan2.Build(context.Background(), prev); err == nil {
		t.Error("Build encoded a document listing a post without HTML")
	}
}
