package feedgen

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/syndicate/syndicate/outtree"
	"github.com/syndicate/syndicate/source"
)

// t0 is the fixtures' reference time: whole seconds, so every format
// (RFC 1123 in RSS, RFC 3339 elsewhere) carries it exactly.
var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

var berlin = time.FixedZone("CEST", 2*60*60)

func testSite() Site {
	return Site{
		Title:            "Example Blog",
		Description:      "Notes on feeds & things",
		URL:              "https://example.org/",
		FeedsURL:         "https://example.org/feeds/",
		Language:         "en-US",
		Author:           "Site Owner",
		TagURL:           "https://example.org/tags/:slug/",
		CategoryURL:      "https://example.org/categories/:slug/",
		Generator:        "syndicate",
		GeneratorVersion: "1.0.0",
		GeneratorURI:     "https://github.com/syndicate/syndicate",
	}
}

// authorsSite is testSite with an authors: config for the fixtures'
// authors (see configured in roundtrip_test.go): Jane Doe's address
// public, Bob matched by his address and given a display name and page,
// Zoë matched by her name in lower case.
func authorsSite(t testing.TB) Site {
	t.Helper()
	site := testSite()
	site.Authors = mustAuthors(t, map[string]Author{
		"Jane Doe":        {EmailPublic: true},
		"bob@example.org": {Name: "Robert Example", URL: "https://bob.example/"},
		"zoë":             {Name: "Zoë Π.", URL: "https://zoe.example/about/"},
	})
	return site
}

func mustAuthors(t testing.TB, people map[string]Author) *Authors {
	t.Helper()
	d, err := NewAuthors(people)
	if err != nil {
		t.Fatalf("NewAuthors: %v", err)
	}
	return d
}

// fixturePosts is the small fixed set behind the round-trip and golden
// tests. Between them they use every field feedgen writes: several
// authors with and without e-mail, an id that is not the link, markup
// and "]]>" in titles and content, a post with an empty body and only a
// plain-text summary, tags that differ only in case, tags that slug alike
// (C and C++), a non-Latin tag, a time zone other than UTC and an update
// later than the publication.
func fixturePosts() []*source.Post {
	return []*source.Post{
		{
			Path:        "posts/hello.md",
			ID:          "https://example.org/2024/05/01/hello/",
			Link:        "https://example.org/2024/05/01/hello/",
			Title:       "Hello, World",
			Published:   t0,
			Updated:     t0.Add(2 * time.Hour),
			Authors:     []source.Author{{Name: "Jane Doe", Email: "jane@example.org", URL: "https://jane.example.org/"}},
			Tags:        []string{"Go", "Feeds"},
			Categories:  []string{"Notes"},
			Language:    "en-US",
			ContentHTML: "<p>Hello <em>world</em>.</p>\n<p>Second paragraph with a <a href=\"https://example.org/2024/05/01/hello/#fn:1\">note</a>.</p>",
			SummaryHTML: "<p>Hello <em>world</em>.</p>",
			SummaryText: "Hello world.",
		},
		{
			Path:        "posts/tom-and-jerry.md",
			ID:          "tag:example.org,2024:tom-and-jerry",
			Link:        "https://example.org/2024/04/30/tom-and-jerry/",
			Title:       `Tom & Jerry's "best" <moments> ]]> & more`,
			Published:   time.Date(2024, 4, 30, 14, 0, 0, 0, berlin),
			Updated:     time.Date(2024, 4, 30, 18, 30, 0, 0, berlin),
			Authors:     []source.Author{{Name: "Ann Example"}, {Name: "Bob Example", Email: "bob@example.org"}},
			Tags:        []string{"go", "C++"},
			Categories:  []string{"Notes", "Fun"},
			Language:    "de",
			ContentHTML: "<p>Code: <code>a[b[0]]&gt;c</code></p>\n<pre>x ]]> y &amp;&amp; a &lt; b</pre>",
			SummaryHTML: "<p>Code and “quotes”.</p>",
			SummaryText: "Code and “quotes”.",
		},
		{
			Path:        "posts/empty-body.md",
			ID:          "https://example.org/2024/04/29/empty/",
			Link:        "https://example.org/2024/04/29/empty/",
			Title:       "Nothing but a summary",
			Published:   t0.Add(-72 * time.Hour),
			Updated:     t0.Add(-72 * time.Hour),
			Categories:  []string{"notes"},
			Language:    "en-US",
			SummaryText: "Just a & plain <summary>",
			// ContentHTML and SummaryHTML empty: Rendered() must still
			// hold, so the summary HTML stands for a rendered empty body.
			SummaryHTML: "",
			ContentHTML: " ",
		},
		{
			Path:        "posts/greece.md",
			ID:          "https://example.org/2024/04/20/greece/",
			Link:        "https://example.org/2024/04/20/greece/",
			Title:       "Ελλάδα – a trip",
			Published:   t0.Add(-11 * 24 * time.Hour),
			Updated:     t0.Add(-10 * 24 * time.Hour),
			Authors:     []source.Author{{Name: "Zoë", URL: "https://zoe.example/"}},
			Tags:        []string{"C", "日本語"},
			Language:    "el",
			ContentHTML: "<p>Καλημέρα</p>",
			SummaryHTML: "<p>Καλημέρα</p>",
			SummaryText: "Καλημέρα",
		},
	}
}

// fixtureLimit leaves the oldest fixture post out of the site feed.
const fixtureLimit = 3

func mustPlan(t testing.TB, site Site, opts Options, posts []*source.Post) *Plan {
	t.Helper()
	p, err := NewPlan(site, opts, posts)
	if err != nil {
		t.Fatalf("NewPlan: %v", err)
	}
	return p
}

func mustBuild(t testing.TB, site Site, opts Options, posts []*source.Post) (*Plan, *Snapshot) {
	t.Helper()
	p := mustPlan(t, site, opts, posts)
	s, err := p.Build(context.Background(), nil)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return p, s
}

func feedByPath(t testing.TB, p *Plan, dir string) *Feed {
	t.Helper()
	for _, f := range p.Feeds {
		if f.Dir() == dir {
			return f
		}
	}
	var dirs []string
	for _, f := range p.Feeds {
		dirs = append(dirs, f.Dir())
	}
	t.Fatalf("no feed at %q; feeds: %q", dir, dirs)
	return nil
}

// checkXML decodes an XML document strictly to its end, and checks that
// it is UTF-8 without a character XML 1.0 forbids.
func checkXML(t testing.TB, name string, body []byte) {
	t.Helper()
	checkChars(t, name, body)
	d := xml.NewDecoder(strings.NewReader(string(body)))
	d.Strict = true
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("%s is not well-formed XML: %v", name, err)
		}
	}
}

// checkChars fails when body is not UTF-8 or holds a control character
// other than tab and newline, or U+FFFE/U+FFFF.
func checkChars(t testing.TB, name string, body []byte) {
	t.Helper()
	if !utf8.Valid(body) {
		t.Fatalf("%s is not valid UTF-8", name)
	}
	for i, r := range string(body) {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r >= 0x7F && r <= 0x9F || r == 0xFFFE || r == 0xFFFF {
			t.Fatalf("%s holds the control character %U at byte %d", name, r, i)
		}
	}
}

// writeDir writes the snapshot's tree at dir.
func writeDir(s *Snapshot, dir string) error {
	_, err := s.WriteTree(context.Background(), dir)
	return err
}

// simplePost is a rendered post with the given path and publication
// time, its link and id derived from the path.
func simplePost(path string, published time.Time, tags ...string) *source.Post {
	slug := strings.TrimSuffix(path, ".md")
	link := "https://example.org/" + slug + "/"
	return &source.Post{
		Path: path, ID: link, Link: link, Title: "Post " + slug,
		Published: published, Updated: published, Tags: tags, Language: "en-US",
		ContentHTML: "<p>Body of " + slug + "</p>", SummaryHTML: "<p>About " + slug + "</p>", SummaryText: "About " + slug,
	}
}

func ids(p *Plan, posts []*source.Post) []string {
	var out []string
	for _, x := range posts {
		out = append(out, p.IDs[x])
	}
	return out
}

func paths(posts []*source.Post) []string {
	var out []string
	for _, x := range posts {
		out = append(out, x.Path)
	}
	return out
}

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

// builds makes from scratch the snapshot of posts before the change and
// the one after it, and returns between them a fresh plan after the
// change, for the build under test.
func (c change) builds(t testing.TB, posts []*source.Post) (before *Snapshot, plan *Plan, after *Snapshot) {
	t.Helper()
	before, err := change{}.apply(t, posts).Build(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	after, err = c.apply(t, posts).Build(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return before, c.apply(t, posts), after
}

// kept reports whether before holds a document at path with the
// fingerprint fp: one a build after a change may keep rather than make.
func kept(before *Snapshot, path string, fp Fingerprint) bool {
	old := before.Docs[path]
	return old != nil && old.Fingerprint == fp
}

// checkManifest: the folder's manifest lists exactly the snapshot's
// documents with their fingerprints, ETags, sizes and times.
func checkManifest(t *testing.T, dir string, s *Snapshot) {
	t.Helper()
	m, err := outtree.ReadManifest(dir)
	if err != nil {
		t.Fatalf("manifest: %v", err)
	}
	if len(m.Entries) != len(s.Paths) {
		t.Fatalf("manifest lists %d documents, want %d", len(m.Entries), len(s.Paths))
	}
	for i, e := range m.Entries {
		d := s.Docs[s.Paths[i]]
		if e.Path != d.Path || Fingerprint(e.Key) != d.Fingerprint || e.ETag != d.ETag || e.Size != int64(len(d.Body)) || !e.Modified.Equal(d.Modified) {
			t.Errorf("manifest entry %+v, want %s %s %s %d %v", e, d.Path, d.Fingerprint, d.ETag, len(d.Body), d.Modified)
		}
	}
}

func mustWrite(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// replanFrom is the Incremental plan made from prev, as a server makes
// its plans.
func replanFrom(prev *Plan, site Site, opts Options, posts []*source.Post) (*Plan, error) {
	opts.Prev, opts.Incremental = prev, true
	return NewPlan(site, opts, posts)
}
