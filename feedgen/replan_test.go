package feedgen

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/syndicate/syndicate/source"
)

// TestIncrementalPlanMatchesNewPlan: over rounds of every kind of change (a
// changed post always a new *source.Post), a plan made from the last
// one is the plan NewPlan makes from scratch: the same feeds with the
// same posts, ids, needed posts and notices.
func TestIncrementalPlanMatchesNewPlan(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	posts := generatePosts(600, 60, 6)
	// Some posts of awkward kinds from the start.
	posts[3] = withChange(posts[3], func(x *source.Post) { x.Tags = append(x.Tags, "Go", "go", "GO") })
	posts[5] = withChange(posts[5], func(x *source.Post) { x.Tags = append(x.Tags, "C++", "C") })
	posts[7] = withChange(posts[7], func(x *source.Post) { x.Link = "" })
	posts[9] = withChange(posts[9], func(x *source.Post) { x.ID = "not a uri" })
	posts[11] = withChange(posts[11], func(x *source.Post) { x.ID = posts[2].ID })
	opts := Options{Limit: 10, AuthorFeeds: true}
	site := benchSite()
	// Authors matched by name and by address, one of them public.
	site.Authors = mustAuthors(t, map[string]Author{
		"ann":            {Name: "Ann A.", URL: "https://example.org/ann/"},
		"a1@example.org": {Name: "First"},
		"Author 2":       {EmailPublic: true},
		"x@example.org":  {Name: "X"},
	})
	var prev *Plan
	changes := []struct {
		name string
		do   func([]*source.Post) []*source.Post
	}{
		{"nothing", func(ps []*source.Post) []*source.Post { return ps }},
		{"edit the newest", func(ps []*source.Post) []*source.Post {
			ps[0] = withChange(ps[0], func(x *source.Post) { x.Title += "!" })
			return ps
		}},
		{"edit a few anywhere", func(ps []*source.Post) []*source.Post {
			for range 3 {
				i := rng.IntN(len(ps))
				ps[i] = withChange(ps[i], func(x *source.Post) { x.Title += "?" })
			}
			return ps
		}},
		{"retag", func(ps []*source.Post) []*source.Post {
			i := rng.IntN(len(ps))
			ps[i] = withChange(ps[i], func(x *source.Post) { x.Tags = []string{"Fresh", "fresh", fmt.Sprint("t", rng.IntN(5))} })
			return ps
		}},
		{"reauthor", func(ps []*source.Post) []*source.Post {
			i := rng.IntN(len(ps))
			ps[i] = withChange(ps[i], func(x *source.Post) {
				x.Authors = []source.Author{{Name: "Ann"}, {Name: "ann"}, {Name: fmt.Sprint("A.", rng.IntN(3))}, {Name: "A-0"},
					{Name: "x@example.org"}, {Name: fmt.Sprintf("y%d@example.org", rng.IntN(2))}}
			})
			return ps
		}},
		{"new post", func(ps []*source.Post) []*source.Post {
			x := withChange(ps[rng.IntN(len(ps))], func(x *source.Post) {
				x.Path = fmt.Sprintf("new/%d.md", rng.Int())
				x.ID = ""
				x.Link = "https://example.org/" + x.Path
				x.Published = ps[0].Published.Add(time.Hour)
			})
			return append([]*source.Post{x}, ps...)
		}},
		{"old post claiming a recent id", func(ps []*source.Post) []*source.Post {
			x := withChange(ps[rng.IntN(len(ps))], func(x *source.Post) {
				x.Path = fmt.Sprintf("old/%d.md", rng.Int())
				x.ID = ps[rng.IntN(5)].ID
				x.Published = ps[len(ps)-1].Published.Add(-time.Hour)
			})
			return append(ps, x)
		}},
		{"remove one", func(ps []*source.Post) []*source.Post {
			i := rng.IntN(len(ps))
			return slices.Delete(ps, i, i+1)
		}},
		{"remove the only post of a tag", func(ps []*source.Post) []*source.Post {
			i := slices.IndexFunc(ps, func(x *source.Post) bool { return slices.Contains(x.Tags, "Fresh") })
			if i < 0 {
				i = rng.IntN(len(ps))
			}
			return slices.Delete(ps, i, i+1)
		}},
		{"draft and page", func(ps []*source.Post) []*source.Post {
			i, j := rng.IntN(len(ps)), rng.IntN(len(ps))
			ps[i] = withChange(ps[i], func(x *source.Post) { x.Draft = true })
			ps[j] = withChange(ps[j], func(x *source.Post) { x.Page = true })
			return ps
		}},
		{"bad link mended", func(ps []*source.Post) []*source.Post {
			for i, x := range ps {
				if x.Link == "" {
					ps[i] = withChange(x, func(x *source.Post) { x.Link = "https://example.org/mended/" })
				}
			}
			return ps
		}},
		{"date moves", func(ps []*source.Post) []*source.Post {
			i := rng.IntN(len(ps))
			x := withChange(ps[i], func(x *source.Post) { x.Published = x.Published.Add(-time.Duration(rng.IntN(1000)) * time.Hour) })
			ps = slices.Delete(ps, i, i+1)
			ps = append(ps, x)
			source.SortNewestFirst(ps)
			return ps
		}},
		{"remove the oldest", func(ps []*source.Post) []*source.Post { return ps[:len(ps)-1] }},
		{"rename a file", func(ps []*source.Post) []*source.Post {
			i := rng.IntN(min(len(ps), 30))
			ps[i] = withChange(ps[i], func(x *source.Post) {
				x.Path = fmt.Sprintf("renamed/%d.md", rng.Int())
				x.Link = "https://example.org/" + x.Path
				x.ID = x.Link
			})
			source.SortNewestFirst(ps)
			return ps
		}},
		{"correct a date", func(ps []*source.Post) []*source.Post {
			i := rng.IntN(min(len(ps), 30))
			x := withChange(ps[i], func(x *source.Post) {
				x.Published = x.Published.Add(-time.Duration(1+rng.IntN(48)) * time.Hour)
				x.Link = fmt.Sprintf("https://example.org/%d/%s", x.Published.Unix(), x.Path)
				x.ID = x.Link
			})
			ps[i] = x
			source.SortNewestFirst(ps)
			return ps
		}},
		{"spelling majority turns", func(ps []*source.Post) []*source.Post {
			// "Mixed" on two posts, "mixed" on three; then two of the
			// three go, and the feed's name follows the majority.
			n := 0
			for i := range ps {
				if slices.ContainsFunc(ps[i].Tags, func(tag string) bool { return tag == "Mixed" || tag == "mixed" }) {
					n++
				}
			}
			if n == 0 {
				for k, i := range []int{10, 20, 30, 40, 50} {
					spelt := "mixed"
					if k < 2 {
						spelt = "Mixed"
					}
					ps[i] = withChange(ps[i], func(x *source.Post) { x.Tags = append(x.Tags, spelt) })
				}
				return ps
			}
			var out []*source.Post
			dropped := 0
			for _, x := range ps {
				if dropped < 2 && slices.Contains(x.Tags, "mixed") {
					dropped++
					continue
				}
				out = append(out, x)
			}
			return out
		}},
		{"many at once", func(ps []*source.Post) []*source.Post {
			for range 40 {
				i := rng.IntN(len(ps))
				ps[i] = withChange(ps[i], func(x *source.Post) { x.Tags = x.Tags[:len(x.Tags)/2] })
			}
			return ps
		}},
	}
	renames := 0
	for round := range 80 {
		c := changes[round%len(changes)]
		if round >= len(changes) {
			c = changes[rng.IntN(len(changes))]
		}
		posts = c.do(slices.Clone(posts))
		var kept *planState
		if prev != nil {
			kept = prev.state
		}
		got, err := replanFrom(prev, site, opts, posts)
		if err != nil {
			t.Fatal(err)
		}
		if prev != nil && got.state != kept {
			t.Errorf("round %d (%s): planned from scratch", round, c.name)
		}
		want := mustPlan(t, site, opts, posts)
		samePlan(t, fmt.Sprintf("round %d (%s)", round, c.name), got, want)
		prev = got
		// What was published so far is kept, as the pipeline keeps it,
		// from the second round on; the next plan keeps its ids.
		if round > 0 {
			opts.Earlier = accumulate(opts.Earlier, got)
		}
		for _, n := range got.Notices {
			if strings.Contains(n.Message, "renamed from") {
				renames++
			}
		}
	}
	if renames == 0 {
		t.Error("no renamed file kept its id: the rounds do not test Earlier")
	}

	// Unsorted posts, other options: planned from scratch, still right.
	shuffled := slices.Clone(posts)
	shuffled[0], shuffled[len(shuffled)-1] = shuffled[len(shuffled)-1], shuffled[0]
	got, err := replanFrom(prev, site, opts, shuffled)
	if err != nil {
		t.Fatal(err)
	}
	samePlan(t, "unsorted", got, mustPlan(t, site, opts, shuffled))
	got2, err := replanFrom(got, site, Options{Limit: 3}, posts)
	if err != nil {
		t.Fatal(err)
	}
	samePlan(t, "other limit", got2, mustPlan(t, site, Options{Limit: 3}, posts))
}

// accumulate is e with what p published, as package pubstate keeps it:
// every id ever published, with the file it was last published for.
func accumulate(e *Earlier, p *Plan) *Earlier {
	items := itemList(p.PublishedItems())
	seen := map[string]bool{}
	for _, it := range items {
		seen[it.ID] = true
	}
	if e != nil {
		for _, it := range e.Items.(itemList) {
			if !seen[it.ID] {
				items = append(items, it)
			}
		}
	}
	return &Earlier{Items: items}
}

func withChange(x *source.Post, change func(*source.Post)) *source.Post {
	c := clonePost(x)
	change(c)
	return c
}

// samePlan compares what two plans decided.
func samePlan(t *testing.T, step string, got, want *Plan) {
	t.Helper()
	feedText := func(p *Plan) []string {
		var out []string
		for _, f := range p.Feeds {
			s := fmt.Sprintf("%s|%s|%s|%s:", f.Kind, f.Name, f.Slug, f.HomePage)
			for _, x := range f.Posts {
				s += fmt.Sprintf(" %p=%s", x, p.IDs[x])
			}
			out = append(out, s)
		}
		return out
	}
	if g, w := feedText(got), feedText(want); !slices.Equal(g, w) {
		t.Errorf("%s: feeds differ at %s", step, firstDiff([]byte(strings.Join(w, "\n")), []byte(strings.Join(g, "\n"))))
	}
	if !slices.Equal(got.Needed, want.Needed) || len(got.IDs) != len(want.IDs) {
		t.Errorf("%s: %d needed posts and %d ids, want %d and %d", step, len(got.Needed), len(got.IDs), len(want.Needed), len(want.IDs))
	}
	if g, w := fmt.Sprint(got.Notices), fmt.Sprint(want.Notices); g != w {
		t.Errorf("%s: notices\n got %s\nwant %s", step, g, w)
	}
}

// FuzzIncrementalPlan drives a small site through changes read from the
// input (edits, retags, additions, removals, drafts, id clashes, date and
// link changes, renamed files, with what earlier plans published as
// Earlier) and checks after each that the plan made from the last
// one is NewPlan's.
func FuzzIncrementalPlan(f *testing.F) {
	f.Add([]byte{0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8})
	f.Add([]byte{2, 200, 2, 100, 3, 0, 5, 1, 1, 255, 6, 9, 7, 3, 4, 2})
	tagSet := []string{"Go", "go", "GO", "Rust", "c#", "c++", "C", "news", " ", "Ünï", "ünï"}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 200 {
			return
		}
		next := 0
		newPost := func(day int, bits byte) *source.Post {
			next++
			x := &source.Post{
				Title: fmt.Sprintf("Post %d", next), Path: fmt.Sprintf("p/%03d.md", next),
				Link:      fmt.Sprintf("https://example.org/p/%d/", next),
				Published: base.Add(time.Duration(day) * 24 * time.Hour), ContentHTML: "<p>x</p>",
			}
			for i, tag := range tagSet {
				if bits&(1<<(i%8)) != 0 && (i < 8 || bits&1 != 0) {
					x.Tags = append(x.Tags, tag)
				}
			}
			x.Categories = []string{tagSet[int(bits)%len(tagSet)]}
			return x
		}
		var posts []*source.Post
		for i := range 12 {
			posts = append(posts, newPost(i*3, byte(i*37)))
		}
		source.SortNewestFirst(posts)
		opts := Options{Limit: 3, AuthorFeeds: true}
		site := benchSite()
		prev, err := replanFrom(nil, site, opts, posts)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(ops); i += 2 {
			op, arg := ops[i]%9, ops[i+1]
			posts = slices.Clone(posts)
			k := int(arg) % max(1, len(posts))
			change := func(fn func(*source.Post)) {
				if len(posts) > 0 {
					posts[k] = withChange(posts[k], fn)
				}
			}
			switch op {
			case 0:
				change(func(x *source.Post) { x.Title += "'" })
			case 1:
				change(func(x *source.Post) { x.Tags = newPost(0, arg).Tags })
			case 2:
				posts = append(posts, newPost(int(arg)%60, arg))
			case 3:
				if len(posts) > 0 {
					posts = slices.Delete(posts, k, k+1)
				}
			case 4:
				change(func(x *source.Post) { x.Draft = !x.Draft })
			case 5:
				if len(posts) > 1 {
					id := posts[(k+1)%len(posts)].Link
					change(func(x *source.Post) { x.ID = id })
				}
			case 6:
				change(func(x *source.Post) { x.Published = base.Add(time.Duration(arg%60) * 24 * time.Hour) })
			case 7:
				change(func(x *source.Post) {
					if x.Link == "" {
						x.Link = "https://example.org/" + x.Path
					} else {
						x.Link = ""
					}
				})
			case 8:
				// A renamed file: a new path and link, the same post.
				change(func(x *source.Post) {
					x.Path = fmt.Sprintf("r/%03d-%d.md", next, arg)
					x.Link = "https://example.org/" + x.Path
				})
				next++
			}
			source.SortNewestFirst(posts)
			got, err := replanFrom(prev, site, opts, posts)
			if err != nil {
				t.Fatal(err)
			}
			samePlan(t, fmt.Sprintf("op %d (%d, %d)", i/2, op, arg), got, mustPlan(t, site, opts, posts))
			if t.Failed() {
				return
			}
			prev = got
			opts.Earlier = accumulate(opts.Earlier, got)
		}
	})
}
