package feedgen

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/atom"
	"github.com/mmcdole/gofeed/rss"

	"github.com/syndicate/syndicate/feedtext"
	"github.com/syndicate/syndicate/source"
)

var plainURLCases = []string{
	"https://example.org/", "http://example.org", "https://example.org:8080/a/b?c=d#e", "https://example.org/2024/01/x/",
	"https://", "http:///x", "https://exa mple.org/", "https://example.org/a b", "https://example.org/%41",
	"https://example.org:/x", "https://example.org:1234567/", "https://[::1]/", "https://user@example.org/",
	"https://example.org/ü", "HTTPS://example.org/", "https://example.org\\x", "ftp://example.org/",
	"https://-.-/", "https://example.org:80x/", "https://example.org?q", "https://example.org#f",
}

// TestPlainHTTPURL: whatever the fast path accepts, the general checks
// accept too, and unchanged.
func TestPlainHTTPURL(t *testing.T) {
	accepted := 0
	for _, s := range plainURLCases {
		if plainHTTPURL(s) {
			accepted++
			checkPlainHTTPURL(t, s)
		}
	}
	if accepted < 5 || accepted == len(plainURLCases) {
		t.Errorf("%d of %d accepted; the list should hold both kinds", accepted, len(plainURLCases))
	}
}

func FuzzPlainHTTPURL(f *testing.F) {
	for _, s := range plainURLCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if plainHTTPURL(s) {
			checkPlainHTTPURL(t, s)
		}
	})
}

func checkPlainHTTPURL(t *testing.T, s string) {
	t.Helper()
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Host == "" || u.Scheme != "http" && u.Scheme != "https" {
		t.Errorf("plainHTTPURL(%q) but url.Parse gives %v, %v", s, u, err)
		return
	}
	if feedtext.Plain(strings.TrimSpace(s)) != s || strings.ContainsAny(s, " \t\n<>\"") {
		t.Errorf("plainHTTPURL(%q) but it needs cleaning", s)
	}
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

// TestAuthorEmails: an address whose author makes it public is written
// only when it is a bare address.
func TestAuthorEmails(t *testing.T) {
	site := testSite()
	site.Authors = mustAuthors(t, map[string]Author{"Jane": {EmailPublic: true}})
	for _, tc := range []struct{ email, want string }{
		{"jane@example.org", "jane@example.org"},
		{" jane@example.org ", "jane@example.org"},
		{"Jane <jane@example.org>", ""},
		{"jane at example dot org", ""},
		{"jane@", ""},
	} {
		x := simplePost("a.md", t0)
		x.Authors = []source.Author{{Name: "Jane", Email: tc.email}}
		_, snap := mustBuild(t, site, Options{Limit: 5}, []*source.Post{x})
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
	if strings.Contains(atomBody, "<author></author>") || strings.Count(atomBody, "<author>") != 2 {
		t.Errorf("want the feed author and one entry author, each with a name:\n%s", atomBody)
	}
	if strings.Contains(atomBody, "only@example.org") {
		t.Errorf("an author known by e-mail alone is named by it:\n%s", atomBody)
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

// TestItemIDs: an id is an absolute URI of the schemes ids are made of;
// any other is refused, and the plan uses the link, with a notice naming
// the post.
func TestItemIDs(t *testing.T) {
	for _, c := range []struct {
		id string
		ok bool
	}{
		{"https://example.org/p/", true},
		{"http://example.org/p/", true},
		{"tag:example.org,2024:p", true},
		{"urn:uuid:6f9619ff-8b86-d011-b42d-00c04fc964ff", true},
		{"javascript:alert(11)", false},
		{"JavaScript:alert(11)", false},
		{"data:text/html,<b>", false},
		{"vbscript:msgbox(1)", false},
		{"file:///etc/passwd", false},
		{"mailto:a@example.org", false},
		{"https:///no-host", false},
		{"urn:", false},
		{"relative/path", false},
	} {
		t.Run(c.id, func(t *testing.T) {
			if got := isAbsoluteURI(c.id); got != c.ok {
				t.Errorf("isAbsoluteURI(%q) = %v, want %v", c.id, got, c.ok)
			}
			x := simplePost("p.md", t0)
			x.ID = c.id
			plan := mustPlan(t, testSite(), Options{Limit: 5}, []*source.Post{x})
			want := x.Link
			if c.ok {
				want = c.id
			}
			if got := plan.IDs[x]; got != want {
				t.Errorf("id %q, want %q", got, want)
			}
			noticed := false
			for _, n := range plan.Notices {
				noticed = noticed || n.Path == "p.md" && strings.Contains(n.Message, "not an absolute URI")
			}
			if noticed == c.ok {
				t.Errorf("notice given: %v, want %v (%v)", noticed, !c.ok, plan.Notices)
			}
		})
	}
}

// TestLanguages: a language that is not a BCP 47 tag is left out of every
// format, the site's and a post's alike; a tag is written in its
// canonical form.
func TestLanguages(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"en-US", "en-US"},
		{"en_gb", "en-GB"},
		{"DE", "de"},
		{"", ""},
		{`en"><x/>`, ""},
		{"english please", ""},
		{"en-", ""},
	} {
		t.Run(c.in, func(t *testing.T) {
			if got := languageTag(c.in); got != c.want {
				t.Errorf("languageTag(%q) = %q, want %q", c.in, got, c.want)
			}
			site := testSite()
			site.Language = c.in
			x := simplePost("p.md", t0)
			x.Language = c.in
			_, snap := mustBuild(t, site, Options{Limit: 5}, []*source.Post{x})
			for _, path := range snap.Paths {
				body := string(snap.Docs[path].Body)
				if strings.Contains(body, "<x/>") || strings.Contains(body, "&lt;x/&gt;") || strings.Contains(body, `\u003cx/\u003e`) {
					t.Errorf("%s holds the bad language:\n%s", path, body)
				}
				has := strings.Contains(body, `<language>`+c.want+`</language>`) ||
					strings.Contains(body, `xml:lang="`+c.want+`"`) || strings.Contains(body, `"language":"`+c.want+`"`)
				if has != (c.want != "") {
					t.Errorf("%s: language %q written: %v, want %v", path, c.want, has, c.want != "")
				}
			}
		})
	}
}
