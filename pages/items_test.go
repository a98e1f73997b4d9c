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

// referenceItems is the item list as the page template wrote it with
// html/template before itemsHTML wrote it by hand: what itemsHTML must
// write, byte for byte.
const referenceItems = `{{range .Items}}<article{{if .Lang}} lang="{{.Lang}}"{{end}}>
<h3><a href="{{.Link}}">{{.Title}}</a></h3>
<p class="meta"><time datetime="{{datetime .Published}}">{{date .Published}}</time></p>
{{if .Summary}}<p>{{.Summary}}</p>
{{end}}</article>
{{else}}<p>No posts yet.</p>
{{end}}`

var referenceTemplate = template.Must(template.New("page").Funcs(pageFuncs).Parse(
	strings.Replace(pageSource, "{{.Items}}", referenceItems, 1)))

// referencePage is p with items as html/template writes it.
func referencePage(t testing.TB, p page, items []item) []byte {
	t.Helper()
	if !strings.Contains(pageSource, "{{.Items}}") {
		t.Fatal("the page template has no {{.Items}}")
	}
	var buf bytes.Buffer
	err := referenceTemplate.Execute(&buf, struct {
		page
		Items []item
	}{p, items})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// checkPage fails t unless p with items written by itemsHTML is the
// page html/template writes.
func checkPage(t testing.TB, name string, p page, items []item) {
	t.Helper()
	want := referencePage(t, p, items)
	p.Items = itemsHTML(items)
	got, err := execute(p)
	if err != nil {
		t.Fatal(err)
	}
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

// TestFeedPagesMatchTemplate: every feed page of the pages tests'
// sites, hostile ones included, is byte for byte the page html/template
// writes.
func TestFeedPagesMatchTemplate(t *testing.T) {
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
		}
		hostile = append(hostile, p)
	}
	site := testSite()
	site.Title, site.Description = corpus[0], corpus[3]
	hostilePlan, err := feedgen.NewPlan(site, feedgen.Options{Limit: 5}, hostile)
	if err != nil {
		t.Fatal(err)
	}
	authors := testPosts()
	authors[0].Authors = []source.Author{{Name: "Ann <a>", URL: "https://ann.example/?x=1&y=2"}}
	authorsPlan, err := feedgen.NewPlan(testSite(), feedgen.Options{Limit: 20, AuthorFeeds: true}, authors)
	if err != nil {
		t.Fatal(err)
	}
	pages := 0
	for _, plan := range []*feedgen.Plan{newPlan(t, testPosts()), newPlan(t, nil), hostilePlan, authorsPlan} {
		s := New(plan, Options{})
		for _, f := range plan.Feeds {
			p, items, err := s.feedPageParts(f)
			if err != nil {
				t.Fatal(err)
			}
			checkPage(t, f.Dir(), p, items)
			pages++
		}
	}
	if pages < 30 {
		t.Errorf("compared only %d pages", pages)
	}
}

// FuzzItemsHTML: any item is written as html/template writes it.
func FuzzItemsHTML(f *testing.F) {
	f.Add("Hello, World", "https://example.org/1/", "Summary of Hello", "en", int64(1714564800), 0)
	f.Add("Third <b>bold</b> & more", "https://example.org/a?b=c&d=e+f#g", `"quoted" 'single' a+b`, "en-GB", int64(0), 19800)
	f.Add("", "javascript:alert(1)", "", "", int64(-1), -3600)
	f.Add("\x00\xff\xfe", "HTTP://EXAMPLE.ORG/%41%zz%4%", "<script>alert(1)</script>", `x" onload="y`, int64(253402300799), 60)
	f.Add("é 日本語 \u2028", "https://example.org/\"'<> \x00\t\x7f/é/", "&amp; &lt; &#43;", "zh-Hant", int64(1e9), -43200)
	f.Add("title", "/relative:path?x=1", "s", "de", int64(1e12), 50400)
	f.Add("title", "mailto:a@example.org", "s", "de", int64(1e10), 1)
	f.Add("title", "Data:,x", "s", "x-y", int64(5), 0)
	f.Fuzz(func(t *testing.T, title, link, summary, lang string, unix int64, offset int) {
		published := time.Unix(unix, 0).In(time.FixedZone("", offset%(26*3600)))
		items := []item{{Title: title, Link: link, Summary: summary, Lang: lang, Published: published}}
		p := page{Title: "t", Index: "../../"}
		checkPage(t, "item", p, items)
		checkPage(t, "items", p, append(items, items...))
	})
}
