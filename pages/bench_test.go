package pages

import (
	"context"
	"fmt"
	"testing"

	"github.com/syndicate/syndicate/feedgen"
	"github.com/syndicate/syndicate/source"
)

// benchPlan is a site of n posts with 2,000 tags, 30 categories and 5
// authors: 2,036 feeds, the size the issue sets the index page's limit
// at.
func benchPlan(b *testing.B, n int) *feedgen.Plan {
	b.Helper()
	posts := make([]*source.Post, n)
	for i := range posts {
		x := post(i, fmt.Sprintf("Post number %d about things", i),
			[]string{fmt.Sprintf("Tag %d", i%2000), fmt.Sprintf("Tag %d", (i*7+1)%2000)}, []string{fmt.Sprintf("Category %d", i%30)})
		x.Authors = []source.Author{{Name: fmt.Sprintf("Author %d", i%5)}}
		x.SummaryText = "A summary of a post of about the length real summaries have, cut on a word boundary at about three hundred characters, which is what syndicate makes when a post has no summary of its own and no more marker: the first paragraphs of the post, as plain text."
		posts[i] = x
	}
	plan, err := feedgen.NewPlan(testSite(), feedgen.Options{Limit: 20, AuthorFeeds: true}, posts)
	if err != nil {
		b.Fatal(err)
	}
	plan.Documents()
	return plan
}

// BenchmarkPages makes every page and the OPML file of a site of 10,000
// posts and 2,036 feeds from scratch (a cold build), and one edit's worth
// (the index, the OPML file and the pages of one post's feeds) against
// the previous snapshot, planned from the previous set as a serve
// rebuild does (Options.Prev); it reports the index page's and the OPML file's sizes.
func BenchmarkPages(b *testing.B) {
	ctx := context.Background()
	plan := benchPlan(b, 10000)
	b.Run("cold", func(b *testing.B) {
		var docs []*feedgen.Document
		for b.Loop() {
			var err error
			if docs, _, err = New(plan, Options{}).Build(ctx, nil); err != nil {
				b.Fatal(err)
			}
		}
		for _, d := range docs {
			switch d.Path {
			case IndexName:
				b.ReportMetric(float64(d.Size), "index-bytes")
			case OPMLName:
				b.ReportMetric(float64(d.Size), "opml-bytes")
			}
		}
		b.ReportMetric(float64(len(docs)), "documents")
	})
	b.Run("one-edit", func(b *testing.B) {
		last := New(plan, Options{})
		docs, _, err := last.Build(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		prev := (&feedgen.Snapshot{Docs: map[string]*feedgen.Document{}}).With(0, docs)
		edited := benchPlan(b, 10000)
		edited.Needed[0].Title += " (edited)" // before its fingerprints are taken
		edited = mustReplan(b, edited)
		b.ResetTimer()
		var made int
		for b.Loop() {
			if _, made, err = New(edited, Options{Prev: last}).Build(ctx, prev); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(made), "made")
	})
}

// mustReplan plans p's posts again, so that fingerprints see an edit.
func mustReplan(b *testing.B, p *feedgen.Plan) *feedgen.Plan {
	b.Helper()
	q, err := feedgen.NewPlan(p.Site, p.Options, p.Needed)
	if err != nil {
		b.Fatal(err)
	}
	return q
}
