package feedgen

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syndicate/syndicate/outtree"
	"github.com/syndicate/syndicate/source"
)

// benchCorpus is a large generated site: 10,000 rendered posts of about
// 4 KB each, tags drawn Zipf-like from 2,000 (a few very common, a long
// tail of rare ones, some in non-Latin scripts), 30 categories.
var benchCorpus = sync.OnceValue(func() []*source.Post { return generatePosts(10_000, 2_000, 30) })

func generatePosts(n, nTags, nCats int) []*source.Post {
	rng := rand.New(rand.NewPCG(2024, 5))
	scripts := []string{"tag", "тег", "標籤", "वर्ग", "وسم", "ετικέτα"}
	tags := make([]string, nTags)
	for i := range tags {
		tags[i] = fmt.Sprintf("%s %d", scripts[i%len(scripts)], i)
		if i%50 == 0 {
			tags[i] = strings.ToUpper(tags[i]) // case variants fold together
		}
	}
	zipf := rand.NewZipf(rng, 1.2, 2, uint64(nTags-1))
	words := strings.Fields("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua & < > “quoted” ünïcödé 日本語")
	para := func() string {
		var b strings.Builder
		b.WriteString("<p>")
		for i := range 60 + rng.IntN(40) {
			if i > 0 {
				b.WriteByte(' ')
			}
			w := words[rng.IntN(len(words))]
			switch w {
			case "&":
				w = "&amp;"
			case "<":
				w = "&lt;"
			case ">":
				w = "&gt;"
			}
			b.WriteString(w)
		}
		b.WriteString("</p>\n")
		return b.String()
	}
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	posts := make([]*source.Post, n)
	for i := range posts {
		var content strings.Builder
		for content.Len() < 4000 {
			content.WriteString(para())
		}
		content.WriteString("<pre><code>x ]]> y</code></pre>")
		link := fmt.Sprintf("https://example.org/%d/post-%05d/", 2000+i/400, i)
		var ptags []string
		for range 1 + rng.IntN(5) {
			ptags = append(ptags, tags[zipf.Uint64()])
		}
		published := base.Add(-time.Duration(i/3) * 37 * time.Minute) // some share a time
		summary := para()
		posts[i] = &source.Post{
			Path:        fmt.Sprintf("posts/%05d.md", i),
			ID:          link,
			Link:        link,
			Title:       fmt.Sprintf("Post %d: %s & more", i, words[i%len(words)]),
			Published:   published,
			Updated:     published.Add(time.Duration(rng.IntN(100)) * time.Hour),
			Authors:     []source.Author{{Name: "Author " + fmt.Sprint(i%7), Email: fmt.Sprintf("a%d@example.org", i%7)}},
			Tags:        ptags,
			Categories:  []string{fmt.Sprintf("Category %d", rng.IntN(nCats))},
			Language:    "en",
			ContentHTML: content.String(),
			SummaryHTML: summary,
			SummaryText: htmlToText(summary),
		}
	}
	source.SortNewestFirst(posts)
	return posts
}

func benchSite() Site {
	s := testSite()
	s.Language = "en"
	return s
}

func BenchmarkNewPlan(b *testing.B) {
	posts := benchCorpus()
	b.ReportAllocs()
	var plan *Plan
	for b.Loop() {
		var err error
		if plan, err = NewPlan(benchSite(), Options{Limit: 20}, posts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(plan.Feeds)), "feeds")
	b.ReportMetric(float64(len(plan.Needed)), "needed-posts")
}

func BenchmarkBuild(b *testing.B) {
	posts := benchCorpus()
	plan, err := NewPlan(benchSite(), Options{Limit: 20}, posts)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var snap *Snapshot
	for b.Loop() {
		if snap, err = plan.Build(context.Background(), nil); err != nil {
			b.Fatal(err)
		}
	}
	var size int64
	for _, d := range snap.Docs {
		size += int64(len(d.Body))
	}
	b.SetBytes(size)
	b.ReportMetric(float64(len(snap.Docs)), "docs")
}

// withOneChange is posts with a copy of one recent post (in the site
// feed, its tags' and its category's) edited; the others are shared.
func withOneChange(posts []*source.Post, edit string) []*source.Post {
	out := append([]*source.Post(nil), posts...)
	x := *out[5]
	x.ContentHTML += "<p>" + edit + "</p>"
	out[5] = &x
	return out
}

// BenchmarkBuildIncremental is serve's rebuild after one post of 10,000
// changed, from planning (NewPlan, then fingerprints) to the snapshot:
// only the documents listing the post are encoded, the rest are the
// previous snapshot's.
func BenchmarkBuildIncremental(b *testing.B) {
	posts := benchCorpus()
	plan, err := NewPlan(benchSite(), Options{Limit: 20}, posts)
	if err != nil {
		b.Fatal(err)
	}
	prev, err := plan.Build(context.Background(), nil)
	if err != nil {
		b.Fatal(err)
	}
	changed := withOneChange(posts, "edited")
	b.ReportAllocs()
	var snap *Snapshot
	for b.Loop() {
		next, err := NewPlan(benchSite(), Options{Limit: 20}, changed)
		if err != nil {
			b.Fatal(err)
		}
		if snap, err = next.Build(context.Background(), prev); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(snap.Encoded), "docs-encoded")
	b.ReportMetric(float64(len(snap.Paths)), "docs")
}

// BenchmarkWriteTree encodes 10,000 posts' documents straight into a
// new folder (build's path: nothing kept in memory).
func BenchmarkWriteTree(b *testing.B) {
	plan, err := NewPlan(benchSite(), Options{Limit: 20}, benchCorpus())
	if err != nil {
		b.Fatal(err)
	}
	plan.Documents()
	root := b.TempDir()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if _, err := plan.WriteTree(context.Background(), fmt.Sprintf("%s/out-%d", root, i)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteTreeIncremental writes a folder again after one post of
// 10,000 changed (alternately two edits of it): the documents listing it
// are encoded, the others linked from the previous tree.
func BenchmarkWriteTreeIncremental(b *testing.B) {
	var plans [2]*Plan
	for i := range plans {
		var err error
		if plans[i], err = NewPlan(benchSite(), Options{Limit: 20}, withOneChange(benchCorpus(), fmt.Sprint("edit ", i))); err != nil {
			b.Fatal(err)
		}
		plans[i].Documents()
	}
	dir := b.TempDir() + "/out"
	if _, err := plans[0].WriteTree(context.Background(), dir); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var st outtree.Stats
	i := 0
	for b.Loop() {
		i++
		var err error
		if st, err = plans[i%2].WriteTree(context.Background(), dir); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(st.Written), "docs-written")
	b.ReportMetric(float64(st.Linked), "docs-linked")
}

func BenchmarkSlugify(b *testing.B) {
	names := []string{"Go", "C++", "日本語", "Ελλάδα", "हिन्दी भाषा", "A rather long tag name, with punctuation!"}
	b.ReportAllocs()
	for b.Loop() {
		for _, n := range names {
			Slugify(n)
		}
	}
}

// TestGeneratedCorpus runs the benchmark's corpus, scaled down, through
// the invariants every build must keep: unique ids and slugs, limits,
// newest-first order and well-formed documents.
func TestGeneratedCorpus(t *testing.T) {
	posts := generatePosts(600, 120, 5)
	plan, snap := mustBuild(t, benchSite(), Options{Limit: 20}, posts)
	slugs := map[string]bool{}
	for _, f := range plan.Feeds {
		if slugs[f.Dir()] {
			t.Errorf("two feeds in %s", f.Dir())
		}
		slugs[f.Dir()] = true
		if len(f.Posts) > 20 || len(f.Posts) == 0 && f.Kind != SiteFeed {
			t.Errorf("%s lists %d posts", f.Dir(), len(f.Posts))
		}
		seen := map[string]bool{}
		for i, x := range f.Posts {
			if seen[plan.IDs[x]] {
				t.Errorf("%s: id %s twice", f.Dir(), plan.IDs[x])
			}
			seen[plan.IDs[x]] = true
			if i > 0 && newerThan(x, f.Posts[i-1]) {
				t.Errorf("%s: not newest first at %d", f.Dir(), i)
			}
		}
	}
	for _, p := range snap.Paths {
		if strings.HasSuffix(p, ".json") {
			checkChars(t, p, snap.Docs[p].Body)
		} else {
			checkXML(t, p, snap.Docs[p].Body)
		}
	}
}

// BenchmarkEncodeItems encodes every needed post of the corpus once per
// format, as a full build does, without assembling documents.
func BenchmarkEncodeItems(b *testing.B) {
	plan, err := NewPlan(benchSite(), Options{Limit: 20}, benchCorpus())
	if err != nil {
		b.Fatal(err)
	}
	posts := plan.Needed[:min(len(plan.Needed), 2000)]
	for _, f := range Formats {
		b.Run(string(f), func(b *testing.B) {
			b.ReportAllocs()
			var size int64
			for b.Loop() {
				size = 0
				for _, x := range posts {
					enc, err := plan.encodeText(x, plan.postText(x), f)
					if err != nil {
						b.Fatal(err)
					}
					size += int64(len(enc))
				}
			}
			b.SetBytes(size)
		})
	}
}

// BenchmarkWireEncode encodes the wire structs of the corpus's items,
// built beforehand, with the fast encoders and with the reference ones.
func BenchmarkWireEncode(b *testing.B) {
	plan, err := NewPlan(benchSite(), Options{Limit: 20}, benchCorpus())
	if err != nil {
		b.Fatal(err)
	}
	posts := plan.Needed[:min(len(plan.Needed), 2000)]
	for _, f := range Formats {
		wires := make([]wire, len(posts))
		for i, x := range posts {
			wires[i] = plan.wireItem(x, plan.postText(x), f)
		}
		for _, enc := range []struct {
			name string
			fn   func(wire) ([]byte, error)
		}{
			{"fast", encodeExact},
			{"reference", wire.marshalRef},
		} {
			b.Run(string(f)+"/"+enc.name, func(b *testing.B) {
				b.ReportAllocs()
				var size int64
				for b.Loop() {
					size = 0
					for _, w := range wires {
						out, err := enc.fn(w)
						if err != nil {
							b.Fatal(err)
						}
						size += int64(len(out))
					}
				}
				b.SetBytes(size)
			})
		}
	}
}
