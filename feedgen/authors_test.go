package feedgen

import (
	"strings"
	"testing"
	"time"

	"github.com/syndicate/syndicate/source"
)

func TestNewAuthorsErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		people map[string]Author
		want   []string // each must be in the error; none: no error
	}{
		{"fine", map[string]Author{"jane": {Name: "Jane Doe", URL: "https://example.org/jane/", Email: "jane@example.org"}}, nil},
		{"relative url", map[string]Author{"jane": {URL: "/jane/"}}, []string{`authors.jane.url: "/jane/" is not an absolute http(s) URL`}},
		{"javascript url", map[string]Author{"jane": {URL: "javascript:alert(1)"}}, []string{"authors.jane.url:"}},
		{"bad email", map[string]Author{"jane": {Email: "Jane <jane@example.org>"}}, []string{"authors.jane.email:"}},
		{"keys alike", map[string]Author{"Jane": {}, "jane": {}}, []string{"authors.jane: the same name as authors.Jane"}},
		{"address twice", map[string]Author{"a": {Email: "x@example.org"}, "b": {Email: "X@example.org"}}, []string{"authors.b: the address x@example.org is authors.a's too"}},
		{"key is the address", map[string]Author{"x@example.org": {}, "b": {Email: "x@example.org"}}, []string{"authors.x@example.org: the address x@example.org is authors.b's too"}},
		{"empty key", map[string]Author{" ": {Name: "Nobody"}}, []string{"authors. : the key names no one"}},
		{"every problem", map[string]Author{"a": {URL: "ftp://x/"}, "b": {Email: "nope"}}, []string{"authors.a.url", "authors.b.email"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewAuthors(tc.people)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("NewAuthors: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestPresentAuthor: how each front-matter spelling is matched and
// presented, and that no address is shown unless its entry says so.
func TestPresentAuthor(t *testing.T) {
	d := mustAuthors(t, map[string]Author{
		"jane":            {Name: "Jane Doe", URL: "https://example.org/jane/", Email: "jane@example.org"},
		"Bob":             {Name: "Robert", Email: "bob@example.org", EmailPublic: true},
		"ann@example.org": {Name: "Ann"},
		"kim@example.org": {EmailPublic: true},
		"Zoë":             {URL: "https://example.org/zoe/"},
	})
	for _, tc := range []struct {
		name string
		in   source.Author
		want source.Author
	}{
		{"by key", source.Author{Name: "jane"}, source.Author{Name: "Jane Doe", URL: "https://example.org/jane/"}},
		{"by key in another case", source.Author{Name: "JANE"}, source.Author{Name: "Jane Doe", URL: "https://example.org/jane/"}},
		{"by entry's email", source.Author{Name: "J. Doe", Email: "Jane@Example.org"}, source.Author{Name: "Jane Doe", URL: "https://example.org/jane/"}},
		{"name is the entry's email", source.Author{Name: "jane@example.org", Email: "jane@example.org"}, source.Author{Name: "Jane Doe", URL: "https://example.org/jane/"}},
		{"front matter url replaced", source.Author{Name: "jane", URL: "https://elsewhere.example/"}, source.Author{Name: "Jane Doe", URL: "https://example.org/jane/"}},
		{"public: entry's email", source.Author{Name: "bob", Email: "robert@old.example"}, source.Author{Name: "Robert", Email: "bob@example.org"}},
		{"key is an address", source.Author{Name: "A.", Email: "ann@example.org"}, source.Author{Name: "Ann"}},
		{"key is an address, name too", source.Author{Name: "ann@example.org", Email: "ann@example.org"}, source.Author{Name: "Ann"}},
		{"public address as name", source.Author{Name: "kim@example.org", Email: "kim@example.org"}, source.Author{Name: "kim@example.org", Email: "kim@example.org"}},
		{"public, front matter name kept", source.Author{Name: "Kim", Email: "kim@example.org"}, source.Author{Name: "Kim", Email: "kim@example.org"}},
		{"entry without name keeps the spelling", source.Author{Name: "zoë"}, source.Author{Name: "zoë", URL: "https://example.org/zoe/"}},
		{"unconfigured", source.Author{Name: "Max", Email: "max@example.org", URL: "https://max.example/"}, source.Author{Name: "Max", URL: "https://max.example/"}},
		{"unconfigured, bad url", source.Author{Name: "Max", URL: "javascript:x"}, source.Author{Name: "Max"}},
		{"unconfigured address only", source.Author{Name: "max@example.org", Email: "max@example.org"}, source.Author{}},
		{"unconfigured email, no name", source.Author{Email: "max@example.org"}, source.Author{}},
		{"address in the name", source.Author{Name: "Max Mustermann <max@example.org>"}, source.Author{Name: "Max Mustermann"}},
		{"address first", source.Author{Name: "max@example.org (Max)"}, source.Author{Name: "Max"}},
		{"mailto in the name", source.Author{Name: "Max mailto:max@example.org"}, source.Author{Name: "Max"}},
		{"address glued to the name", source.Author{Name: "Max(max@example.org)"}, source.Author{Name: "Max"}},
		{"handle is no address", source.Author{Name: "@max"}, source.Author{Name: "@max"}},
		{"markup in the name", source.Author{Name: "Max\x00 "}, source.Author{Name: "Max"}},
		{"nobody", source.Author{}, source.Author{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := d.present(tc.in); got != tc.want {
				t.Errorf("present(%+v) = %+v, want %+v", tc.in, got, tc.want)
			}
			if got, want := d.credited(tc.in), tc.want.Name != ""; got != want {
				t.Errorf("credited(%+v) = %v, want %v", tc.in, got, want)
			}
		})
	}
	// Without an authors: map nothing matches and no address is shown.
	var none *Authors
	if got := none.present(source.Author{Name: "Jane", Email: "jane@example.org"}); got != (source.Author{Name: "Jane"}) {
		t.Errorf("nil Authors: %+v", got)
	}
}

func TestWithoutAddresses(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Jane Doe", "Jane Doe"},
		{"jane@example.org", ""},
		{"<jane@example.org>", ""},
		{"Jane Doe <jane@example.org>", "Jane Doe"},
		{"jane@example.org (Jane Doe)", "Jane Doe"},
		{"Jane (Editor) <jane@example.org>", "Jane (Editor)"},
		{"Jane, jane@example.org", "Jane"},
		{"MAILTO:jane@example.org", ""},
		{"@jane on Mastodon", "@jane on Mastodon"},
		{"jane@localhost", ""},
		{"a@b c@d", ""},
	} {
		if got := withoutAddresses(tc.in); got != tc.want {
			t.Errorf("withoutAddresses(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestAuthorFeedSlugs: configuring a display name never moves a feed
// (its slug is the name posts write), and an author credited nowhere (an
// address alone, not configured) has no feed; one published before is
// kept, empty, named by its slug rather than by the address.
func TestAuthorFeedSlugs(t *testing.T) {
	posts := func() []*source.Post {
		a := simplePost("a.md", t0)
		a.Authors = []source.Author{{Name: "jdoe", Email: "jane@example.org"}}
		b := simplePost("b.md", t0.Add(-time.Hour))
		b.Authors = []source.Author{{Name: "mail@example.org", Email: "mail@example.org"}}
		return []*source.Post{a, b}
	}
	opts := Options{Limit: 5, AuthorFeeds: true}
	slugs := func(p *Plan) map[string]string {
		out := map[string]string{}
		for _, f := range p.Feeds {
			if f.Kind == AuthorFeed {
				out[f.Slug] = f.Name + " " + f.HomePage
			}
		}
		return out
	}
	plain := slugs(mustPlan(t, testSite(), opts, posts()))
	if len(plain) != 1 || plain["jdoe"] != "jdoe " {
		t.Errorf("unconfigured author feeds %q, want jdoe only", plain)
	}
	site := testSite()
	site.Authors = mustAuthors(t, map[string]Author{
		"jdoe":             {Name: "Jane Doe", URL: "https://example.org/jane/"},
		"mail@example.org": {Name: "The Editors"},
	})
	got := slugs(mustPlan(t, site, opts, posts()))
	want := map[string]string{"jdoe": "Jane Doe https://example.org/jane/", "mail-example-org": "The Editors "}
	if len(got) != len(want) || got["jdoe"] != want["jdoe"] || got["mail-example-org"] != want["mail-example-org"] {
		t.Errorf("configured author feeds %q, want %q", got, want)
	}

	// Published by a build that credited the address: kept, named by the
	// slug, unless configured.
	earlier := &Earlier{Feeds: []PublishedFeed{{Kind: AuthorFeed, Name: "mail@example.org", Slug: "mail-example-org", LastPost: t0}}, Now: t0}
	kept := slugs(mustPlan(t, testSite(), Options{Limit: 5, AuthorFeeds: true, Earlier: earlier}, posts()))
	if kept["mail-example-org"] != "mail-example-org " {
		t.Errorf("kept feed named %q, want its slug", kept["mail-example-org"])
	}
	kept = slugs(mustPlan(t, site, Options{Limit: 5, AuthorFeeds: true, Earlier: earlier}, posts()[:1]))
	if kept["mail-example-org"] != "The Editors " {
		t.Errorf("kept configured feed named %q, want The Editors", kept["mail-example-org"])
	}
}
