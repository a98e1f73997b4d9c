package source

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// postWant lists the fields a dialect fixture must produce; dates are
// RFC 3339 strings so the zone is compared too.
type postWant struct {
	Path, ID, Link, Slug, Title string
	ExplicitID                  bool
	PostID                      string
	Published, Updated          string
	Authors                     []Author
	Tags, Categories            []string
	Language, SiteName          string
	frontSummary                string
}

func viewOf(p *Post) postWant {
	return postWant{
		Path: p.Path, ID: p.ID, ExplicitID: p.ExplicitID, PostID: p.PostID, Link: p.Link, Slug: p.Slug, Title: p.Title,
		Published: rfc(p.Published), Updated: rfc(p.Updated),
		Authors: p.Authors, Tags: p.Tags, Categories: p.Categories,
		Language: p.Language, SiteName: p.SiteName, frontSummary: p.frontSummary,
	}
}

var siteAuthor = []Author{{Name: "Site Author", Email: "site@example.org"}}

func TestDialects(t *testing.T) {
	tests := []struct {
		name string
		want []postWant // newest first
	}{
		{"easypress", []postWant{{
			Path:       "2023/07/us-officials-hold-back-channel-ukraine-talks-with-russia.md",
			ID:         "https://pennyforyourthoughts2.ca/2023/07/07/us-officials-hold-back-channel-ukraine-talks-with-russia/",
			ExplicitID: true,
			PostID:     "4569",
			Link:       "https://pennyforyourthoughts2.ca/2023/07/07/us-officials-hold-back-channel-ukraine-talks-with-russia/",
			Slug:       "us-officials-hold-back-channel-ukraine-talks-with-russia",
			Title:      "US Officials Hold Back Channel Ukraine Talks With Russia",
			Published:  "2023-07-07T12:21:44Z",
			Updated:    "2023-07-07T12:21:44Z",
			Authors:    []Author{{Name: "penny2"}},
			Tags:       []string{"perception management", "Russia", "state sponsored terrorism", "Ukraine", "US"},
			Categories: []string{"Uncategorized"},
			Language:   "en-US",
			SiteName:   "PFYT2",
		}}},
		{"hugo-toml", []postWant{{
			Path:      "posts/date-only.md",
			ID:        "https://example.org/blog/2024/03/05/date-only/",
			Link:      "https://example.org/blog/2024/03/05/date-only/",
			Slug:      "date-only",
			Title:     "2024",
			Published: "2024-03-05T00:00:00-07:00",
			Updated:   "2024-03-05T00:00:00-07:00",
			Authors:   siteAuthor,
			Tags:      []string{}, Categories: []string{},
			Language: "de",
		}, {
			Path:      "posts/local.md",
			ID:        "https://example.org/blog/2024/03/03/local/",
			Link:      "https://example.org/blog/2024/03/03/local/",
			Slug:      "local",
			Title:     "Hugo TOML local datetime",
			Published: "2024-03-03T08:00:00-07:00",
			Updated:   "2024-03-04T00:00:00-07:00",
			Authors:   siteAuthor,
			Tags:      []string{"alpha", "beta"}, Categories: []string{},
			Language: "en",
		}, {
			Path:         "posts/offset.md",
			ID:           "https://example.org/blog/2024/03/01/toml-offset/",
			Link:         "https://example.org/blog/2024/03/01/toml-offset/",
			Slug:         "toml-offset",
			Title:        "Hugo – TOML with offset",
			Published:    "2024-03-01T09:30:00+02:00",
			Updated:      "2024-03-02T10:00:00Z",
			Authors:      []Author{{Name: "Ana"}, {Name: "Ben"}},
			Tags:         []string{"Go", "hugo"},
			Categories:   []string{"Dev"},
			Language:     "en",
			frontSummary: "A *short* description.",
		}}},
		{"hugo-yaml", []postWant{{
			Path:      "posts/my-bundle/index.md",
			ID:        "https://example.org/blog/2024/04/01/my-bundle/",
			Link:      "https://example.org/blog/2024/04/01/my-bundle/",
			Slug:      "my-bundle",
			Title:     "A page bundle",
			Published: "2024-04-01T12:00:00-05:00",
			Updated:   "2024-04-01T12:00:00-05:00",
			Authors:   []Author{{Name: "Carla", Email: "carla@example.org"}},
			Tags:      []string{"bundles"}, Categories: []string{},
			Language: "en",
		}}},
		{"jekyll", []postWant{{
			Path:      "_posts/2024-05-06-jekyll-post.md",
			ID:        "https://example.org/blog/2024/05/06/jekyll-post/",
			Link:      "https://example.org/blog/2024/05/06/jekyll-post/",
			Slug:      "jekyll-post",
			Title:     "Jekyll post",
			Published: "2024-05-06T00:00:00-07:00",
			Updated:   "2024-05-06T00:00:00-07:00",
			Authors:   []Author{{Name: "Dana"}},
			Tags:      []string{"ruby", "jekyll"}, Categories: []string{"Notes"},
			Language: "en",
		}}},
		{"eleventy", []postWant{{
			Path:      "posts/eleventy-post.md",
			ID:        "https://example.org/blog/notes/eleventy-post/",
			Link:      "https://example.org/blog/notes/eleventy-post/",
			Slug:      "eleventy-post",
			Title:     "Eleventy post",
			Published: "2024-06-07T00:00:00-07:00",
			Updated:   "2024-06-08T10:11:12-07:00",
			Authors:   siteAuthor,
			Tags:      []string{"post", "eleventy"}, Categories: []string{},
			Language:     "en",
			frontSummary: "Custom excerpt.",
		}}},
		{"zola", []postWant{{
			Path:         "blog/zola-post.md",
			ID:           "https://example.org/blog/2024/07/08/zola-post/",
			Link:         "https://example.org/blog/2024/07/08/zola-post/",
			Slug:         "zola-post",
			Title:        "Zola post",
			Published:    "2024-07-08T00:00:00-07:00",
			Updated:      "2024-07-09T10:00:00+01:00",
			Authors:      siteAuthor,
			Tags:         []string{"rust", "zola"},
			Categories:   []string{"Static sites"},
			Language:     "en",
			frontSummary: "Zola description",
		}}},
		{"json", []postWant{{
			Path:       "one-line.md",
			ID:         "https://example.org/blog/2024/08/10/one-line/",
			Link:       "https://example.org/blog/2024/08/10/one-line/",
			Slug:       "one-line",
			Title:      "One-line JSON",
			Published:  "2024-08-10T00:00:00-07:00",
			Updated:    "2024-08-10T00:00:00-07:00",
			Authors:    siteAuthor,
			Tags:       []string{},
			Categories: []string{"x", "y"},
			Language:   "en",
		}, {
			Path:      "json-post.md",
			ID:        "https://example.org/blog/2024/08/09/json-post/",
			Link:      "https://example.org/blog/2024/08/09/json-post/",
			Slug:      "json-post",
			Title:     "JSON post",
			Published: "2024-08-09T10:00:00Z",
			Updated:   "2024-08-09T10:00:00Z",
			Authors:   []Author{{Name: "Eve"}},
			Tags:      []string{"json", "front matter"}, Categories: []string{},
			Language: "en",
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := scan(t, filepath.Join("testdata", "dialects", tt.name))
			for _, e := range res.Skipped {
				t.Errorf("skipped: %v", e)
			}
			for _, w := range res.Warnings {
				t.Errorf("warning: %v", w)
			}
			if len(res.Posts) != len(tt.want) {
				t.Fatalf("got %d posts, want %d", len(res.Posts), len(tt.want))
			}
			for i, p := range res.Posts {
				got := viewOf(p)
				if got.Tags == nil {
					got.Tags = []string{}
				}
				if got.Categories == nil {
					got.Categories = []string{}
				}
				equal(t, p.Path, got, tt.want[i])
				if p.Draft || p.Page {
					t.Errorf("%s: Draft %v, Page %v; want a post", p.Path, p.Draft, p.Page)
				}
			}
		})
	}
}

// TestSampleIsVerbatim guards the fixture: it must stay a byte-identical
// copy of the real export, quirks included.
func TestSampleIsVerbatim(t *testing.T) {
	const name = "2023/07/us-officials-hold-back-channel-ukraine-talks-with-russia.md"
	orig, err := os.ReadFile(filepath.Join("..", "..", "shared", "content-sample", filepath.FromSlash(name)))
	if err != nil {
		t.Skipf("shared sample not available: %v", err)
	}
	copied, err := os.ReadFile(filepath.Join("testdata", "dialects", "easypress", filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(orig, copied) {
		t.Errorf("testdata copy of %s differs from ../shared/content-sample", name)
	}
}

func TestSampleRender(t *testing.T) {
	root := filepath.Join("testdata", "dialects", "easypress")
	res := scan(t, root)
	if len(res.Posts) != 1 {
		t.Fatalf("got %d posts", len(res.Posts))
	}
	p := res.Posts[0]
	renderPost(t, root, p)
	checkGolden(t, "sample.html", []byte(p.ContentHTML))
	checkGolden(t, "sample.summary.txt", []byte(p.SummaryText+"\n"))
	for _, want := range []string{
		`<a href="https://www.nbcnews.com/news/world/former-us-officials-secret-ukraine-talks-russians-war-ukraine-rcna92610" rel="nofollow">NBCnews</a>`,
		"<blockquote>",
		"<code>&lt;strong&gt;&lt;mark",
	} {
		if !bytes.Contains([]byte(p.ContentHTML), []byte(want)) {
			t.Errorf("content lacks %q", want)
		}
	}
}

func TestDialectRender(t *testing.T) {
	tests := []struct {
		dir, path string
		summary   string
		content   []string
	}{
		{"jekyll", "_posts/2024-05-06-jekyll-post.md", "Jekyll body.", []string{"<p>After the fold.</p>"}},
		{"hugo-toml", "posts/offset.md", "A short description.", []string{"<p>Body of the <strong>TOML</strong> post.</p>"}},
		{"hugo-toml", "posts/date-only.md", "Date only.", nil},
		{"hugo-yaml", "posts/my-bundle/index.md", "See the other post and notes.", []string{
			`<img src="https://example.org/blog/2024/04/01/my-bundle/cover.jpg" alt="cover" title="Cover">`,
			`<a href="https://example.org/blog/2024/04/01/other/" rel="nofollow">the other post</a>`,
			`<a href="https://example.org/blog/2024/04/01/my-bundle/#notes" rel="nofollow">notes</a>`,
		}},
		{"eleventy", "posts/eleventy-post.md", "Custom excerpt.", nil},
		{"zola", "blog/zola-post.md", "Zola description", []string{"<p>Zola body.</p>"}},
		{"json", "json-post.md", "JSON body.", nil},
		{"json", "one-line.md", "One-line JSON body.", []string{"<p>One-line JSON body.</p>"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			root := filepath.Join("testdata", "dialects", tt.dir)
			var p *Post
			for _, x := range scan(t, root).Posts {
				if x.Path == tt.path {
					p = x
				}
			}
			if p == nil {
				t.Fatalf("%s not published", tt.path)
			}
			renderPost(t, root, p)
			if p.SummaryText != tt.summary {
				t.Errorf("SummaryText = %q, want %q", p.SummaryText, tt.summary)
			}
			for _, w := range tt.content {
				if !strings.Contains(p.ContentHTML, w) {
					t.Errorf("content lacks %s\ngot: %s", w, p.ContentHTML)
				}
			}
			assertSafe(t, p.ContentHTML)
		})
	}
}
