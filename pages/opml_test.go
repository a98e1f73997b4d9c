package pages

import (
	"encoding/xml"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/syndicate/syndicate/feedgen"
)

type opmlDoc struct {
	XMLName  xml.Name `xml:"opml"`
	Version  string   `xml:"version,attr"`
	Title    string   `xml:"head>title"`
	Modified string   `xml:"head>dateModified"`
	Outlines []struct {
		Text     string `xml:"text,attr"`
		Type     string `xml:"type,attr"`
		XMLURL   string `xml:"xmlUrl,attr"`
		HTMLURL  string `xml:"htmlUrl,attr"`
		Version  string `xml:"version,attr"`
		Title    string `xml:"title,attr"`
		Outlines []struct {
			Text    string `xml:"text,attr"`
			Title   string `xml:"title,attr"`
			Type    string `xml:"type,attr"`
			XMLURL  string `xml:"xmlUrl,attr"`
			HTMLURL string `xml:"htmlUrl,attr"`
			Version string `xml:"version,attr"`
		} `xml:"outline"`
	} `xml:"body>outline"`
}

func TestOPML(t *testing.T) {
	d := build(t, newPlan(t, testPosts()), nil)[OPMLName]
	if d.ContentType != "text/x-opml; charset=utf-8" {
		t.Errorf("content type %q", d.ContentType)
	}
	var o opmlDoc
	dec := xml.NewDecoder(strings.NewReader(string(d.Body)))
	dec.Strict = true
	if err := dec.Decode(&o); err != nil {
		t.Fatal(err)
	}
	if o.Version != "2.0" || o.Title != "Feeds of Example Blog" {
		t.Errorf("version %q, title %q", o.Version, o.Title)
	}
	if m, err := time.Parse(http.TimeFormat, o.Modified); err != nil || !m.Equal(t0.Add(3*time.Hour)) {
		t.Errorf("dateModified %q: %v", o.Modified, err)
	}
	if len(o.Outlines) != 3 {
		t.Fatalf("%d top outlines, want the site's and two folders", len(o.Outlines))
	}
	site := o.Outlines[0]
	if site.Type != "rss" || site.XMLURL != "https://example.org/feeds/feed.rss" || site.HTMLURL != "https://example.org/" || site.Version != "RSS2" || site.Text != "Example Blog" {
		t.Errorf("site outline %+v", site)
	}
	tags, cats := o.Outlines[1], o.Outlines[2]
	if tags.Text != "Tags" || len(tags.Outlines) != 5 || cats.Text != "Categories" || len(cats.Outlines) != 1 {
		t.Fatalf("folders %q (%d), %q (%d)", tags.Text, len(tags.Outlines), cats.Text, len(cats.Outlines))
	}
	var got []string
	for _, x := range tags.Outlines {
		if x.Type != "rss" || x.Version != "RSS2" || x.Text != x.Title {
			t.Errorf("outline %+v", x)
		}
		got = append(got, x.Title+" "+x.XMLURL+" "+x.HTMLURL)
	}
	want := "Example Blog – tag: C https://example.org/feeds/tags/c/feed.rss https://example.org/tags/c/\n" +
		"Example Blog – tag: C++ https://example.org/feeds/tags/c-cedb1bac/feed.rss https://example.org/tags/c-cedb1bac/\n" +
		"Example Blog – tag: Feeds https://example.org/feeds/tags/feeds/feed.rss https://example.org/tags/feeds/\n" +
		"Example Blog – tag: Go https://example.org/feeds/tags/go/feed.rss https://example.org/tags/go/\n" +
		"Example Blog – tag: 日本語 https://example.org/feeds/tags/%E6%97%A5%E6%9C%AC%E8%AA%9E/feed.rss https://example.org/tags/%E6%97%A5%E6%9C%AC%E8%AA%9E/"
	if strings.Join(got, "\n") != want {
		t.Errorf("tag outlines\n%s\nwant\n%s", strings.Join(got, "\n"), want)
	}
	// Atom first: every outline is the Atom feed.
	d = build(t, newPlan(t, testPosts(), feedgen.Atom, feedgen.RSS), nil)[OPMLName]
	if !strings.Contains(string(d.Body), `xmlUrl="https://example.org/feeds/tags/go/feed.atom" htmlUrl="https://example.org/tags/go/" version="Atom"`) {
		t.Errorf("atom-first OPML:\n%s", d.Body)
	}
}

// TestOPMLListparser: a reader's OPML importer reads every feed, hostile
// names included (Debian's python3-listparser, installed by .ci/run).
func TestOPMLListparser(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import listparser").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("python3-listparser missing in CI (.ci/run installs it)")
		}
		t.Skip("python3-listparser missing (.ci/run installs it)")
	}
	for name, docs := range map[string]map[string]*feedgen.Document{
		"plain":   build(t, newPlan(t, testPosts()), nil),
		"hostile": hostileDocs(t),
	} {
		var o opmlDoc
		if err := xml.Unmarshal(docs[OPMLName].Body, &o); err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, x := range o.Outlines {
			if x.XMLURL != "" {
				want = append(want, x.XMLURL)
			}
			for _, y := range x.Outlines {
				want = append(want, y.XMLURL)
			}
		}
		f := filepath.Join(t.TempDir(), "feeds.opml")
		if err := os.WriteFile(f, docs[OPMLName].Body, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(py, "-c", `
import sys, listparser
r = listparser.parse(open(sys.argv[1], encoding="utf-8").read())
if r.bozo:
    sys.exit("bozo: %s" % r.bozo_exception)
for f in r.feeds:
    print(f.url)
`, f).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: listparser: %v\n%s", name, err, out)
		}
		got := strings.Fields(string(out))
		if len(got) != len(want) || len(got) < 6 {
			t.Fatalf("%s: listparser read %d feeds, the file lists %d", name, len(got), len(want))
		}
		in := map[string]bool{}
		for _, u := range got {
			in[u] = true
		}
		for _, u := range want {
			if !in[u] {
				t.Errorf("%s: listparser lacks %s", name, u)
			}
		}
	}
}
