package feedgen

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/syndicate/syndicate/internal/dirtest"
	"github.com/syndicate/syndicate/source"
)

// bombPost names n tags: n tag feeds that each list all n tags, so its
// output grows with n².
func bombPost(n int) *source.Post {
	tags := make([]string, n)
	for i := range tags {
		tags[i] = fmt.Sprintf("tag number %d", i)
	}
	return simplePost("bomb.md", t0, tags...)
}

// outputTree writes a first, good tree to return to after a failed build.
func outputTree(t *testing.T) (dir string, before []string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "public")
	_, s := mustBuild(t, testSite(), Options{Limit: 5}, []*source.Post{simplePost("good.md", t0, "go")})
	if _, err := s.WriteTree(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	return dir, dirtest.Paths(t, dir)
}

// checkUntouched: a failed build left the previous tree as it was and
// nothing beside it.
func checkUntouched(t *testing.T, dir string, before []string) {
	t.Helper()
	if got := dirtest.Paths(t, dir); strings.Join(got, "\n") != strings.Join(before, "\n") {
		t.Errorf("the previous tree changed:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(before, "\n"))
	}
	checkNoLeftovers(t, dir)
}

func checkLimitErr(t *testing.T, what string, err error, wants ...string) {
	t.Helper()
	if !errors.Is(err, ErrLimit) {
		t.Fatalf("%s: err = %v, want ErrLimit", what, err)
	}
	for _, w := range wants {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%s: %q does not say %q", what, err, w)
		}
	}
}

// TestTagBomb: one post with 60,000 tags, as a site that lifted the
// per-post limit (source.Config.MaxTerms) would let through, fails
// before anything is encoded or written: at the plan, for more feeds
// than MaxFeeds, or, with MaxFeeds lifted too, at the output limit,
// naming the post. The previous output stays as it was.
func TestTagBomb(t *testing.T) {
	posts := []*source.Post{simplePost("good.md", t0.Add(time.Hour), "go"), bombPost(60000)}
	t.Run("feeds", func(t *testing.T) {
		_, err := NewPlan(testSite(), Options{Limit: 20}, posts)
		checkLimitErr(t, "NewPlan", err, "60002 feeds", "limits.feeds", "bomb.md (60000 tags")
		_, err = replanFrom(nil, testSite(), Options{Limit: 20}, posts)
		checkLimitErr(t, "incremental NewPlan", err, "60002 feeds", "bomb.md")
	})
	t.Run("output", func(t *testing.T) {
		opts := Options{Limit: 20, MaxFeeds: 100000, MaxOutputBytes: 8 << 20}
		plan := mustPlan(t, testSite(), opts, posts)
		dir, before := outputTree(t)
		encoded := itemsEncoded.Load()
		_, err := plan.WriteTree(context.Background(), dir)
		checkLimitErr(t, "WriteTree", err, "output limit of 8.0 MiB", "limits.output_bytes", "bomb.md")
		checkUntouched(t, dir, before)
		_, err = plan.Build(context.Background(), nil)
		checkLimitErr(t, "Build", err, "bomb.md")
		if n := itemsEncoded.Load() - encoded; n != 0 {
			t.Errorf("%d items encoded before the limit was found", n)
		}
	})
}

// TestOutputLimit: documents that come to more than MaxOutputBytes,
// though no lower bound says so in advance, fail the build as they are
// encoded: no file beyond the limit is written, the previous tree stays,
// and the error names the document. Within the limit, the same plan
// builds.
func TestOutputLimit(t *testing.T) {
	var posts []*source.Post
	for i := range 30 {
		x := simplePost(fmt.Sprintf("p%02d.md", i), t0.Add(time.Duration(i)*time.Hour), "go", "feeds")
		x.ContentHTML = "<p>" + strings.Repeat("Long text. ", 2000) + "</p>"
		posts = append(posts, x)
	}
	full := mustPlan(t, testSite(), Options{Limit: 20}, posts)
	s, err := full.Build(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, d := range s.Docs {
		total += d.Len()
	}
	for _, c := range []struct {
		name string
		max  int64
		ok   bool
	}{
		{"exactly the size", total, true},
		{"one byte short", total - 1, false},
		{"a third", total / 3, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			plan := mustPlan(t, testSite(), Options{Limit: 20, MaxOutputBytes: c.max}, posts)
			planned := plan.Documents()
			all := make([]int, len(planned))
			for i := range all {
				all[i] = i
			}
			if err := plan.checkOutputBound(0, planned, all); err != nil {
				t.Fatalf("the lower bound already fails: %v", err)
			}
			dir, before := outputTree(t)
			_, werr := plan.WriteTree(context.Background(), dir)
			_, berr := plan.Build(context.Background(), nil)
			if c.ok {
				if werr != nil || berr != nil {
					t.Fatalf("WriteTree: %v; Build: %v", werr, berr)
				}
				return
			}
			checkLimitErr(t, "WriteTree", werr, "feed.", "limits.output_bytes")
			checkLimitErr(t, "Build", berr, "feed.", "limits.output_bytes")
			checkUntouched(t, dir, before)
		})
	}
	t.Run("held", func(t *testing.T) {
		plan := mustPlan(t, testSite(), Options{Limit: 20, Compressed: true, MaxHeldBytes: 4 << 10}, posts)
		_, err := plan.Build(context.Background(), nil)
		checkLimitErr(t, "Build", err, "held size", "limits.held_bytes")
		// Held compressed, the same documents fit in far less than
		// their size.
		plan = mustPlan(t, testSite(), Options{Limit: 20, Compressed: true, MaxHeldBytes: total / 4}, posts)
		if _, err := plan.Build(context.Background(), nil); err != nil {
			t.Errorf("held compressed in a quarter of %d bytes: %v", total, err)
		}
	})
	t.Run("kept from the previous tree", func(t *testing.T) {
		// Documents linked from the previous tree count too.
		dir := filepath.Join(t.TempDir(), "public")
		if _, err := mustPlan(t, testSite(), Options{Limit: 20}, posts).WriteTree(context.Background(), dir); err != nil {
			t.Fatal(err)
		}
		before := dirtest.Paths(t, dir)
		changed := append([]*source.Post{simplePost("new.md", t0.Add(-time.Hour), "new")}, posts...)
		_, err := mustPlan(t, testSite(), Options{Limit: 20, MaxOutputBytes: total - 1}, changed).WriteTree(context.Background(), dir)
		checkLimitErr(t, "WriteTree", err, "limits.output_bytes")
		checkUntouched(t, dir, before)
	})
}
