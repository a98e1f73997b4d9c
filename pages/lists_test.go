package pages

import (
	"bytes"
	"html/template"
	"strings"
	"testing"
	"time"

	"github.com/syndicate/syndicate/feedgen"
	"github.com/syndicate/syndicate/source"
)

// referenceLists are the page template's lists as html/template wrote
// them before lists.go wrote them by hand, by the field that now holds
// each: what lists.go must write, byte for byte.
var referenceLists = map[string]string{
	"{{.DiscoveryHTML}}": `{{range .Discovery}}<link rel="alternate" {{.Type}} title="{{.Title}}" href="{{.Href}}">
{{end}}`,
	"{{.FormatsHTML}}": `{{range .Formats}}<li><span class="fmt">{{.Name}}</span> <a href="{{.Href}}"><code>{{.URL}}</code></a> <button type="button" class="copy" data-url="{{.URL}}" aria-describedby="copied-{{.ID}}" hidden>Copy</button> <span class="meta" id="copied-{{.ID}}" aria-live="polite"></span></li>
{{end}}`,
	"{{.ReadersHTML}}": `{{range .Readers}}<li><a href="{{.URL}}" rel="nofollow">{{.Name}}</a></li>
{{end}}`,
	"{{.RowsHTML}}": `{{range .Rows}}<li data-name="{{.Key}}"><a href="{{.Href}}">{{.Name}}</a> <span class="meta">{{.Count}} {{plural .Count "post" "posts"}}{{if not .Updated.IsZero}}, updated <time datetime="{{datetime .Updated}}">{{date .Updated}}</time>{{end}}</span>{{range .Formats}} <a href="{{.Href}}">{{.Name}}</a>{{end}}</li>
{{end}}`,
	"{{.ItemsHTML}}": `{{range .Items}}<article{{if .Lang}} lang="{{.Lang}}"{{end}}>
<h3><a href="{{.Link}}">{{.Title}}</a></h3>
<p class="meta"><time datetime="{{datetime .Published}}">{{date .Published}}</time></p>
{{if .Summary}}<p>{{.Summary}}</p>
{{end}}</article>
{{else}}<p>No posts yet.</p>
{{end}}`,
}

// referenceSnippet is a discovery snippet as html/template wrote it.
var referenceSnippet = template.Must(template.New("discovery").Parse(
	`{{range .}}<link rel="alternate" {{.Type}} title="{{.Title}}" href="{{.URL}}">
{{end}}`))

// referenceTemplate is the page template with referenceLists in place
// of the lists' fields.
func referenceTemplate(t testing.TB) *template.Template {
	t.Helper()
	src := pageSource
	for field, list := range referenceLists {
		if strings.Count(src, field) != 1 {
			t.Fatalf("the page template has %d of %s", strings.Count(src, field), field)
		}
		src = strings.Replace(src, field, list, 1)
	}
	return template.Must(template.New("page").Funcs(pageFuncs).Parse(src))
}

// checkPage fails t unless execute writes p as html/template does.
func checkPage(t testing.TB, ref *template.Template, name string, p page) {
	t.Helper()
	var want bytes.Buffer
	if err := ref.Execute(&want, p); err != nil {
		t.Fatal(err)
	}
	got, err := execute(p)
	if err != nil {
		t.Fatal(err)
	}
	same(t, name, got, want.Bytes())
}

func same(t testing.TB, name string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		lo := max(0, i-80)
		t.Errorf("%s: differs from html/template's at byte %d:\ngot  %q\nwant %q", name, i,
			got[lo:min(len(got), i+80)], want[lo:min(len(want), i+80)])
	}
}

// TestListsMatchTemplate: every page and discovery snippet of the pages
// tests' sites, hostile ones included, is byte for byte what
// html/template writes.
func TestListsMatchTemplate(t *testing.T) {
	corpus := xssCorpus(t)
	var hostile []*source.Post
	for i, x := range corpus {
		p := post(i+1, x, []string{x, "t" + x}, []string{x})
		p.SummaryText = x
		p.Language = x
		// A link of every kind html/template treats apart: other
		// schemes, escapes valid and not, bytes it percent-encodes.
		p.Link = []string{
			"https://example.org/a?b=c&d=e+f#g", "javascript:alert(1)", "HTTP://EXAMPLE.ORG/%41%zz%4",
			"https://example.org/\"'<> \x00\t\x7f/é/", "mailto:a@example.org", "/relative:path", "data:,x",
		}[i%7]
		if i%5 == 0 {
			p.Title = ""
		}
		if i%3 == 0 {
			p.Published = p.Published.In(time.FixedZone("", 5*3600+30*60))
			p.Updated = p.Published
		}
		hostile = append(hostile, p)
	}
	site := testSite()
	site.Title, site.Description = corpus[0], corpus[3]
	hostilePlan, err := feedgen.NewPlan(site, feedgen.Options{Limit: 5, AuthorFeeds: true}, hostile)
	if err != nil {
		t.Fatal(err)
	}
	authors := testPosts()
	authors[0].Authors = []source.Author{{Name: "Ann <a>", URL: "https://ann.example/?x=1&y=2"}}
	authorsPlan, err := feedgen.NewPlan(testSite(), feedgen.Options{Limit: 20, AuthorFeeds: true}, authors)
	if err != nil {
		t.Fatal(err)
	}
	ref := referenceTemplate(t)
	pages := 0
	for _, plan := range []*feedgen.Plan{newPlan(t, testPosts()), newPlan(t, nil), hostilePlan, authorsPlan} {
		s := New(plan, Options{})
		checkPage(t, ref, IndexName, s.indexPageData())
		for _, f := range plan.Feeds {
			p, err := s.feedPageData(f)
			if err != nil {
				t.Fatal(err)
			}
			checkPage(t, ref, f.Dir()+IndexName, p)
			got, _, err := s.discoverySnippet(f)
			if err != nil {
				t.Fatal(err)
			}
			var want bytes.Buffer
			if err := referenceSnippet.Execute(&want, s.snippetLinks(f)); err != nil {
				t.Fatal(err)
			}
			same(t, f.Dir()+DiscoveryName, got, want.Bytes())
			pages++
		}
	}
	if pages < 30 {
		t.Errorf("compared only %d feeds' pages", pages)
	}
}

// FuzzLists: any value in any list is written as html/template writes
// it.
func FuzzLists(f *testing.F) {
	f.Add("Hello, World", "https://example.org/1/", "Summary of Hello", "en", int64(1714564800), 0, 1)
	f.Add("Third <b>bold</b> & more", "https://example.org/a?b=c&d=e+f#g", `"quoted" 'single' a+b`, "en-GB", int64(0), 19800, 2)
	f.Add("", "javascript:alert(1)", "", "", int64(-1), -3600, 0)
	f.Add("\x00\xff\xfe", "HTTP://EXAMPLE.ORG/%41%zz%4%", "<script>alert(1)</script>", `x" onload="y`, int64(253402300799), 60, -1)
	f.Add("é 日本語 \u2028", "https://example.org/\"'<> \x00\t\x7f/é/", "&amp; &lt; &#43;", "zh-Hant", int64(1e9), -43200, 1000000)
	f.Add("C++", "tags/c%2B%2B/", "c++", "de", int64(1e12), 50400, 3)
	f.Add("title", "mailto:a@example.org", "s", "de", int64(1e10), 1, 5)
	f.Add("title", "Data:,x", "s", "x-y", int64(5), 0, 7)
	f.Add("Feedly", "https://feedly.com/i/subscription/feed%2Fhttps%3A%2F%2Fexample.org%2Ffeed.atom", "s", "rss", int64(-62135596800), 0, 2)
	ref := referenceTemplate(f)
	f.Fuzz(func(t *testing.T, title, link, summary, lang string, unix int64, offset, count int) {
		when := time.Unix(unix, 0).In(time.FixedZone("", offset%(26*3600)))
		if unix == -62135596800 {
			when = time.Time{}
		}
		formats := []formatLink{{Name: title, URL: link, Href: summary, ID: lang, Type: typeAttr(mediaTypes[feedgen.RSS])}}
		items := []item{{Title: title, Link: link, Summary: summary, Lang: lang, Published: when}}
		rows := []feedRow{{Name: title, Key: summary, Href: link, Count: count, Updated: when, Formats: formats}}
		p := page{
			Title:     "t",
			Index:     "../../",
			Discovery: []altLink{{Title: title, Href: link, URL: summary, Type: formats[0].Type}},
			Formats:   formats,
			Readers:   []readerLink{{Name: title, URL: link}},
			Sections:  []section{{Title: "Tags", ID: "tags", Count: 1, Letters: []letter{{Letter: "T", ID: "tags-1", Label: "l", Rows: append(rows, rows...)}}}},
			Items:     append(items, items...),
		}
		checkPage(t, ref, "fuzzed", p)
		p.Items = nil
		checkPage(t, ref, "no items", p)
	})
}
