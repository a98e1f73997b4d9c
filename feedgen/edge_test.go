package feedgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/atom"
	"github.com/mmcdole/gofeed/rss"

	"github.com/syndicate/syndicate/source"
)

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

func TestEscaping(t *testing.T) {
	x := simplePost("esc.md", t0)
	x.Title = `A & B < C > D "quoted" 'single' ]]> end`
	x.ContentHTML = `<p>one ]]> two ]]]]> three</p><pre>]]></pre>`
	x.SummaryHTML = `<p>a ]]> b &amp; c</p>`
	_, snap := mustBuild(t, testSite(), Options{Limit: 5}, []*source.Post{x})

	rssBody := snap.Docs["feed.rss"].Body
	checkXML(t, "feed.rss", rssBody)
	if !bytes.Contains(rssBody, []byte("]]]]><![CDATA[>")) {
		t.Errorf("content:encoded does not split ]]> across CDATA sections:\n%s", rssBody)
	}
	rf, err := (&rss.Parser{}).Parse(bytes.NewReader(rssBody))
	if err != nil {
		t.Fatal(err)
	}
	it := rf.Items[0]
	if it.Title != x.Title || it.Content != x.ContentHTML || it.Description != x.SummaryHTML {
		t.Errorf("RSS round trip:\ntitle %q\ncontent %q\ndescription %q", it.Title, it.Content, it.Description)
	}

	atomBody := snap.Docs["feed.atom"].Body
	checkXML(t, "feed.atom", atomBody)
	af, err := (&atom.Parser{}).Parse(bytes.NewReader(atomBody))
	if err != nil {
		t.Fatal(err)
	}
	e := af.Entries[0]
	if e.Title != x.Title || e.Content.Value != x.ContentHTML || e.Summary != x.SummaryHTML {
		t.Errorf("Atom round trip:\ntitle %q\ncontent %q\nsummary %q", e.Title, e.Content.Value, e.Summary)
	}

	var items []map[string]any
	var top map[string]json.RawMessage
	if err := json.Unmarshal(snap.Docs["feed.json"].Body, &top); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(top["items"], &items); err != nil {
		t.Fatal(err)
	}
	if items[0]["title"] != x.Title || items[0]["content_html"] != x.ContentHTML {
		t.Errorf("JSON round trip: %v", items[0])
	}
	// Markup characters stay readable in JSON: no \u003c escapes.
	if bytes.Contains(snap.Docs["feed.json"].Body, []byte(`\u003c`)) {
		t.Errorf("JSON escapes HTML characters")
	}
}

// TestControlCharacters feeds every kind of character XML forbids, C1
// controls, U+FFFD and invalid UTF-8 into every field, and checks that
// each document is still well-formed (strict decoder), holds none of
// them, that C1 controls become their Windows-1252 characters, and that
// HTML fields keep U+FFFD and invalid UTF-8 as character references.
func TestControlCharacters(t *testing.T) {
	var bad strings.Builder
	for r := rune(0); r < 0x20; r++ {
		if r != '\t' && r != '\n' && r != '\r' {
			bad.WriteRune(r)
		}
	}
	bad.WriteString("\u007f\u0085\u009f\ufffe\uffff\xff\xc3(")
	junk := bad.String()
	x := simplePost("ctl.md", t0, "tag"+junk, junk)
	x.Title = "Title" + junk + "end"
	x.ContentHTML = "<p>content" + junk + "\ufffd</p>"
	x.SummaryHTML = "<p>summary" + junk + "</p>"
	x.SummaryText = "summary" + junk
	x.Categories = []string{"cat" + junk}
	x.Authors = []source.Author{{Name: "Ann" + junk, Email: "ann@example.org" + junk}, {Name: "Bob\x00"}}
	x.Language = "de" + junk
	site := testSite()
	site.Title += junk
	site.Description += junk
	site.Author += junk
	plan, snap := mustBuild(t, site, Options{Limit: 5}, []*source.Post{x})
	for _, f := range plan.Feeds {
		if strings.ContainsAny(f.Name, "\x00\x01\u0085\ufffe") {
			t.Errorf("feed name %q keeps control characters", f.Name)
		}
	}
	for _, path := range snap.Paths {
		body := snap.Docs[path].Body
		if strings.HasSuffix(path, ".json") {
			checkChars(t, path, body)
			var v any
			if err := json.Unmarshal(body, &v); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if bytes.Contains(body, []byte(`\u00`)) {
				t.Errorf("%s: JSON escapes a control character:\n%s", path, body)
			}
		} else {
			checkXML(t, path, body)
		}
		if _, err := gofeed.NewParser().Parse(bytes.NewReader(body)); err != nil {
			t.Errorf("%s: gofeed: %v", path, err)
		}
	}
	af, err := (&atom.Parser{}).Parse(bytes.NewReader(snap.Docs["feed.atom"].Body))
	if err != nil {
		t.Fatal(err)
	}
	e := af.Entries[0]
	if e.Title != "Title…Ÿ(end" {
		t.Errorf("title = %q, want controls and invalid UTF-8 dropped, C1 mapped", e.Title)
	}
	wantContent := "<p>content…Ÿ&#xFFFD;&#xFFFD;(&#xFFFD;</p>"
	if e.Content.Value != wantContent {
		t.Errorf("content = %q, want %q", e.Content.Value, wantContent)
	}
	rf, err := (&rss.Parser{}).Parse(bytes.NewReader(snap.Docs["feed.rss"].Body))
	if err != nil {
		t.Fatal(err)
	}
	if got := rf.Items[0].Content; got != wantContent {
		t.Errorf("RSS content = %q, want %q", got, wantContent)
	}
}

func TestEmptyFeed(t *testing.T) {
	plan, snap := mustBuild(t, testSite(), Options{Limit: 10}, nil)
	if len(plan.Feeds) != 1 || len(plan.Needed) != 0 {
		t.Fatalf("feeds %d, needed %d; want the site feed alone", len(plan.Feeds), len(plan.Needed))
	}
	if got, want := snap.Paths, []string{"feed.atom", "feed.json", "feed.rss"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("paths %q, want %q", got, want)
	}
	for _, path := range snap.Paths {
		body := snap.Docs[path].Body
		if path != "feed.json" {
			checkXML(t, path, body)
		}
		if m := snap.Docs[path].Modified; !m.IsZero() {
			t.Errorf("%s: Modified %v, want zero for a feed without items", path, m)
		}
		f, err := gofeed.NewParser().Parse(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("%s: %v\n%s", path, err, body)
		}
		if len(f.Items) != 0 || f.Title != "Example Blog" {
			t.Errorf("%s: %d items, title %q", path, len(f.Items), f.Title)
		}
	}
	// Atom requires <updated> even without entries; JSON needs "items".
	if !bytes.Contains(snap.Docs["feed.atom"].Body, []byte("<updated>1970-01-01T00:00:00Z</updated>")) {
		t.Errorf("empty Atom feed has no fixed <updated>:\n%s", snap.Docs["feed.atom"].Body)
	}
	if !bytes.Contains(snap.Docs["feed.json"].Body, []byte(`"items":[]`)) {
		t.Errorf("empty JSON feed has no items array:\n%s", snap.Docs["feed.json"].Body)
	}
}

func TestFeedAuthorWhenPostsHaveNone(t *testing.T) {
	for _, tc := range []struct{ siteAuthor, want string }{
		{"Site Owner", "Site Owner"},
		{"", "Example Blog"}, // a feed without any author is invalid Atom
	} {
		site := testSite()
		site.Author = tc.siteAuthor
		x := simplePost("a.md", t0)
		x.Authors = nil
		_, snap := mustBuild(t, site, Options{Limit: 5}, []*source.Post{x})
		af, err := (&atom.Parser{}).Parse(bytes.NewReader(snap.Docs["feed.atom"].Body))
		if err != nil {
			t.Fatal(err)
		}
		if len(af.Authors) != 1 || af.Authors[0].Name != tc.want {
			t.Errorf("site author %q: feed authors %v, want %q", tc.siteAuthor, af.Authors, tc.want)
		}
		if len(af.Entries[0].Authors) != 0 {
			t.Errorf("entry authors %v, want none", af.Entries[0].Authors)
		}
		jb := snap.Docs["feed.json"].Body
		if has := bytes.Contains(jb, []byte(`"authors"`)); has != (tc.siteAuthor != "") {
			t.Errorf("site author %q: JSON authors present = %v:\n%s", tc.siteAuthor, has, jb)
		}
	}
}

func TestAuthorEmails(t *testing.T) {
	for _, tc := range []struct{ email, want string }{
		{"jane@example.org", "jane@example.org"},
		{" jane@example.org ", "jane@example.org"},
		{"Jane <jane@example.org>", ""},
		{"jane at example dot org", ""},
		{"jane@", ""},
	} {
		x := simplePost("a.md", t0)
		x.Authors = []source.Author{{Name: "Jane", Email: tc.email}}
		_, snap := mustBuild(t, testSite(), Options{Limit: 5}, []*source.Post{x})
		rf, _ := (&rss.Parser{}).Parse(bytes.NewReader(snap.Docs["feed.rss"].Body))
		af, _ := (&atom.Parser{}).Parse(bytes.NewReader(snap.Docs["feed.atom"].Body))
		wantRSS := "Jane"
		if tc.want != "" {
			wantRSS = tc.want + " (Jane)"
		}
		gotRSS := rf.Items[0].Author
		if rf.Items[0].DublinCoreExt != nil {
			gotRSS += strings.Join(rf.Items[0].DublinCoreExt.Creator, ",")
		}
		if gotRSS != wantRSS {
			t.Errorf("e-mail %q: RSS author/dc:creator %q, want %q", tc.email, gotRSS, wantRSS)
		}
		if got := af.Entries[0].Authors[0].Email; got != tc.want {
			t.Errorf("e-mail %q: Atom email %q, want %q", tc.email, got, tc.want)
		}
	}
}

func TestAuthorsWithoutNames(t *testing.T) {
	x := simplePost("a.md", t0)
	x.Authors = []source.Author{{Email: "only@example.org"}, {}, {Name: "Named", URL: "/relative/"}}
	_, snap := mustBuild(t, testSite(), Options{Limit: 5}, []*source.Post{x})
	atomBody := string(snap.Docs["feed.atom"].Body)
	if strings.Contains(atomBody, "<author></author>") || strings.Count(atomBody, "<author>") != 3 {
		t.Errorf("want the feed author and two entry authors, each with a name:\n%s", atomBody)
	}
	if !strings.Contains(atomBody, "<name>only@example.org</name>") {
		t.Errorf("an author known by e-mail alone is not named by it:\n%s", atomBody)
	}
	if strings.Contains(atomBody, "/relative/") {
		t.Errorf("relative author URI written:\n%s", atomBody)
	}
	jsonBody := string(snap.Docs["feed.json"].Body)
	if strings.Contains(jsonBody, "{}") || strings.Contains(jsonBody, "/relative/") {
		t.Errorf("JSON author without name or URL, or relative URL:\n%s", jsonBody)
	}
	rssBody := string(snap.Docs["feed.rss"].Body)
	if strings.Contains(rssBody, "<author>") || strings.Contains(rssBody, "()") {
		t.Errorf("RSS <author> for one of several authors:\n%s", rssBody)
	}
}

// TestPlainTextSummary checks that a summary known only as plain text is
// escaped where a format carries HTML, and stays plain in JSON's summary.
func TestPlainTextSummary(t *testing.T) {
	x := simplePost("a.md", t0)
	x.SummaryHTML = ""
	x.SummaryText = `Fish & chips <b>not bold</b>`
	x.ContentHTML = "<p>Body</p>"
	_, snap := mustBuild(t, testSite(), Options{Limit: 5}, []*source.Post{x})
	want := "<p>Fish &amp; chips &lt;b&gt;not bold&lt;/b&gt;</p>"
	rf, _ := (&rss.Parser{}).Parse(bytes.NewReader(snap.Docs["feed.rss"].Body))
	if got := rf.Items[0].Description; got != want {
		t.Errorf("RSS description %q, want %q", got, want)
	}
	af, _ := (&atom.Parser{}).Parse(bytes.NewReader(snap.Docs["feed.atom"].Body))
	if got := af.Entries[0].Summary; got != want {
		t.Errorf("Atom summary %q, want %q", got, want)
	}
	jf, _ := gofeed.NewParser().Parse(bytes.NewReader(snap.Docs["feed.json"].Body))
	if got := jf.Items[0].Description; got != x.SummaryText {
		t.Errorf("JSON summary %q, want %q", got, x.SummaryText)
	}

	// Only HTML: JSON's plain summary is its text.
	x.SummaryHTML, x.SummaryText = "<p>Fish &amp; <em>chips</em></p>\n<p>and peas</p>", ""
	_, snap = mustBuild(t, testSite(), Options{Limit: 5}, []*source.Post{x})
	jf, _ = gofeed.NewParser().Parse(bytes.NewReader(snap.Docs["feed.json"].Body))
	if got, want := jf.Items[0].Description, "Fish & chips and peas"; got != want {
		t.Errorf("JSON summary from HTML %q, want %q", got, want)
	}

	// Neither: the title stands in, so no item is without a description.
	x.SummaryHTML, x.SummaryText, x.Title = "", "", "Title & more"
	_, snap = mustBuild(t, testSite(), Options{Limit: 5}, []*source.Post{x})
	rf, _ = (&rss.Parser{}).Parse(bytes.NewReader(snap.Docs["feed.rss"].Body))
	if got, want := rf.Items[0].Description, "<p>Title &amp; more</p>"; got != want {
		t.Errorf("RSS description from title %q, want %q", got, want)
	}
}

func TestDuplicateIDs(t *testing.T) {
	a := simplePost("en/post.md", t0)
	b := simplePost("fr/post.md", t0.Add(time.Hour)) // a translation claiming a's link
	b.Link, b.ID = a.Link, a.ID
	c := simplePost("copy/post.md", t0.Add(2*time.Hour))
	c.Link, c.ID = a.Link, a.ID
	other := simplePost("other.md", t0.Add(-time.Hour))
	posts := []*source.Post{c, b, a, other}

	plan, snap := mustBuild(t, testSite(), Options{Limit: 10}, posts)
	if got := plan.IDs[a]; got != a.ID {
		t.Errorf("the earliest post's id = %q, want %q", got, a.ID)
	}
	seen := map[string]bool{}
	for _, x := range posts {
		id := plan.IDs[x]
		if id == "" || seen[id] {
			t.Errorf("%s: id %q empty or repeated", x.Path, id)
		}
		seen[id] = true
	}
	if len(plan.Notices) != 2 {
		t.Errorf("notices %v, want one per extra claimant", plan.Notices)
	}
	for _, n := range plan.Notices {
		if n.Path != "fr/post.md" && n.Path != "copy/post.md" || !strings.Contains(n.Message, "same id") {
			t.Errorf("notice %q", n)
		}
	}
	for _, path := range snap.Paths {
		f, err := gofeed.NewParser().Parse(bytes.NewReader(snap.Docs[path].Body))
		if err != nil {
			t.Fatal(err)
		}
		if len(f.Items) != 4 {
			t.Errorf("%s: %d items, want all 4 published", path, len(f.Items))
		}
		guids := map[string]bool{}
		for _, it := range f.Items {
			if guids[it.GUID] {
				t.Errorf("%s: id %q repeated", path, it.GUID)
			}
			guids[it.GUID] = true
		}
	}
	// RSS: the ids that are not the link are no permalinks.
	rf, _ := (&rss.Parser{}).Parse(bytes.NewReader(snap.Docs["feed.rss"].Body))
	for _, it := range rf.Items {
		if want := fmt.Sprint(it.GUID.Value == it.Link); it.GUID.IsPermalink != want {
			t.Errorf("guid %s isPermaLink=%s, want %s", it.GUID.Value, it.GUID.IsPermalink, want)
		}
	}

	// Stable: another order, another build, the same ids.
	again := mustPlan(t, testSite(), Options{Limit: 10}, []*source.Post{a, other, b, c})
	if got, want := ids(again, posts), ids(plan, posts); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ids changed with input order: %q, then %q", want, got)
	}
}

func TestDuplicateIDsWithoutPaths(t *testing.T) {
	// Posts built in code may have no path; they still get distinct ids,
	// even when one's own id looks like another's generated one.
	a := simplePost("x.md", t0)
	b := simplePost("y.md", t0.Add(time.Hour))
	c := simplePost("z.md", t0.Add(2*time.Hour))
	a.Path, b.Path, c.Path = "", "", ""
	b.ID, b.Link = a.ID, a.Link
	c.ID, c.Link = a.ID, a.Link
	d := simplePost("w.md", t0.Add(3*time.Hour))
	plan := mustPlan(t, testSite(), Options{Limit: 10}, []*source.Post{a, b, c, d})
	d2 := simplePost("w.md", t0.Add(3*time.Hour))
	d2.ID = plan.IDs[b] // a post whose own id is b's generated one
	plan = mustPlan(t, testSite(), Options{Limit: 10}, []*source.Post{a, b, c, d2})
	seen := map[string]bool{}
	for _, x := range []*source.Post{a, b, c, d2} {
		if id := plan.IDs[x]; seen[id] {
			t.Errorf("id %q repeated: %q", id, ids(plan, []*source.Post{a, b, c, d2}))
		} else {
			seen[id] = true
		}
	}
	if plan.IDs[d2] != d2.ID {
		t.Errorf("a post's own unique id was changed to %q", plan.IDs[d2])
	}
}

func TestMissingIDUsesLink(t *testing.T) {
	x := simplePost("a.md", t0)
	x.ID = ""
	y := simplePost("b.md", t0)
	y.ID = ""
	plan := mustPlan(t, testSite(), Options{Limit: 10}, []*source.Post{x, y})
	if plan.IDs[x] != x.Link || plan.IDs[y] != y.Link {
		t.Errorf("ids %q, want the links", ids(plan, []*source.Post{x, y}))
	}
	for _, link := range []string{"", "/relative/", "mailto:x@example.org", "example.org/x"} {
		z := simplePost("c.md", t0)
		z.Link = link
		plan = mustPlan(t, testSite(), Options{Limit: 10}, []*source.Post{x, z})
		if len(plan.Needed) != 1 || len(plan.Notices) != 1 || plan.Notices[0].Path != "c.md" {
			t.Errorf("a post with link %q: needed %q, notices %v", link, paths(plan.Needed), plan.Notices)
		}
	}
	// An id that is no absolute URI cannot be an Atom id: the link is used.
	for _, id := range []string{"42", "my post", "/relative/"} {
		z := simplePost("c.md", t0)
		z.ID = id
		plan = mustPlan(t, testSite(), Options{Limit: 10}, []*source.Post{z})
		if plan.IDs[z] != z.Link || len(plan.Notices) != 1 {
			t.Errorf("id %q: used %q, notices %v", id, plan.IDs[z], plan.Notices)
		}
	}
	for _, id := range []string{"tag:example.org,2024:x", "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66", "https://example.org/?p=42"} {
		z := simplePost("c.md", t0)
		z.ID = id
		if plan = mustPlan(t, testSite(), Options{Limit: 10}, []*source.Post{z}); plan.IDs[z] != id {
			t.Errorf("id %q replaced by %q", id, plan.IDs[z])
		}
	}
}

// TestLimitTieBreak gives five posts one publication time: whatever the
// input order, the limit keeps the same three, ordered by path.
func TestLimitTieBreak(t *testing.T) {
	var posts []*source.Post
	for _, name := range []string{"e.md", "c.md", "a.md", "d.md", "b.md"} {
		posts = append(posts, simplePost(name, t0, "tie"))
	}
	newer := simplePost("z-newest.md", t0.Add(time.Minute), "tie")
	older := simplePost("0-oldest.md", t0.Add(-time.Minute), "tie")
	posts = append(posts, older, newer)
	want := "[z-newest.md a.md b.md]"
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20; i++ {
		rng.Shuffle(len(posts), func(i, j int) { posts[i], posts[j] = posts[j], posts[i] })
		plan := mustPlan(t, testSite(), Options{Limit: 3}, posts)
		for _, f := range plan.Feeds {
			if got := fmt.Sprint(paths(f.Posts)); got != want {
				t.Fatalf("feed %q lists %s, want %s", f.Dir(), got, want)
			}
		}
		if got := fmt.Sprint(paths(plan.Needed)); got != want {
			t.Fatalf("needed %s, want %s", got, want)
		}
	}
}

func TestTagFeedsNewestFirst(t *testing.T) {
	var posts []*source.Post
	for i := range 10 {
		tags := []string{"all"}
		if i%2 == 0 {
			tags = append(tags, "Even")
		}
		if i%3 == 0 {
			tags = append(tags, "three", "THREE") // one tag, named twice
		}
		posts = append(posts, simplePost(fmt.Sprintf("p%02d.md", i), t0.Add(time.Duration(i)*time.Hour), tags...))
	}
	plan := mustPlan(t, testSite(), Options{Limit: 3}, posts)
	for _, tc := range []struct{ dir, want string }{
		{"", "[p09.md p08.md p07.md]"},
		{"tags/all/", "[p09.md p08.md p07.md]"},
		{"tags/even/", "[p08.md p06.md p04.md]"},
		{"tags/three/", "[p09.md p06.md p03.md]"},
	} {
		f := feedByPath(t, plan, tc.dir)
		if got := fmt.Sprint(paths(f.Posts)); got != tc.want {
			t.Errorf("%q lists %s, want %s", tc.dir, got, tc.want)
		}
	}
	if n := len(plan.Feeds); n != 4 {
		t.Errorf("%d feeds, want 4", n)
	}
	if got := feedByPath(t, plan, "tags/even/").Name; got != "Even" {
		t.Errorf("tag name %q, want Even", got)
	}
	// Needed: every listed post once, newest first.
	if got, want := fmt.Sprint(paths(plan.Needed)), "[p09.md p08.md p07.md p06.md p04.md p03.md]"; got != want {
		t.Errorf("needed %s, want %s", got, want)
	}
}

func TestDraftsAndPagesLeftOut(t *testing.T) {
	a, d, pg := simplePost("a.md", t0), simplePost("draft.md", t0), simplePost("page.md", t0)
	d.Draft, pg.Page = true, true
	plan := mustPlan(t, testSite(), Options{Limit: 10}, []*source.Post{a, d, pg})
	if got := fmt.Sprint(paths(plan.Needed)); got != "[a.md]" {
		t.Errorf("needed %s", got)
	}
}

func TestUpdatedNeverBeforePublished(t *testing.T) {
	x := simplePost("a.md", t0)
	x.Updated = t0.Add(-time.Hour)
	y := simplePost("b.md", t0.Add(-time.Hour))
	y.Updated = time.Time{}
	_, snap := mustBuild(t, testSite(), Options{Limit: 5}, []*source.Post{x, y})
	af, _ := (&atom.Parser{}).Parse(bytes.NewReader(snap.Docs["feed.atom"].Body))
	for i, want := range []time.Time{t0, t0.Add(-time.Hour)} {
		if e := af.Entries[i]; !e.UpdatedParsed.Equal(want) {
			t.Errorf("entry %d updated %v, want %v", i, e.UpdatedParsed, want)
		}
	}
	if !snap.Docs["feed.atom"].Modified.Equal(t0) {
		t.Errorf("feed modified %v, want %v", snap.Docs["feed.atom"].Modified, t0)
	}
}

func TestPlanErrors(t *testing.T) {
	good := testSite()
	for _, tc := range []struct {
		name string
		site func(Site) Site
		opts Options
		want string
	}{
		{"zero limit", nil, Options{}, "limit"},
		{"negative limit", nil, Options{Limit: -1}, "limit"},
		{"unknown format", nil, Options{Limit: 1, Formats: []Format{"xml"}}, "xml"},
		{"relative site url", func(s Site) Site { s.URL = "/blog/"; return s }, Options{Limit: 1}, "site url"},
		{"no feeds url", func(s Site) Site { s.FeedsURL = ""; return s }, Options{Limit: 1}, "feeds url"},
		{"relative tag url", func(s Site) Site { s.TagURL = "/tags/:slug/"; return s }, Options{Limit: 1}, "tag url"},
		{"relative category url", func(s Site) Site { s.CategoryURL = "categories/:slug"; return s }, Options{Limit: 1}, "category url"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			site := good
			if tc.site != nil {
				site = tc.site(site)
			}
			_, err := NewPlan(site, tc.opts, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one naming %q", err, tc.want)
			}
		})
	}
}

func TestFormatsSubset(t *testing.T) {
	_, snap := mustBuild(t, testSite(), Options{Limit: 5, Formats: []Format{JSON, RSS, JSON}}, []*source.Post{simplePost("a.md", t0, "x")})
	if got, want := fmt.Sprint(snap.Paths), "[feed.json feed.rss tags/x/feed.json tags/x/feed.rss]"; got != want {
		t.Errorf("paths %s, want %s", got, want)
	}
}

func TestSiteTitleDefault(t *testing.T) {
	site := testSite()
	site.Title = ""
	_, snap := mustBuild(t, site, Options{Limit: 5}, nil)
	f, err := gofeed.NewParser().Parse(bytes.NewReader(snap.Docs["feed.rss"].Body))
	if err != nil || f.Title != "example.org" {
		t.Errorf("title %q (%v), want the site's host", f.Title, err)
	}
}

func TestBuildRequiresRendered(t *testing.T) {
	x := simplePost("a.md", t0)
	x.ContentHTML, x.SummaryHTML = "", ""
	plan := mustPlan(t, testSite(), Options{Limit: 5}, []*source.Post{x})
	if _, err := plan.Build(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "a.md") {
		t.Errorf("error %v, want one naming the unrendered post", err)
	}
}

func TestBuildCancelled(t *testing.T) {
	plan := mustPlan(t, testSite(), Options{Limit: 5}, []*source.Post{simplePost("a.md", t0)})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := plan.Build(ctx, nil); err == nil {
		t.Error("Build with a cancelled context succeeded")
	}
}

// TestDeterminism builds the fixtures twice, from shuffled input, and
// wants the same bytes and ETags.
func TestDeterminism(t *testing.T) {
	posts := fixturePosts()
	for i := range 10 {
		posts = append(posts, simplePost(fmt.Sprintf("extra/%d.md", i), t0.Add(-time.Duration(i%3)*time.Hour), "Go", "c#", "C++", "c"))
	}
	plan1, s1 := mustBuild(t, testSite(), Options{Limit: 4}, posts)
	shuffled := append([]*source.Post(nil), posts...)
	rand.New(rand.NewPCG(3, 4)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	plan2, s2 := mustBuild(t, testSite(), Options{Limit: 4}, shuffled)
	if fmt.Sprint(s1.Paths) != fmt.Sprint(s2.Paths) {
		t.Fatalf("paths differ:\n%q\n%q", s1.Paths, s2.Paths)
	}
	for _, p := range s1.Paths {
		d1, d2 := s1.Docs[p], s2.Docs[p]
		if !bytes.Equal(d1.Body, d2.Body) || d1.ETag != d2.ETag || !d1.Modified.Equal(d2.Modified) {
			t.Errorf("%s differs between builds", p)
		}
		if !strings.HasPrefix(d1.ETag, `"`) || !strings.HasSuffix(d1.ETag, `"`) || len(d1.ETag) < 10 {
			t.Errorf("%s: ETag %s is not a quoted strong validator", p, d1.ETag)
		}
	}
	if fmt.Sprint(plan1.Notices) != fmt.Sprint(plan2.Notices) {
		t.Errorf("notices differ:\n%v\n%v", plan1.Notices, plan2.Notices)
	}
	etags := map[string]string{}
	for _, p := range s1.Paths {
		if q, ok := etags[s1.Docs[p].ETag]; ok {
			t.Errorf("%s and %s share an ETag", p, q)
		}
		etags[s1.Docs[p].ETag] = p
	}
}

// TestTitlesArePlainText: markup and character references that exports
// leave in titles are reduced to text; plain text that merely looks
// like markup is kept as written.
func TestTitlesArePlainText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"<em>Go</em> &amp; feeds &#8211; part&nbsp;2", "Go & feeds – part 2"},
		{"Tom &amp; Jerry", "Tom & Jerry"},
		{"Why <b>bold</b>?", "Why bold?"},
		{"Why <div> is a block", "Why <div> is a block"},
		{"a < b && c > d", "a < b && c > d"},
		{"AT&T; R&D", "AT&T; R&D"},
		{"Closing </notatag> stays", "Closing </notatag> stays"},
		{"<br/>", "<br/>"},
	} {
		x := simplePost("a.md", t0)
		x.Title = tc.in
		_, snap := mustBuild(t, testSite(), Options{Limit: 5}, []*source.Post{x})
		for _, p := range []string{"feed.rss", "feed.atom", "feed.json"} {
			f, err := gofeed.NewParser().Parse(bytes.NewReader(snap.Docs[p].Body))
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Items[0].Title; got != tc.want {
				t.Errorf("%s: title %q became %q, want %q", p, tc.in, got, tc.want)
			}
		}
	}
}
