package source

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// aliasCase is one front matter file and what one field must read.
type aliasCase struct {
	name    string
	file    string // default "post.md"
	content string
	want    string
}

func runAliasCases(t *testing.T, cases []aliasCase, field func(*Post) string) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			file := tc.file
			if file == "" {
				file = "post.md"
			}
			p := scanOne(t, file, tc.content)
			if got := field(p); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

const dateLine = "date: 2024-01-02T03:04:05Z"

func TestTitleAliases(t *testing.T) {
	runAliasCases(t, []aliasCase{
		{name: "title", content: fm("title: Plain", dateLine), want: "Plain"},
		{name: "post_title", content: fm("post_title: WordPress", dateLine), want: "WordPress"},
		{name: "linkTitle", content: fm("linkTitle: Hugo link title", dateLine), want: "Hugo link title"},
		{name: "title wins over post_title", content: fm("post_title: B", "title: A", dateLine), want: "A"},
		{name: "empty title counts as absent", content: fm(`title: ""`, "post_title: B", dateLine), want: "B"},
		{name: "integer", content: fm("title: 2024", dateLine), want: "2024"},
		{name: "float", content: fm("title: 3.5", dateLine), want: "3.5"},
		{name: "bool", content: fm("title: true", dateLine), want: "true"},
		{name: "list", content: fm("title: [Part, 2]", dateLine), want: "Part 2"},
		{name: "numeric entity", content: fm(`title: "Before &#8211; after"`, dateLine), want: "Before – after"},
		{name: "named entities", content: fm(`title: "Caf&eacute; &amp; bar &quot;x&quot;"`, dateLine), want: `Café & bar "x"`},
		{name: "hex entity", content: fm(`title: "it&#x2019;s"`, dateLine), want: "it’s"},
		{name: "white space collapsed", content: fm("title: |", "  two", "  lines", dateLine), want: "two lines"},
		{name: "C1 control from an entity", content: fm(`title: "a&#133;b"`, dateLine), want: "a…b"},
		{name: "TOML", content: "+++\ntitle = 12\ndate = 2024-01-02\n+++\n", want: "12"},
		{name: "JSON number", content: `{"title": 12345678901234567890, "date": "2024-01-02"}` + "\n", want: "12345678901234567890"},
	}, func(p *Post) string { return p.Title })
}

func TestPublishedAliases(t *testing.T) {
	runAliasCases(t, []aliasCase{
		{name: "published", content: fm("title: T", "published: 2024-01-02T03:04:05Z"), want: "2024-01-02T03:04:05Z"},
		{name: "date", content: fm("title: T", "date: 2024-01-03T03:04:05Z"), want: "2024-01-03T03:04:05Z"},
		{name: "post_date", content: fm("title: T", "post_date: 2024-01-04 05:06:07"), want: "2024-01-04T05:06:07-07:00"},
		{name: "pubDate", content: fm("title: T", "pubDate: 2024-01-05"), want: "2024-01-05T00:00:00-07:00"},
		{name: "publishDate", content: fm("title: T", "publishDate: 2024-01-06T10:00:00+01:00"), want: "2024-01-06T10:00:00+01:00"},
		{name: "created_at", content: fm("title: T", "created_at: 2024-01-07T10:00:00Z"), want: "2024-01-07T10:00:00Z"},
		{name: "published wins over date", content: fm("title: T", "date: 2020-01-01", "published: 2024-01-02T03:04:05Z"), want: "2024-01-02T03:04:05Z"},
		{name: "published: true is a flag, date used", content: fm("title: T", "published: true", "date: 2024-02-02"), want: "2024-02-02T00:00:00-07:00"},
		{name: "published: 'yes' string is a flag", content: fm("title: T", `published: "yes"`, "date: 2024-02-03"), want: "2024-02-03T00:00:00-07:00"},
		{name: "empty published skipped", content: fm("title: T", `published: ""`, "date: 2024-02-04"), want: "2024-02-04T00:00:00-07:00"},
		{name: "Jekyll file name", file: "_posts/2023-12-24-xmas.md", content: fm("title: T"), want: "2023-12-24T00:00:00-07:00"},
		{name: "Jekyll .markdown file name", file: "2023-12-25-xmas.markdown", content: fm("title: T"), want: "2023-12-25T00:00:00-07:00"},
		{name: "Jekyll file name without zero padding", file: "_posts/2023-1-5-x.md", content: fm("title: T"), want: "2023-01-05T00:00:00-07:00"},
		{name: "YYYY/MM/DD folders", file: "2022/11/05/post.md", content: fm("title: T"), want: "2022-11-05T00:00:00-07:00"},
		{name: "YYYY/MM/DD folders deeper", file: "blog/2022/11/06/slug/index.md", content: fm("title: T"), want: "2022-11-06T00:00:00-07:00"},
		{name: "front matter wins over file name", file: "2023-12-24-xmas.md", content: fm("title: T", "date: 2023-12-24T23:00:00-07:00"), want: "2023-12-24T23:00:00-07:00"},
		{name: "front matter wins over folders", file: "2022/11/05/post.md", content: fm("title: T", "date: 2022-11-07"), want: "2022-11-07T00:00:00-07:00"},
		{name: "TOML offset datetime", content: "+++\ntitle = 'T'\ndate = 2024-01-02T03:04:05+05:30\n+++\n", want: "2024-01-02T03:04:05+05:30"},
		{name: "TOML local datetime in site zone", content: "+++\ntitle = 'T'\ndate = 2024-01-02T03:04:05\n+++\n", want: "2024-01-02T03:04:05-07:00"},
		{name: "TOML local datetime with space", content: "+++\ntitle = 'T'\ndate = 2024-01-02 03:04:05.5\n+++\n", want: "2024-01-02T03:04:05.5-07:00"},
		{name: "TOML local date", content: "+++\ntitle = 'T'\ndate = 2024-01-02\n+++\n", want: "2024-01-02T00:00:00-07:00"},
		{name: "TOML Z", content: "+++\ntitle = 'T'\ndate = 2024-01-02T03:04:05Z\n+++\n", want: "2024-01-02T03:04:05Z"},
		{name: "TOML quoted string", content: "+++\ntitle = 'T'\ndate = '2024-01-02 03:04'\n+++\n", want: "2024-01-02T03:04:00-07:00"},
		// No date key: the date in a path or link comes before the file
		// name and the folders.
		{name: "Zola path", content: "+++\ntitle = 'T'\npath = '2024/04/09/Rust-1.77.2'\n[extra]\nauthor = 'x'\n+++\n", want: "2024-04-09T00:00:00-07:00"},
		{name: "Zola path with a leading slash", content: fm("title: T", "path: /2024/4/9/x"), want: "2024-04-09T00:00:00-07:00"},
		{name: "Zola path with dashes", content: fm("title: T", "path: 2024-04-09-x"), want: "2024-04-09T00:00:00-07:00"},
		{name: "path date below a folder", content: fm("title: T", "path: blog/2024/04/10/x/"), want: "2024-04-10T00:00:00-07:00"},
		{name: "url", content: fm("title: T", "url: https://example.org/2023/02/03/x.html"), want: "2023-02-03T00:00:00-07:00"},
		{name: "permalink", content: fm("title: T", "permalink: /2023/02/04/x/"), want: "2023-02-04T00:00:00-07:00"},
		{name: "slug", content: fm("title: T", "slug: 2023-02-05-x"), want: "2023-02-05T00:00:00-07:00"},
		{name: "path wins over url", content: fm("title: T", "url: /2023/01/01/x/", "path: 2023/01/02/x"), want: "2023-01-02T00:00:00-07:00"},
		{name: "impossible path date, url used", content: fm("title: T", "path: 2023/02/30/x", "url: /2023/03/01/x/"), want: "2023-03-01T00:00:00-07:00"},
		{name: "path wins over file name", file: "2020-01-01-x.md", content: fm("title: T", "path: 2023/01/03/x"), want: "2023-01-03T00:00:00-07:00"},
		{name: "path wins over folders", file: "2020/01/01/x.md", content: fm("title: T", "path: 2023/01/04/x"), want: "2023-01-04T00:00:00-07:00"},
		{name: "date key wins over path", content: fm("title: T", "date: 2022-01-01", "path: 2023/01/05/x"), want: "2022-01-01T00:00:00-07:00"},
		{name: "query is not the path", file: "2020-01-02-x.md", content: fm("title: T", "url: /x/?from=2023/01/06/"), want: "2020-01-02T00:00:00-07:00"},
		{name: "digits in a name are no date", file: "2020-01-03-x.md", content: fm("title: T", "slug: x2023-01-07"), want: "2020-01-03T00:00:00-07:00"},
		{name: "unpadded date key", content: fm("title: T", "date: 2024-4-9"), want: "2024-04-09T00:00:00-07:00"},
		{name: "Jekyll date with offset", content: fm("title: T", "date: 2024-04-09 10:30:00 -0700"), want: "2024-04-09T10:30:00-07:00"},
	}, func(p *Post) string { return rfc(p.Published) })
}

func TestUpdatedAliases(t *testing.T) {
	runAliasCases(t, []aliasCase{
		{name: "default is published", content: fm("title: T", dateLine), want: "2024-01-02T03:04:05Z"},
		{name: "modified", content: fm("title: T", dateLine, "modified: 2024-02-01T00:00:00Z"), want: "2024-02-01T00:00:00Z"},
		{name: "lastmod", content: fm("title: T", dateLine, "lastmod: 2024-02-02T00:00:00Z"), want: "2024-02-02T00:00:00Z"},
		{name: "lastMod", content: fm("title: T", dateLine, "lastMod: 2024-02-03T00:00:00Z"), want: "2024-02-03T00:00:00Z"},
		{name: "updated", content: fm("title: T", dateLine, "updated: 2024-02-04"), want: "2024-02-04T00:00:00-07:00"},
		{name: "last_modified_at", content: fm("title: T", dateLine, "last_modified_at: 2024-02-05 10:00:00 +0100"), want: "2024-02-05T10:00:00+01:00"},
		{name: "date_modified", content: fm("title: T", dateLine, "date_modified: 2024-02-06T00:00:00Z"), want: "2024-02-06T00:00:00Z"},
		{name: "modified wins over updated", content: fm("title: T", dateLine, "updated: 2024-03-01", "modified: 2024-02-01T00:00:00Z"), want: "2024-02-01T00:00:00Z"},
		{name: "empty modified skipped", content: fm("title: T", dateLine, `modified: ""`, "updated: 2024-02-04T00:00:00Z"), want: "2024-02-04T00:00:00Z"},
	}, func(p *Post) string { return rfc(p.Updated) })
}

func TestUpdatedProblemsWarn(t *testing.T) {
	tests := []struct {
		name, content, warning string
	}{
		{"before published", fm("title: T", dateLine, "modified: 2020-01-01"), "modified 2020-01-01T00:00:00-07:00 is before the publication date"},
		{"invalid", fm("title: T", dateLine, "lastmod: 2024-02-30"), `lastmod: invalid date "2024-02-30": day out of range`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := scan(t, writeTree(t, map[string]string{"post.md": tt.content}))
			if len(res.Posts) != 1 {
				t.Fatalf("got %d posts, skipped %v; want the post published", len(res.Posts), res.Skipped)
			}
			if !res.Posts[0].Updated.Equal(res.Posts[0].Published) {
				t.Errorf("Updated = %v, want the publication date", res.Posts[0].Updated)
			}
			if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].Error(), tt.warning) || res.Warnings[0].Path != "post.md" {
				t.Errorf("warnings = %v, want one for post.md containing %q", res.Warnings, tt.warning)
			}
		})
	}
}

func TestFileNameDateDisagreementWarns(t *testing.T) {
	res := scan(t, writeTree(t, map[string]string{"2024-01-01-post.md": fm("title: T", "date: 2024-02-02")}))
	if len(res.Posts) != 1 || rfc(res.Posts[0].Published) != "2024-02-02T00:00:00-07:00" {
		t.Fatalf("want the post published on the front matter date, got %v / %v", res.Posts, res.Skipped)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].Error(), "disagrees with the file name's date 2024-01-01") {
		t.Errorf("warnings = %v", res.Warnings)
	}
}

func TestExclusions(t *testing.T) {
	tests := []struct {
		name, file, content string
		draft, page         bool
	}{
		{name: "draft: true", content: fm("title: T", dateLine, "draft: true"), draft: true},
		{name: "draft: yes string", content: fm("title: T", dateLine, `draft: "yes"`), draft: true},
		{name: "TOML draft", content: "+++\ntitle = 'T'\ndate = 2024-01-01\ndraft = true\n+++\n", draft: true},
		{name: "published: false", content: fm("title: T", dateLine, "published: false"), draft: true},
		{name: "published: 'false' string", content: fm("title: T", dateLine, `published: "false"`), draft: true},
		{name: "status draft", content: fm("title: T", dateLine, "status: draft"), draft: true},
		{name: "status private", content: fm("title: T", dateLine, "status: private"), draft: true},
		{name: "status future", content: fm("title: T", dateLine, "status: future"), draft: true},
		{name: "password", content: fm("title: T", dateLine, "password: secret"), draft: true},
		{name: "post_password", content: fm("title: T", dateLine, "post_password: secret"), draft: true},
		{name: "draft without title or date", content: fm("draft: true"), draft: true},
		{name: "draft with a bad date", content: fm("draft: true", "date: 2024-02-30"), draft: true},
		{name: "type page", content: fm("title: T", dateLine, "type: page"), page: true},
		{name: "layout page", content: fm("title: T", dateLine, "layout: Page"), page: true},
		{name: "_index.md", file: "posts/_index.md", content: fm("title: Posts"), page: true},
		{name: "root _index.md", file: "_index.md", content: fm("title: Home"), page: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := tt.file
			if file == "" {
				file = "post.md"
			}
			res := scan(t, writeTree(t, map[string]string{file: tt.content}))
			if len(res.Posts) != 0 || len(res.Skipped) != 0 {
				t.Fatalf("posts %d, skipped %v; want the file counted but not published", len(res.Posts), res.Skipped)
			}
			drafts, pages := 0, 0
			if tt.draft {
				drafts = 1
			}
			if tt.page {
				pages = 1
			}
			if res.Drafts != drafts || res.Pages != pages || res.Read != 1 {
				t.Errorf("Read %d, Drafts %d, Pages %d; want 1, %d, %d", res.Read, res.Drafts, res.Pages, drafts, pages)
			}
		})
	}
	// These are published.
	for _, c := range []aliasCase{
		{name: "status publish", content: fm("title: T", dateLine, "status: publish"), want: "T"},
		{name: "status published", content: fm("title: T", dateLine, "status: Published"), want: "T"},
		{name: "draft: false", content: fm("title: T", dateLine, "draft: false"), want: "T"},
		{name: "empty password", content: fm("title: T", dateLine, `password: ""`), want: "T"},
		{name: "type post", content: fm("title: T", dateLine, "type: post"), want: "T"},
	} {
		runAliasCases(t, []aliasCase{c}, func(p *Post) string { return p.Title })
	}
}

func TestAuthors(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    []Author
	}{
		{"default", fm("title: T", dateLine), siteAuthor},
		{"author string", fm("title: T", dateLine, "author: penny2"), []Author{{Name: "penny2"}}},
		{"author with e-mail", fm("title: T", dateLine, `author: "Jane Doe <jane@example.org>"`), []Author{{Name: "Jane Doe", Email: "jane@example.org"}}},
		{"author bare e-mail", fm("title: T", dateLine, "author: jane@example.org"), []Author{{Name: "jane@example.org", Email: "jane@example.org"}}},
		{"author map name", fm("title: T", dateLine, "author:", "  name: Jane", "  email: jane@example.org", "  url: https://jane.example/"), []Author{{Name: "Jane", Email: "jane@example.org", URL: "https://jane.example/"}}},
		{"author map display_name", fm("title: T", dateLine, "author:", "  display_name: Jane D", "  login: jd"), []Author{{Name: "Jane D"}}},
		{"author map e-mail only", fm("title: T", dateLine, "author: {email: jane@example.org}"), []Author{{Name: "jane@example.org", Email: "jane@example.org"}}},
		{"author entity", fm("title: T", dateLine, `author: "Ren&eacute;"`), []Author{{Name: "René"}}},
		{"authors list", fm("title: T", dateLine, "authors: [Ana, Ben, ana]"), []Author{{Name: "Ana"}, {Name: "Ben"}}},
		{"authors list of maps", fm("title: T", dateLine, "authors:", "  - name: Ana", "  - display_name: Ben"), []Author{{Name: "Ana"}, {Name: "Ben"}}},
		{"by", fm("title: T", dateLine, "by: [Cleo]"), []Author{{Name: "Cleo"}}},
		{"author_name", fm("title: T", dateLine, "author_name: Dana"), []Author{{Name: "Dana"}}},
		{"author wins over authors", fm("title: T", dateLine, "authors: [B]", "author: A"), []Author{{Name: "A"}}},
		{"empty author falls through", fm("title: T", dateLine, `author: ""`, "author_name: Dana"), []Author{{Name: "Dana"}}},
		{"numeric author", fm("title: T", dateLine, "author: 42"), []Author{{Name: "42"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			equal(t, "Authors", scanOne(t, "post.md", tt.content).Authors, tt.want)
		})
	}
}

func TestTaxonomies(t *testing.T) {
	tests := []struct {
		name       string
		content    string
		tags, cats []string
	}{
		{"tags list", fm("title: T", dateLine, "tags: [a, b]"), []string{"a", "b"}, nil},
		{"tag string", fm("title: T", dateLine, "tag: solo"), []string{"solo"}, nil},
		{"keywords comma string", fm("title: T", dateLine, `keywords: "x, y ,z,,"`), []string{"x", "y", "z"}, nil},
		{"tags win over keywords", fm("title: T", dateLine, "keywords: k", "tags: t"), []string{"t"}, nil},
		{"empty tags fall through", fm("title: T", dateLine, "tags: []", "keywords: k"), []string{"k"}, nil},
		{"case-insensitive de-dup, first spelling wins", fm("title: T", dateLine, "tags: [Go, GO, go, Rust, rust]"), []string{"Go", "Rust"}, nil},
		{"Unicode case de-dup", fm("title: T", dateLine, "tags: [Ärger, ärger,日本語]"), []string{"Ärger", "日本語"}, nil},
		{"trimmed", fm("title: T", dateLine, `tags: ["  spaced  ", "in  side"]`), []string{"spaced", "in side"}, nil},
		{"non-strings", fm("title: T", dateLine, "tags: [1, 2.5, true]"), []string{"1", "2.5", "true"}, nil},
		{"list items are whole", fm("title: T", dateLine, `tags: ["Washington, D.C.", x]`), []string{"Washington, D.C.", "x"}, nil},
		{"entities decoded", fm("title: T", dateLine, `tags: ["R&amp;D"]`), []string{"R&D"}, nil},
		{"categories list", fm("title: T", dateLine, "categories: [News, news]"), nil, []string{"News"}},
		{"category string", fm("title: T", dateLine, "category: Notes"), nil, []string{"Notes"}},
		{"topics comma string", fm("title: T", dateLine, "topics: a,b"), nil, []string{"a", "b"}},
		{"Zola taxonomies", "+++\ntitle = 'T'\ndate = 2024-01-01\n[taxonomies]\ntags = ['z']\ncategories = ['c']\n+++\n", []string{"z"}, []string{"c"}},
		{"TOML comma string", "+++\ntitle = 'T'\ndate = 2024-01-01\ntags = 'p, q'\n+++\n", []string{"p", "q"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := scanOne(t, "post.md", tt.content)
			if len(p.Tags) != 0 || len(tt.tags) != 0 {
				equal(t, "Tags", p.Tags, tt.tags)
			}
			if len(p.Categories) != 0 || len(tt.cats) != 0 {
				equal(t, "Categories", p.Categories, tt.cats)
			}
		})
	}
}

func TestSummaryAliases(t *testing.T) {
	runAliasCases(t, []aliasCase{
		{name: "summary", content: fm("title: T", dateLine, "summary: S"), want: "S"},
		{name: "description", content: fm("title: T", dateLine, "description: D"), want: "D"},
		{name: "excerpt", content: fm("title: T", dateLine, "excerpt: E"), want: "E"},
		{name: "post_excerpt", content: fm("title: T", dateLine, "post_excerpt: P"), want: "P"},
		{name: "summary wins", content: fm("title: T", dateLine, "description: D", "summary: S"), want: "S"},
		{name: "empty counts as absent", content: fm("title: T", dateLine, `summary: ""`, `description: "  "`, "excerpt: E"), want: "E"},
		{name: "none", content: fm("title: T", dateLine), want: ""},
	}, func(p *Post) string { return p.frontSummary })
}

func TestLinks(t *testing.T) {
	tests := []struct {
		name, file, content string
		link, id            string
	}{
		{name: "permalink pattern default", content: fm("title: T", "date: 2024-01-02T23:00:00-07:00"),
			link: "https://example.org/blog/2024/01/02/post/"},
		{name: "slug in pattern", content: fm("title: T", dateLine, "slug: my slug"),
			link: "https://example.org/blog/2024/01/02/my%20slug/"},
		{name: "slug with a slash stays one segment", content: fm("title: T", dateLine, "slug: a/../b"),
			link: "https://example.org/blog/2024/01/02/a%2F..%2Fb/"},
		{name: "canonical absolute", content: fm("title: T", dateLine, "canonical: https://other.example/p/1"),
			link: "https://other.example/p/1"},
		{name: "canonical_url", content: fm("title: T", dateLine, "canonical_url: http://other.example/p/2"),
			link: "http://other.example/p/2"},
		{name: "permalink relative", content: fm("title: T", dateLine, "permalink: /notes/x/"),
			link: "https://example.org/blog/notes/x/"},
		{name: "url relative without slash", content: fm("title: T", dateLine, "url: notes/y/"),
			link: "https://example.org/blog/notes/y/"},
		{name: "url already under the site folder", content: fm("title: T", dateLine, "url: /blog/notes/z/"),
			link: "https://example.org/blog/notes/z/"},
		{name: "canonical wins over url", content: fm("title: T", dateLine, "url: /u/", "canonical: https://c.example/"),
			link: "https://c.example/"},
		{name: "canonical is the id even with a guid", content: fm("title: T", dateLine, "canonical: https://c.example/", "guid: https://example.org/?p=1"),
			link: "https://c.example/", id: "https://c.example/"},
		{name: "guid URI is the id", content: fm("title: T", dateLine, "guid: https://example.org/?p=12"),
			link: "https://example.org/blog/2024/01/02/post/", id: "https://example.org/?p=12"},
		{name: "uuid becomes urn:uuid", content: fm("title: T", dateLine, "uuid: 0F8FAD5B-D9CB-469F-A165-70867728950E"),
			link: "https://example.org/blog/2024/01/02/post/", id: "urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e"},
		{name: "id that is not a URI is ignored", content: fm("title: T", dateLine, "id: 4569"),
			link: "https://example.org/blog/2024/01/02/post/"},
		{name: "Zola path", content: fm("title: T", dateLine, "path: 2024/04/09/Rust-1.77.2"),
			link: "https://example.org/blog/2024/04/09/Rust-1.77.2/"},
		{name: "Zola path with a leading slash", content: fm("title: T", dateLine, "path: /notes/a"),
			link: "https://example.org/blog/notes/a/"},
		{name: "Zola path ending in a slash", content: fm("title: T", dateLine, "path: notes/b/"),
			link: "https://example.org/blog/notes/b/"},
		{name: "Zola path naming a file", content: fm("title: T", dateLine, "path: notes/c.html"),
			link: "https://example.org/blog/notes/c.html"},
		{name: "url wins over Zola path", content: fm("title: T", dateLine, "path: notes/d", "url: /u/"),
			link: "https://example.org/blog/u/"},
		{name: "Zola path gives the date", content: fm("title: T", "path: 2024/04/09/e"),
			link: "https://example.org/blog/2024/04/09/e/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := tt.file
			if file == "" {
				file = "post.md"
			}
			p := scanOne(t, file, tt.content)
			id := tt.id
			if id == "" {
				id = tt.link
			}
			if p.Link != tt.link || p.ID != id {
				t.Errorf("Link, ID = %q, %q; want %q, %q", p.Link, p.ID, tt.link, id)
			}
			// Only canonical, id, guid and uuid name a post's identity.
			explicit := strings.Contains(tt.content, "canonical") || strings.Contains(tt.content, "guid:") || strings.Contains(tt.content, "uuid:")
			if p.ExplicitID != explicit {
				t.Errorf("ExplicitID = %v, want %v", p.ExplicitID, explicit)
			}
		})
	}
}

func TestPermalinkConfig(t *testing.T) {
	tests := []struct {
		name, site, pattern, want string
	}{
		{"site without trailing slash", "https://example.org/blog", "", "https://example.org/blog/2024/01/02/post/"},
		{"root site", "https://example.org", "", "https://example.org/2024/01/02/post/"},
		{"custom pattern", "https://example.org/", "/posts/:year/:slug.html", "https://example.org/posts/2024/post.html"},
		{"title placeholder", "https://example.org/", ":year-:month-:day/:title/", "https://example.org/2024-01-02/post/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.SiteURL, cfg.Permalink = tt.site, tt.pattern
			res := scanWith(t, writeTree(t, map[string]string{"post.md": fm("title: T", dateLine)}), cfg)
			if len(res.Posts) != 1 {
				t.Fatalf("skipped: %v", res.Skipped)
			}
			if res.Posts[0].Link != tt.want {
				t.Errorf("Link = %q, want %q", res.Posts[0].Link, tt.want)
			}
		})
	}
}

func TestNewScannerRejectsBadSiteURL(t *testing.T) {
	for _, u := range []string{"example.org", "/blog/", "ftp://example.org/", "https://", "::"} {
		t.Run(u, func(t *testing.T) {
			if _, err := NewScanner(t.TempDir(), Config{SiteURL: u}); err == nil || !strings.Contains(err.Error(), "site url") {
				t.Errorf("NewScanner(SiteURL %q) error = %v, want one naming the site url", u, err)
			}
		})
	}
}

func TestLanguage(t *testing.T) {
	runAliasCases(t, []aliasCase{
		{name: "language", content: fm("title: T", dateLine, "language: fr-CA"), want: "fr-CA"},
		{name: "lang", content: fm("title: T", dateLine, "lang: de"), want: "de"},
		{name: "language wins", content: fm("title: T", dateLine, "lang: de", "language: fr"), want: "fr"},
		{name: "default", content: fm("title: T", dateLine), want: "en"},
	}, func(p *Post) string { return p.Language })
}

func TestSlug(t *testing.T) {
	runAliasCases(t, []aliasCase{
		{name: "file name", file: "hello-world.md", content: fm("title: T", dateLine), want: "hello-world"},
		{name: "markdown extension", file: "hello.markdown", content: fm("title: T", dateLine), want: "hello"},
		{name: "Jekyll date prefix dropped", file: "2024-01-02-hello.md", content: fm("title: T", dateLine), want: "hello"},
		// Kept: such a post, dated by its front matter, published links
		// with it before unpadded file names were read as dates.
		{name: "unpadded Jekyll date prefix kept", file: "2024-1-2-hello.md", content: fm("title: T", dateLine), want: "2024-1-2-hello"},
		{name: "page bundle", file: "posts/my-trip/index.md", content: fm("title: T", dateLine), want: "my-trip"},
		{name: "front matter", file: "x.md", content: fm("title: T", dateLine, "slug: chosen"), want: "chosen"},
	}, func(p *Post) string { return p.Slug })
}

func TestDates(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"2024-03-04", "2024-03-04T00:00:00-07:00"},
		{"2024-03-04 05:06", "2024-03-04T05:06:00-07:00"},
		{"2024-03-04T05:06", "2024-03-04T05:06:00-07:00"},
		{"2024-03-04 05:06:07", "2024-03-04T05:06:07-07:00"},
		{"2024-03-04T05:06:07", "2024-03-04T05:06:07-07:00"},
		{"2024-03-04T05:06:07.123456", "2024-03-04T05:06:07.123456-07:00"},
		{"2024-03-04T05:06:07Z", "2024-03-04T05:06:07Z"},
		{"2024-03-04T05:06:07.5Z", "2024-03-04T05:06:07.5Z"},
		{"2024-03-04 05:06:07Z", "2024-03-04T05:06:07Z"},
		{"2024-03-04T05:06:07+02:00", "2024-03-04T05:06:07+02:00"},
		{"2024-03-04T05:06:07-0330", "2024-03-04T05:06:07-03:30"},
		{"2024-03-04 05:06:07 +0200", "2024-03-04T05:06:07+02:00"},
		{"2024-03-04 05:06:07 +02:00", "2024-03-04T05:06:07+02:00"},
		{"2024-03-04 05:06:07 -0700 MST", "2024-03-04T05:06:07-07:00"},
		{"2024-03-04T05:06+01:00", "2024-03-04T05:06:00+01:00"},
		{"2024/03/04", "2024-03-04T00:00:00-07:00"},
		{"Mon, 04 Mar 2024 05:06:07 +0000", "2024-03-04T05:06:07Z"},
		{"2024-4-9", "2024-04-09T00:00:00-07:00"},
		{"2024-4-09 9:05", "2024-04-09T09:05:00-07:00"},
		{"2024-04-9T9:05:06", "2024-04-09T09:05:06-07:00"},
		{"2024-4-9T09:05:06Z", "2024-04-09T09:05:06Z"},
		{"2024-4-9 9:05:06 +0200", "2024-04-09T09:05:06+02:00"},
		{"2024/4/9", "2024-04-09T00:00:00-07:00"},
		{"2024-04-09 10:30:00 -0700", "2024-04-09T10:30:00-07:00"},
		{"  2024-03-04  ", "2024-03-04T00:00:00-07:00"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseDate(tt.in, testZone)
			if err != nil {
				t.Fatalf("parseDate(%q): %v", tt.in, err)
			}
			if rfc(got) != tt.want {
				t.Errorf("parseDate(%q) = %s, want %s", tt.in, rfc(got), tt.want)
			}
		})
	}
}

func TestInvalidDates(t *testing.T) {
	tests := []struct {
		name, line, want string
	}{
		{"impossible day", "date: 2024-02-30", `date: invalid date "2024-02-30": day out of range`},
		{"offset hour", "date: 2024-01-01T00:00:00+25:00", `date: invalid date "2024-01-01T00:00:00+25:00"`},
		{"offset minute", "date: 2024-01-01T00:00:00+01:60", `date: invalid date "2024-01-01T00:00:00+01:60"`},
		{"offset without colon", "date: 2024-01-01 00:00:00 +2500", `date: invalid date "2024-01-01 00:00:00 +2500"`},
		{"month", "post_date: 2024-13-01", `post_date: invalid date "2024-13-01": month out of range`},
		{"hour", "pubDate: 2024-01-01T24:00:00Z", `pubDate: invalid date "2024-01-01T24:00:00Z": hour out of range`},
		{"American", "date: 13/45/2020", `date: unrecognised date "13/45/2020"`},
		{"unpadded minute", "date: 2024-4-9 9:5", `date: unrecognised date "2024-4-9 9:5"`},
		{"unpadded impossible day", "date: 2024-2-30", `date: invalid date "2024-2-30": day out of range`},
		{"unpadded second", "date: 2024-4-9 9:05:6", `date: unrecognised date "2024-4-9 9:05:6"`},
		{"words", "date: yesterday", `date: unrecognised date "yesterday"`},
		{"number", "date: 20240101", `date: not a date: 20240101`},
		{"list", "date: [2024-01-01]", `date: not a date`},
		{"year zero", "date: 0000-01-01", `date: invalid date 0000-01-01: year out of range`},
		{"published string that is not a date", "published: soon", `published: unrecognised date "soon"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := scanErr(t, "post.md", fm("title: T", tt.line))
			if e.Path != "post.md" || !strings.Contains(e.Error(), tt.want) {
				t.Errorf("error = %q, want it to name post.md and contain %q", e.Error(), tt.want)
			}
		})
	}
	t.Run("TOML", func(t *testing.T) {
		e := scanErr(t, "post.md", "+++\ntitle = 'T'\ndate = 2024-02-30\n+++\n")
		if !strings.Contains(e.Error(), "post.md:3:") {
			t.Errorf("error = %q, want post.md:3:", e.Error())
		}
	})
}

func TestFutureAndNow(t *testing.T) {
	files := map[string]string{
		"past.md":   fm("title: Past", "date: 2024-12-31T23:59:59Z"),
		"now.md":    fm("title: Now", "date: 2025-01-01T00:00:00Z"),
		"future.md": fm("title: Future", "date: 2025-01-01T00:00:01Z"),
		"local.md":  fm("title: Local", "date: 2024-12-31 18:00"), // 2025-01-01T01:00Z
	}
	res := scan(t, writeTree(t, files))
	var got []string
	for _, p := range res.Posts {
		got = append(got, p.Title)
	}
	equal(t, "published", got, []string{"Now", "Past"})
	if res.Future != 2 || res.Read != 4 {
		t.Errorf("Future = %d, Read = %d; want 2, 4", res.Future, res.Read)
	}
	cfg := testConfig()
	cfg.Now = func() time.Time { return testNow.Add(time.Hour) }
	if res := scanWith(t, writeTree(t, files), cfg); len(res.Posts) != 4 || res.Future != 0 {
		t.Errorf("an hour later: %d posts, %d future; want 4, 0", len(res.Posts), res.Future)
	}
}

// TestZolaCorpus scans the Zola fixture corpus (../testdata/corpora/zola),
// whose posts have no date key: each is dated and linked by its path.
func TestZolaCorpus(t *testing.T) {
	cfg := testConfig()
	cfg.SiteURL = "https://example.org/"
	res := scanWith(t, filepath.Join("..", "testdata", "corpora", "zola", "content"), cfg)
	want := map[string]struct{ date, link string }{
		"2024-04-09-Release-1.77.2.md":        {"2024-04-09", "https://example.org/2024/04/09/Release-1.77.2/"},
		"2024-03-21-Release-1.77.0.md":        {"2024-03-21", "https://example.org/2024/03/21/Release-1.77.0/"},
		"2024-2-8-Release-1.76.0.md":          {"2024-02-08", "https://example.org/2024/2/8/Release-1.76.0/"},
		"survey-2023-results.md":              {"2024-02-19", "https://example.org/2024-02-19/2023-survey-results/"},
		"inside-rust/compiler-team-update.md": {"2024-04-01", "https://example.org/inside-rust/2024/04/01/compiler-team-update/"},
		"inside-rust/infra-team-q4.md":        {"2023-12-22", "https://example.org/inside-rust/2023/12/22/infra-team/"},
		"feed-page.md":                        {"2023-11-30", "https://example.org/2023/11/30/archive.html"},
		"2023-11-16-Release-1.74.0.md":        {"2023-11-16", "https://example.org/2023/11/16/Release-1.74.0/"},
	}
	if len(res.Skipped) > 0 || res.Pages != 2 || len(res.Posts) != len(want) {
		t.Fatalf("%d posts, %d pages, skipped %v; want %d posts and the 2 _index.md pages", len(res.Posts), res.Pages, res.Skipped, len(want))
	}
	for _, p := range res.Posts {
		w, ok := want[p.Path]
		if !ok {
			t.Errorf("unexpected post %s", p.Path)
			continue
		}
		if got := p.Published.Format("2006-01-02"); got != w.date || p.Link != w.link {
			t.Errorf("%s: published %s, link %s; want %s, %s", p.Path, got, p.Link, w.date, w.link)
		}
	}
}

func TestWordpressPostID(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want string
	}{
		{"4569", "4569"},
		{" 42 ", "42"},
		{4569, "4569"},
		{float64(12), "12"},
		{"0042", "42"},
		{"0", ""},
		{"-3", ""},
		{"12a", ""},
		{"", ""},
		{nil, ""},
		{"99999999999999999999999", ""},
	} {
		if got := wordpressPostID(tc.in); got != tc.want {
			t.Errorf("wordpressPostID(%#v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestPlainText: whatever isPlainText lets through, text's general case
// leaves unchanged, and the cases it must refuse are refused.
func TestPlainText(t *testing.T) {
	plain := 0
	for _, s := range plainTextCases {
		if isPlainText(s) {
			plain++
			if got := stripText(s); got != s {
				t.Errorf("isPlainText(%q) but stripText gives %q", s, got)
			}
		}
	}
	if plain < 5 || plain == len(plainTextCases) {
		t.Errorf("%d of %d cases plain; the list should hold both kinds", plain, len(plainTextCases))
	}
}

func FuzzPlainText(f *testing.F) {
	for _, s := range plainTextCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if isPlainText(s) && stripText(s) != s {
			t.Errorf("isPlainText(%q) but stripText gives %q", s, stripText(s))
		}
	})
}

func TestPlainTextFieldsLoseMarkup(t *testing.T) {
	cases := []struct {
		name, frontMatter string
		check             func(*Post) string
	}{
		{"script title", `title: "<script>alert(3)</script>Hello"`, func(p *Post) string { return p.Title }},
		{"svg title", `title: "<svg/onload=alert(2)>Click"`, func(p *Post) string { return p.Title }},
		{"entity-encoded title", `title: "&lt;img src=x onerror=alert(1)&gt;Pic"`, func(p *Post) string { return p.Title }},
		{"unclosed tag", `title: "Hi <img src=x onerror=alert(1)"`, func(p *Post) string { return p.Title }},
		{"tag name", "title: T\ntags: [\"<script>x</script>go\"]", func(p *Post) string { return strings.Join(p.Tags, ",") }},
		{"author", "title: T\nauthor: {name: \"<b onmouseover=x>Eve</b>\"}", func(p *Post) string { return p.Authors[0].Name }},
		{"site name", "title: T\nsite_name: \"<script>alert(1)</script>Evil & co\"", func(p *Post) string { return p.SiteName }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fm := c.frontMatter
			if !strings.Contains(fm, "date:") {
				fm += "\ndate: 2024-01-01"
			}
			p := scanOne(t, "p.md", "---\n"+fm+"\n---\nbody\n")
			got := c.check(p)
			if strings.ContainsAny(got, "<>") || strings.Contains(got, "onerror") || strings.Contains(got, "onload") {
				t.Errorf("markup survived in a plain-text field: %q", got)
			}
		})
	}
	// Text that merely mentions a comparison stays.
	p := scanOne(t, "p.md", "---\ntitle: \"1 < 2 and 3 > 2\"\ndate: 2024-01-01\n---\n")
	if p.Title != "1 < 2 and 3 > 2" {
		t.Errorf("title = %q", p.Title)
	}
	// A title that is nothing but markup leaves no title: the file is skipped.
	if fe := scanErr(t, "p.md", "---\ntitle: \"<img src=x onerror=alert(1)>\"\ndate: 2024-01-01\n---\n"); !errors.Is(fe, ErrNoTitle) {
		t.Errorf("markup-only title: %v", fe)
	}
}

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

var siteAuthor = []Author{{Name: "Site Author", Email: "site@example.org"}}

var plainTextCases = []string{
	"", " ", "a", "a b", "a  b", " a", "a ", "Héllo «wörld»", "日本語", "a\u00a0b", "a\u2003b",
	"a\tb", "a\nb", "x &amp; y", "a<b", "<b>x</b>", "\u0085", "a\ufffdb", "a\ufffeb", "\x7f", "tab\x01",
	"Ünïcödé tïtle – with dash", "emoji 🎉 ok", "a\xffb",
}
