package feedgen

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/syndicate/syndicate/outtree"
	"github.com/syndicate/syndicate/source"
)

// fingerprints maps each planned document's path to its fingerprint.
func fingerprints(p *Plan) map[string]Fingerprint {
	out := map[string]Fingerprint{}
	for _, pd := range p.Documents() {
		out[pd.Path] = pd.Fingerprint
	}
	return out
}

// clonePost is a deep copy, so that tests can change one without the
// other.
func clonePost(x *source.Post) *source.Post {
	c := *x
	c.Authors = append([]source.Author(nil), x.Authors...)
	c.Tags = append([]string(nil), x.Tags...)
	c.Categories = append([]string(nil), x.Categories...)
	return &c
}

func clonePosts(posts []*source.Post) []*source.Post {
	out := make([]*source.Post, len(posts))
	for i, x := range posts {
		out[i] = clonePost(x)
	}
	return out
}

// fpPosts is a small site whose first post is the one the field tests
// change: it has every field set, and is in the site feed.
func fpPosts() []*source.Post {
	x := simplePost("posts/subject.md", t0, "Go", "feeds")
	x.Updated = t0.Add(time.Hour)
	x.Authors = []source.Author{{Name: "Jane", Email: "jane@example.org", URL: "https://jane.example.org/"}}
	x.Categories = []string{"Notes"}
	x.Slug = "subject"
	x.SiteName = "Example"
	other := simplePost("posts/other.md", t0.Add(-time.Hour), "Go")
	return []*source.Post{x, other}
}

// TestFingerprintCoversPostFields changes every field of a post, one at a
// time: each field the encoders read must change the fingerprints of the
// documents listing the post (and the test checks that the change shows
// in their bytes too, so the list below stays honest). A field added to
// source.Post fails the test until it is sorted into one list or the
// other, and hashed in postFingerprint if the encoders read it.
func TestFingerprintCoversPostFields(t *testing.T) {
	hashed := map[string]bool{
		"ID":   true, // through the plan's id
		"Link": true, "Title": true, "Published": true, "Updated": true, "Authors": true,
		"Tags": true, "Categories": true, "Language": true,
		"ContentHTML": true, "SummaryHTML": true, "SummaryText": true,
	}
	notRead := map[string]bool{
		"Path": true, "Slug": true, "SiteName": true,
		"Draft": true, "Page": true, // they keep a post out of the plan
		"RenderSum":      true, // stands in for the HTML fields: TestFingerprintRenderSum
		"RenderWarnings": true, // reported by the pipeline, never encoded
		// They choose the plan's id, which is hashed with each document
		// (TestWordPressIDs, TestEarlierIDs).
		"ExplicitID": true, "PostID": true,
	}
	base := fpPosts()
	// Jane's address is public, so that a change to it shows.
	fpSite := testSite()
	fpSite.Authors = mustAuthors(t, map[string]Author{"Jane": {EmailPublic: true}})
	basePlan := mustPlan(t, fpSite, Options{Limit: 5}, base)
	before := fingerprints(basePlan)
	beforeSnap, err := basePlan.Build(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	site := []string{"feed.rss", "feed.atom", "feed.json"}

	check := func(t *testing.T, name string, change func(*source.Post)) {
		t.Helper()
		posts := clonePosts(base)
		change(posts[0])
		plan := mustPlan(t, fpSite, Options{Limit: 5}, posts)
		after := fingerprints(plan)
		snap, err := plan.Build(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		bytesChanged := false
		for _, p := range site {
			if after[p] == before[p] {
				t.Errorf("%s: changing it leaves the fingerprint of %s as it was", name, p)
			}
			if !bytes.Equal(snap.Docs[p].Body, beforeSnap.Docs[p].Body) {
				bytesChanged = true
			}
		}
		if !bytesChanged {
			t.Errorf("%s: the change shows in no document; is it read at all?", name)
		}
	}

	typ := reflect.TypeFor[source.Post]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		if !f.IsExported() {
			continue // feedgen cannot read it
		}
		switch {
		case notRead[f.Name]:
			continue
		case !hashed[f.Name]:
			t.Errorf("source.Post has a new field %s: hash it in postFingerprint if the encoders read it, and list it in this test", f.Name)
			continue
		}
		t.Run(f.Name, func(t *testing.T) {
			switch f.Type {
			case reflect.TypeFor[string]():
				check(t, f.Name, func(x *source.Post) {
					v := reflect.ValueOf(x).Elem().Field(i)
					if f.Name == "Language" {
						v.SetString("x-" + v.String()) // still a language tag
						return
					}
					v.SetString(v.String() + "x")
				})
			case reflect.TypeFor[time.Time]():
				check(t, f.Name+" later", func(x *source.Post) {
					v := reflect.ValueOf(x).Elem().Field(i)
					v.Set(reflect.ValueOf(v.Interface().(time.Time).Add(time.Second)))
				})
				// The same instant in another zone is written differently.
				check(t, f.Name+" in another zone", func(x *source.Post) {
					v := reflect.ValueOf(x).Elem().Field(i)
					v.Set(reflect.ValueOf(v.Interface().(time.Time).In(berlin)))
				})
			case reflect.TypeFor[[]string]():
				check(t, f.Name+" added", func(x *source.Post) {
					v := reflect.ValueOf(x).Elem().Field(i)
					v.Set(reflect.Append(v, reflect.ValueOf("Extra")))
				})
				check(t, f.Name+" renamed", func(x *source.Post) {
					v := reflect.ValueOf(x).Elem().Field(i)
					v.Index(0).SetString(v.Index(0).String() + "x")
				})
			case reflect.TypeFor[[]source.Author]():
				check(t, "another author", func(x *source.Post) {
					x.Authors = append(x.Authors, source.Author{Name: "Bob"})
				})
				at := reflect.TypeFor[source.Author]()
				for j := range at.NumField() {
					check(t, "author's "+at.Field(j).Name, func(x *source.Post) {
						v := reflect.ValueOf(&x.Authors[0]).Elem().Field(j)
						v.SetString("z" + v.String())
					})
				}
			default:
				t.Fatalf("no change defined for %s of type %s", f.Name, f.Type)
			}
		})
	}

	// Fields the encoders do not read change no fingerprint: a post
	// moved to another file keeps its documents.
	for _, change := range []func(*source.Post){
		func(x *source.Post) { x.Path = "elsewhere/subject.md" },
		func(x *source.Post) { x.Slug = "other-slug" },
		func(x *source.Post) { x.SiteName = "Other" },
	} {
		posts := clonePosts(base)
		change(posts[0])
		after := fingerprints(mustPlan(t, fpSite, Options{Limit: 5}, posts))
		for p, fp := range before {
			if after[p] != fp {
				t.Errorf("a field the encoders do not read changed the fingerprint of %s", p)
			}
		}
	}
}

// TestFingerprintCoversSiteAndOptions: every Site field, and the options
// that change how items are written, change every document's
// fingerprint; Limit and Formats only decide what is planned.
func TestFingerprintCoversSiteAndOptions(t *testing.T) {
	posts := fpPosts()
	before := fingerprints(mustPlan(t, testSite(), Options{Limit: 5}, posts))
	changesAll := func(t *testing.T, name string, site Site, opts Options) {
		t.Helper()
		after := fingerprints(mustPlan(t, site, opts, posts))
		for p, fp := range before {
			if after[p] == fp {
				t.Errorf("%s: the fingerprint of %s did not change", name, p)
			}
		}
	}
	typ := reflect.TypeFor[Site]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		if f.Name == "Authors" {
			// Any entry changes every document: an author's name or page
			// may be in any of them.
			for _, people := range []map[string]Author{
				{},
				{"Someone Else": {Name: "Other"}},
				{"Jane": {Name: "Jane Doe"}},
				{"Jane": {URL: "https://example.org/jane/"}},
				{"Jane": {EmailPublic: true}},
				{"Jane": {Email: "j@example.org"}},
			} {
				site := testSite()
				site.Authors = mustAuthors(t, people)
				changesAll(t, fmt.Sprintf("Site.Authors %v", people), site, Options{Limit: 5})
			}
			continue
		}
		if f.Type.Kind() != reflect.String {
			t.Errorf("Site.%s is a %s: hash it in siteHash and teach this test to change it", f.Name, f.Type)
			continue
		}
		site := testSite()
		v := reflect.ValueOf(&site).Elem().Field(i)
		if v.String() == "" {
			v.SetString("https://example.org/x") // unset by default (Icon, Logo), and a URL
		} else {
			v.SetString(v.String() + "x")
		}
		changesAll(t, "Site."+f.Name, site, Options{Limit: 5})
	}
	opts := reflect.TypeFor[Options]()
	for i := range opts.NumField() {
		switch name := opts.Field(i).Name; name {
		case "SummaryOnly":
			changesAll(t, name, testSite(), Options{Limit: 5, SummaryOnly: true})
		case "Limit", "Formats", "AuthorFeeds", "MaxFeeds", "MaxOutputBytes", "MaxHeldBytes":
		case "Earlier":
			// It chooses ids and kept feeds, hashed with each document
			// (TestEarlierIDs, TestKeptFeeds), and documents' Modified,
			// which is not in their bytes.
		case "Prev", "Incremental":
			// How the plan is made, not what it holds: the same plan
			// (TestIncrementalPlanMatchesNewPlan, TestReuseFingerprints).
		case "Compressed":
			// Only how the bytes are held: same documents, same fingerprints.
			posts := []*source.Post{simplePost("a.md", t0, "Go")}
			a := fingerprints(mustPlan(t, testSite(), Options{Limit: 5}, posts))
			b := fingerprints(mustPlan(t, testSite(), Options{Limit: 5, Compressed: true}, posts))
			if !reflect.DeepEqual(a, b) {
				t.Error("Compressed changed fingerprints")
			}
		default:
			t.Errorf("Options has a new field %s: hash it in siteHash if it changes how documents are written, and list it here", name)
		}
	}
}

// TestFingerprintFeedIdentity: a feed's name (the spelling most posts
// use) is in its documents' titles, so it is in their fingerprints.
func TestFingerprintFeedIdentity(t *testing.T) {
	a := fingerprints(mustPlan(t, testSite(), Options{Limit: 5}, []*source.Post{simplePost("a.md", t0, "Go")}))
	b := fingerprints(mustPlan(t, testSite(), Options{Limit: 5}, []*source.Post{simplePost("a.md", t0, "GO")}))
	if a["tags/go/feed.rss"].IsZero() || a["tags/go/feed.rss"] == b["tags/go/feed.rss"] {
		t.Error("renaming a tag kept its feed's fingerprint")
	}
}

// TestFingerprintStable: equal inputs give equal fingerprints, whatever
// the posts' order and addresses, and Build stamps them on its
// documents; distinct documents get distinct fingerprints.
func TestFingerprintStable(t *testing.T) {
	posts := generatePosts(200, 30, 4)
	plan1 := mustPlan(t, benchSite(), Options{Limit: 10}, posts)
	shuffled := clonePosts(posts)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	plan2 := mustPlan(t, benchSite(), Options{Limit: 10}, shuffled)
	a, b := fingerprints(plan1), fingerprints(plan2)
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("%d and %d documents", len(a), len(b))
	}
	seen := map[Fingerprint]string{}
	for p, fp := range a {
		if fp.IsZero() || b[p] != fp {
			t.Errorf("%s: fingerprints %s and %s", p, fp, b[p])
		}
		if q, ok := seen[fp]; ok {
			t.Errorf("%s and %s share a fingerprint", p, q)
		}
		seen[fp] = p
	}
	snap, err := plan2.Build(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for p, d := range snap.Docs {
		if d.Fingerprint != a[p] {
			t.Errorf("%s: the document's fingerprint is not the planned one", p)
		}
	}
	// Its text form is the manifest's.
	dir := filepath.Join(t.TempDir(), "public")
	if err := writeDir(snap, dir); err != nil {
		t.Fatal(err)
	}
	intact := outtree.Intact(dir)
	if fp := Fingerprint(intact["feed.rss"].Key); fp != a["feed.rss"] || fp.String() != hex.EncodeToString(fp[:]) {
		t.Error("a fingerprint does not survive its text form")
	}
}

// TestFingerprintRenderSum: a post's RenderSum stands in for its HTML
// fields, so different sums make different fingerprints.
func TestFingerprintRenderSum(t *testing.T) {
	fp := func(sum byte) map[string]Fingerprint {
		posts := clonePosts(fpPosts())
		posts[0].RenderSum[0] = sum
		return fingerprints(mustPlan(t, testSite(), Options{Limit: 5}, posts))
	}
	none, a, b := fp(0), fp(1), fp(2)
	for _, p := range []string{"feed.rss", "feed.atom", "feed.json"} {
		if none[p] == a[p] || a[p] == b[p] {
			t.Errorf("%s: fingerprints with no sum, sum 1 and sum 2 are %v, %v, %v", p, none[p], a[p], b[p])
		}
	}
}

// TestReuseFingerprints: over rounds of edits, additions and removals
// (each changed post a new *source.Post, as a scan gives it), a plan that
// reuses its predecessor's fingerprints has exactly the fingerprints of a
// plan made from scratch, and reuses most of them.
func TestReuseFingerprints(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	posts := generatePosts(400, 40, 5)
	opts := Options{Limit: 10}
	prev := mustPlan(t, benchSite(), opts, posts)
	prev.Documents()
	for round := range 30 {
		next := slices.Clone(posts)
		switch round % 5 {
		case 0, 1: // edit some posts, the newest most often
			for range 1 + rng.IntN(3) {
				i := rng.IntN(1 + rng.IntN(len(next)))
				x := clonePost(next[i])
				x.Title += " (edited)"
				next[i] = x
			}
		case 2: // a new post, now (or, once, an old one)
			x := clonePost(next[rng.IntN(len(next))])
			x.Path = fmt.Sprintf("new/%d.md", round)
			x.Link = fmt.Sprintf("https://example.org/new/%d/", round)
			x.Published = next[0].Published.Add(time.Hour)
			if round%10 == 7 {
				// Older than all, and claiming the newest post's id: that
				// post's id changes, its *source.Post does not.
				x.ID = next[0].ID
				x.Published = next[len(next)-1].Published.Add(-time.Hour)
				next = append(next, x)
				break
			}
			next = append([]*source.Post{x}, next...)
		case 3: // a post removed: any, or the oldest of a short tag feed
			i := rng.IntN(len(next))
			if round%10 == 3 {
				for _, f := range prev.Feeds {
					if f.Kind == TagFeed && len(f.Posts) > 1 && len(f.Posts) < opts.Limit {
						i = slices.Index(next, f.Posts[len(f.Posts)-1])
						break
					}
				}
			}
			next = slices.Delete(next, i, i+1)
		case 4: // a tag renamed on one post, or nothing changed at all
			if round%10 == 4 {
				i := rng.IntN(20)
				x := clonePost(next[i])
				x.Tags = append(x.Tags, "Fresh tag")
				next[i] = x
			}
		}
		posts = next
		withPrev := opts
		withPrev.Prev = prev
		plan := mustPlan(t, benchSite(), withPrev, posts)
		got := plan.Documents()
		want := fingerprints(mustPlan(t, benchSite(), opts, posts))
		if len(got) != len(want) {
			t.Fatalf("round %d: %d documents, want %d", round, len(got), len(want))
		}
		reused := 0
		for _, pd := range got {
			if pd.Fingerprint != want[pd.Path] {
				t.Errorf("round %d: %s: fingerprint %s, want %s", round, pd.Path, pd.Fingerprint, want[pd.Path])
			}
			if old := prev.docByPath(pd.Path); old != nil && old.Fingerprint == pd.Fingerprint {
				reused++
			}
		}
		if reused < len(got)/2 {
			t.Errorf("round %d: only %d of %d fingerprints unchanged", round, reused, len(got))
		}
		prev = plan
	}
}

func (p *Plan) docByPath(path string) *PlannedDocument {
	for i := range p.docs {
		if p.docs[i].Path == path {
			return &p.docs[i]
		}
	}
	return nil
}

// TestPrevFingerprintsTaken: a plan given Options.Prev takes an unchanged
// feed's fingerprint from it rather than hashing again (a marked
// fingerprint in the earlier plan shows through), in both ways of
// planning; without Prev it hashes.
func TestPrevFingerprintsTaken(t *testing.T) {
	posts := generatePosts(50, 5, 3)
	for _, incremental := range []bool{false, true} {
		opts := Options{Limit: 10, Incremental: incremental}
		prev := mustPlan(t, benchSite(), opts, posts)
		docs := prev.Documents()
		real := docs[0].Fingerprint
		marked := Fingerprint{1, 2, 3}
		docs[0].Fingerprint = marked
		withPrev := opts
		withPrev.Prev = prev
		if got := mustPlan(t, benchSite(), withPrev, posts).Documents()[0].Fingerprint; got != marked {
			t.Errorf("incremental %v: %s not taken from Prev", incremental, docs[0].Path)
		}
		if got := mustPlan(t, benchSite(), opts, posts).Documents()[0].Fingerprint; got != real {
			t.Errorf("incremental %v: without Prev %s has %s, want %s", incremental, docs[0].Path, got, real)
		}
	}
}
