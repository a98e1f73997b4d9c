package pages

import (
	"bytes"
	"fmt"
	"html/template"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/syndicate/syndicate/feedgen"
	"github.com/syndicate/syndicate/feedtext"
)

// formatNames are the formats as people know them.
var formatNames = map[feedgen.Format]string{feedgen.RSS: "RSS", feedgen.Atom: "Atom", feedgen.JSON: "JSON Feed"}

// mediaTypes are the types of autodiscovery links, without parameters.
var mediaTypes = map[feedgen.Format]string{
	feedgen.RSS:  "application/rss+xml",
	feedgen.Atom: "application/atom+xml",
	feedgen.JSON: "application/feed+json",
}

// readers are feed readers' public subscribe addresses, each followed by
// the feed's URL, query-escaped.
var readers = []struct{ name, prefix string }{
	{"Feedly", "https://feedly.com/i/subscription/feed%2F"},
	{"Inoreader", "https://www.inoreader.com/?add_feed="},
	{"NewsBlur", "https://www.newsblur.com/?url="},
	{"The Old Reader", "https://theoldreader.com/feeds/subscribe?url="},
}

// whatIsAFeed is the one sentence that tells a person what this is about.
const whatIsAFeed = "A feed is a web address that a feed reader app checks for new posts, so you can follow a site without visiting it or giving anyone your e-mail address."

// Media types are written as attributes of their own (typeAttr), since
// html/template would write their "+" as "&#43;", which is right but
// defeats the string matching some feed finders do.
type formatLink struct {
	// ID tells the format's elements apart within a page.
	Name, URL, Href, ID string
	Type                template.HTMLAttr
}

// altLink is an autodiscovery link; Href is relative to the page, URL
// absolute.
type altLink struct {
	Title, Href, URL string
	Type             template.HTMLAttr
}

// typeAttr is the type attribute of a media type, one of mediaTypes'
// constants (nothing from input).
func typeAttr(t string) template.HTMLAttr { return template.HTMLAttr(`type="` + t + `"`) }

type readerLink struct {
	Name, URL string
}

type feedRow struct {
	Name, Key, Href string
	Count           int
	Updated         time.Time
	Formats         []formatLink
}

type letter struct {
	// Label names the section among every section of the page.
	Letter, ID, Label string
	Rows              []feedRow
	// RowsHTML is Rows written by execute.
	RowsHTML template.HTML
}

type section struct {
	Title, ID string
	Count     int
	Letters   []letter
}

type item struct {
	Title, Link, Summary, Lang string
	Published                  time.Time
}

type page struct {
	Title, Lead string
	// Icon is the site's icon, an absolute URL, or "".
	Icon      string
	Style     template.HTML
	Script    template.HTML
	Policy    string
	Discovery []altLink
	Formats   []formatLink
	Readers   []readerLink
	What      string
	// The index page's.
	SiteURL  string
	OPML     string
	Sections []section
	Names    []string
	// A feed page's.
	Index string
	Items []item
	// Author is, on an author feed's page, the author's own page.
	Author *authorLink

	// The lists above as HTML, written by execute.
	DiscoveryHTML, FormatsHTML, ReadersHTML, ItemsHTML template.HTML
}

type authorLink struct{ Name, URL string }

// dateLayout is how pages show a date to people.
const dateLayout = "2 January 2006"

var pageFuncs = template.FuncMap{
	"date":     func(t time.Time) string { return t.Format(dateLayout) },
	"datetime": func(t time.Time) string { return t.Format(time.RFC3339) },
	"plural": func(n int, one, many string) string {
		if n == 1 {
			return one
		}
		return many
	},
}

var pageTemplate = template.Must(template.New("page").Funcs(pageFuncs).Parse(pageSource))

// pageSource is the page template; execute writes its lists, which
// hold most of its values, by hand (lists.go).
const pageSource = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{.Policy}}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>{{.Title}}</title>
{{if .Icon}}<link rel="icon" href="{{.Icon}}">
{{else}}<link rel="icon" href="data:,">
{{end}}{{.DiscoveryHTML}}{{.Style}}
</head>
<body>
<header>
<h1>{{.Title}}</h1>
<p class="lead">{{.Lead}}</p>
{{with .Author}}<p><a href="{{.URL}}" rel="author">About {{.Name}}</a></p>
{{end}}<p>{{.What}}</p>
</header>
<main>
<section aria-labelledby="h-urls">
<h2 id="h-urls">Subscribe</h2>
<p>Copy an address into your feed reader, or subscribe with one click:</p>
<ul class="urls">
{{.FormatsHTML}}</ul>
<ul class="subscribe">
{{.ReadersHTML}}</ul>
{{if .OPML}}<p>Every feed of this site at once: <a href="{{.OPML}}" type="text/x-opml">feeds.opml</a> (OPML, for importing into a feed reader).</p>
{{end}}{{if .Index}}<p><a href="{{.Index}}">All feeds of this site</a></p>
{{end}}</section>
{{if .Sections}}<section aria-labelledby="h-all">
<h2 id="h-all">More feeds</h2>
<div class="filter">
<label for="filter">Filter feeds by name</label>
<input id="filter" type="search" list="feed-names" autocomplete="off" aria-describedby="filter-count">
<datalist id="feed-names">{{range .Names}}<option value="{{.}}"></option>{{end}}</datalist>
<p id="filter-count" class="meta" aria-live="polite"></p>
</div>
{{range .Sections}}<section aria-labelledby="h-{{.ID}}">
<h3 id="h-{{.ID}}">{{.Title}} ({{.Count}})</h3>
<nav aria-label="{{.Title}} by first letter"><ul class="az">{{range .Letters}}<li><a href="#{{.ID}}">{{.Letter}}</a></li>{{end}}</ul></nav>
{{range .Letters}}<section class="letter" id="{{.ID}}" aria-label="{{.Label}}">
<ul class="feeds">
{{.RowsHTML}}</ul>
</section>
{{end}}</section>
{{end}}</section>
{{end}}{{if .Index}}<section aria-labelledby="h-items">
<h2 id="h-items">Newest posts</h2>
{{.ItemsHTML}}</section>
{{end}}</main>
<footer><p>{{if .SiteURL}}<a href="{{.SiteURL}}">Back to the site</a>{{end}}</p></footer>
{{.Script}}
</body>
</html>
`

var (
	styleElement  = template.HTML("<style>" + style + "</style>")
	scriptElement = template.HTML("<script>" + script + "</script>")
)

// text is plain text as a feed would carry it, for a page.
func text(s string) string { return strings.TrimSpace(feedtext.Plain(s)) }

// rel is the path of the feed tree's file path as seen from the folder
// of from (both paths in the tree, from ending in its file name).
func rel(from, path string) string {
	dir := from[:strings.LastIndexByte(from, '/')+1]
	if strings.HasPrefix(path, dir) {
		return path[len(dir):]
	}
	return strings.Repeat("../", strings.Count(dir, "/")) + path
}

// escapedDir is a feed's folder with its slug escaped for a URL path.
func escapedDir(f *feedgen.Feed) string {
	if f.Kind == feedgen.SiteFeed {
		return ""
	}
	return string(f.Kind) + "/" + url.PathEscape(f.Slug) + "/"
}

// formatLinks are a feed's documents as linked from a page at from.
func (s *Set) formatLinks(f *feedgen.Feed, from string) []formatLink {
	var out []formatLink
	for _, format := range s.plan.Options.Formats {
		out = append(out, formatLink{
			Name: formatNames[format],
			ID:   string(format),
			Type: typeAttr(mediaTypes[format]),
			URL:  s.plan.URL(f, format),
			Href: rel(from, escapedDir(f)+format.FileName()),
		})
	}
	return out
}

// discovery are a feed's autodiscovery links: its documents, the main
// format first.
func (s *Set) discovery(f *feedgen.Feed, from string) []altLink {
	var out []altLink
	title := text(s.plan.Title(f))
	for _, l := range s.formatLinks(f, from) {
		out = append(out, altLink{Type: l.Type, Title: title + " (" + l.Name + ")", Href: l.Href, URL: l.URL})
	}
	return out
}

// readerLinks are one-click subscribe links for the feed, to the first
// format those readers read (RSS or Atom), else the main one.
func (s *Set) readerLinks(f *feedgen.Feed) []readerLink {
	format := s.plan.Options.Formats[0]
	for _, x := range s.plan.Options.Formats {
		if x == feedgen.RSS || x == feedgen.Atom {
			format = x
			break
		}
	}
	u := url.QueryEscape(s.plan.URL(f, format))
	out := make([]readerLink, len(readers))
	for i, r := range readers {
		out[i] = readerLink{Name: r.name, URL: r.prefix + u}
	}
	return out
}

func (s *Set) siteFeed() *feedgen.Feed {
	for _, f := range s.plan.Feeds {
		if f.Kind == feedgen.SiteFeed {
			return f
		}
	}
	return &feedgen.Feed{Kind: feedgen.SiteFeed}
}

// kindTitles name the sections of the index page and the folders of the
// OPML file.
var kindTitles = map[feedgen.Kind]string{feedgen.TagFeed: "Tags", feedgen.CategoryFeed: "Categories", feedgen.AuthorFeed: "Authors"}

// kindGroup is the feeds of one kind, under the kind's title.
type kindGroup struct {
	kind  feedgen.Kind
	title string
	feeds []*feedgen.Feed
}

// byKind groups the plan's feeds, all but the site feed, by kind: kinds
// in the order the plan first lists them, feeds in the plan's order. The
// OPML file lists them so; the index page sorts them for people.
func (s *Set) byKind() []kindGroup {
	var groups []kindGroup
	at := map[feedgen.Kind]int{}
	for _, f := range s.plan.Feeds {
		if f.Kind == feedgen.SiteFeed {
			continue
		}
		i, ok := at[f.Kind]
		if !ok {
			i = len(groups)
			at[f.Kind] = i
			title := kindTitles[f.Kind]
			if title == "" {
				title = strings.ToUpper(string(f.Kind[:1])) + string(f.Kind[1:])
			}
			groups = append(groups, kindGroup{kind: f.Kind, title: title})
		}
		groups[i].feeds = append(groups[i].feeds, f)
	}
	return groups
}

// modified is the newest update of any feed: the time of the index page
// and of the OPML file, which list them all.
func (s *Set) modified() time.Time {
	var m time.Time
	for _, f := range s.plan.Feeds {
		if u := f.Updated(); u.After(m) {
			m = u
		}
	}
	return m
}

// kindOrder is the order of the index page's sections; kinds not listed
// follow in the order of their names.
var kindOrder = []feedgen.Kind{feedgen.CategoryFeed, feedgen.TagFeed, feedgen.AuthorFeed}

// indexPage is the page at the root of the feed tree.
func (s *Set) indexPage() ([]byte, time.Time, error) {
	body, err := execute(s.indexPageData())
	return body, s.modified(), err
}

// indexPageData is what the index page shows.
func (s *Set) indexPageData() page {
	site := s.siteFeed()
	title := text(s.plan.Site.Title)
	p := page{
		Title:     "Feeds of " + title,
		Icon:      s.plan.Site.Icon,
		Lead:      text(s.plan.Description(site)),
		What:      whatIsAFeed,
		Style:     styleElement,
		Script:    scriptElement,
		Policy:    metaPolicy,
		Discovery: s.discovery(site, IndexName),
		Formats:   s.formatLinks(site, IndexName),
		Readers:   s.readerLinks(site),
		SiteURL:   s.plan.Site.URL,
		OPML:      OPMLName,
	}
	p.Discovery = append(p.Discovery, altLink{Type: typeAttr("text/x-opml"), Title: "Every feed of " + title + " (OPML)", Href: OPMLName})
	groups := s.byKind()
	rank := func(k feedgen.Kind) int {
		for i, x := range kindOrder {
			if x == k {
				return i
			}
		}
		return len(kindOrder)
	}
	sortStable(groups, func(a, b kindGroup) bool {
		if ra, rb := rank(a.kind), rank(b.kind); ra != rb {
			return ra < rb
		}
		return a.kind < b.kind
	})
	coll := collate.New(language.Und, collate.IgnoreCase)
	seen := map[string]bool{}
	for _, g := range groups {
		k, name, feeds := g.kind, g.title, g.feeds
		sortStable(feeds, func(a, b *feedgen.Feed) bool {
			if c := coll.CompareString(a.Name, b.Name); c != 0 {
				return c < 0
			}
			return a.Slug < b.Slug
		})
		sec := section{Title: name, ID: string(k), Count: len(feeds)}
		for _, f := range feeds {
			n := text(f.Name)
			l := initial(n)
			if len(sec.Letters) == 0 || sec.Letters[len(sec.Letters)-1].Letter != l {
				sec.Letters = append(sec.Letters, letter{Letter: l, ID: fmt.Sprintf("%s-%d", k, len(sec.Letters)+1), Label: name + " under " + l})
			}
			row := feedRow{
				Name: n, Key: strings.ToLower(n), Href: escapedDir(f),
				Count: len(f.Posts), Updated: f.Updated(), Formats: s.formatLinks(f, IndexName),
			}
			cur := &sec.Letters[len(sec.Letters)-1]
			cur.Rows = append(cur.Rows, row)
			if !seen[n] {
				seen[n] = true
				p.Names = append(p.Names, n)
			}
		}
		p.Sections = append(p.Sections, sec)
	}
	return p
}

// initial is the letter a name is listed under: its first letter or
// digit, upper case, or "#".
func initial(name string) string {
	r, _ := utf8.DecodeRuneInString(name)
	if unicode.IsLetter(r) || unicode.IsDigit(r) {
		return string(unicode.ToUpper(r))
	}
	return "#"
}

// feedPage is a feed's own page, in its folder.
func (s *Set) feedPage(f *feedgen.Feed) ([]byte, time.Time, error) {
	p, err := s.feedPageData(f)
	if err != nil {
		return nil, time.Time{}, err
	}
	body, err := execute(p)
	return body, f.Updated(), err
}

// feedPageData is what a feed's page shows.
func (s *Set) feedPageData(f *feedgen.Feed) (page, error) {
	from := f.Dir() + IndexName
	site := s.siteFeed()
	p := page{
		Title:     text(s.plan.Title(f)),
		Icon:      s.plan.Site.Icon,
		Lead:      text(s.plan.Description(f)),
		What:      whatIsAFeed,
		Style:     styleElement,
		Script:    scriptElement,
		Policy:    metaPolicy,
		Discovery: append(s.discovery(f, from), s.discovery(site, from)...),
		Formats:   s.formatLinks(f, from),
		Readers:   s.readerLinks(f),
		SiteURL:   s.plan.AlternateURL(f),
		Index:     rel(from, ""),
	}
	if f.Kind == feedgen.AuthorFeed && f.HomePage != "" {
		// The author's page is the feed's alternate; the footer still
		// leads back to the site.
		p.Author = &authorLink{Name: text(f.Name), URL: f.HomePage}
		p.SiteURL = s.plan.Site.URL
	}
	p.Items = make([]item, 0, len(f.Posts))
	for _, x := range f.Posts {
		if !x.Rendered() {
			return page{}, fmt.Errorf("post %s was not rendered", x.Path)
		}
		it := item{Title: text(x.Title), Link: x.Link, Summary: text(x.SummaryText), Published: x.Published}
		if it.Title == "" {
			it.Title = x.Link
		}
		if tag, err := language.Parse(x.Language); err == nil && x.Language != "" {
			it.Lang = tag.String()
		}
		p.Items = append(p.Items, it)
	}
	return p, nil
}

// execute writes p's lists (its HTML fields) by hand, then the page.
func execute(p page) ([]byte, error) {
	p.DiscoveryHTML = template.HTML(appendAltLinks(nil, p.Discovery, false))
	p.FormatsHTML = formatsHTML(p.Formats)
	p.ReadersHTML = readersHTML(p.Readers)
	if p.Index != "" {
		p.ItemsHTML = itemsHTML(p.Items)
	}
	// The page is about its style, script and lists, and the rest of the
	// template with its values; sized so, the buffer grows at most once.
	size := 8192 + len(p.Style) + len(p.Script) + len(p.DiscoveryHTML) + len(p.FormatsHTML) + len(p.ReadersHTML) + len(p.ItemsHTML)
	for i := range p.Sections {
		for j := range p.Sections[i].Letters {
			l := &p.Sections[i].Letters[j]
			l.RowsHTML = rowsHTML(l.Rows)
			size += len(l.RowsHTML) + 256
		}
	}
	for _, n := range p.Names {
		size += len(n) + 24
	}
	var buf bytes.Buffer
	buf.Grow(size)
	if err := pageTemplate.Execute(&buf, p); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func sortStable[T any](s []T, less func(a, b T) bool) {
	sort.SliceStable(s, func(i, j int) bool { return less(s[i], s[j]) })
}
