package feedgen

import (
	"strings"
	"time"

	"github.com/gorilla/feeds"
	"github.com/syndicate/syndicate/feedtext"
	"github.com/syndicate/syndicate/source"
)

// Atom 1.0 (RFC 4287). gorilla's AtomFeed allows one link, one author and
// a category with text content (invalid Atom: term is a required
// attribute), so those fields are shadowed by spec-conforming ones.

const atomNS = "http://www.w3.org/2005/Atom"

type atomFeed struct {
	feeds.AtomFeed
	Lang      string            `xml:"xml:lang,attr,omitempty"`
	Link      []feeds.AtomLink  `xml:"link"`
	Author    *feeds.AtomAuthor `xml:"author"`
	Generator *atomGenerator    `xml:"generator"`
}

type atomGenerator struct {
	URI     string `xml:"uri,attr,omitempty"`
	Version string `xml:"version,attr,omitempty"`
	Name    string `xml:",chardata"`
}

type atomEntry struct {
	feeds.AtomEntry
	Lang     string              `xml:"xml:lang,attr,omitempty"`
	Author   []*feeds.AtomAuthor `xml:"author"`
	Category []atomCategory      `xml:"category"`
}

type atomCategory struct {
	Term  string `xml:"term,attr"`
	Label string `xml:"label,attr,omitempty"`
}

// atomHeadOf is the feed's Atom document without entries.
func (p *Plan) atomHeadOf(f *Feed, updated time.Time) *atomFeed {
	a := &atomFeed{}
	a.Xmlns = atomNS
	a.Lang = feedtext.Plain(p.Site.Language)
	a.Title = feedtext.Plain(p.title(f))
	a.Subtitle = feedtext.Plain(p.description(f))
	a.Id = p.selfURL(f, Atom)
	a.Updated = formatRFC3339(updated)
	a.Link = []feeds.AtomLink{
		{Href: p.alternateURL(f), Rel: "alternate", Type: "text/html"},
		{Href: p.selfURL(f, Atom), Rel: "self", Type: "application/atom+xml"},
	}
	// A feed-level author covers entries without one (RFC 4287 4.1.1).
	name := strings.TrimSpace(feedtext.Plain(p.Site.Author))
	if name == "" {
		name = feedtext.Plain(p.Site.Title)
	}
	a.Author = &feeds.AtomAuthor{AtomPerson: feeds.AtomPerson{Name: name}}
	if gen := strings.TrimSpace(feedtext.Plain(p.Site.Generator)); gen != "" {
		a.Generator = &atomGenerator{URI: absoluteURL(p.Site.GeneratorURI), Version: feedtext.Plain(p.Site.GeneratorVersion), Name: gen}
	}
	return a
}

// atomEntryOf is the post's Atom entry.
func (p *Plan) atomEntryOf(x *source.Post, t *postText) *atomEntry {
	e := &atomEntry{}
	e.Title = t.title
	e.Id = p.IDs[x]
	e.Updated = formatRFC3339(updatedOf(x))
	e.Published = formatRFC3339(x.Published)
	e.Links = []feeds.AtomLink{{Href: t.link, Rel: "alternate", Type: "text/html"}}
	if x.Language != p.Site.Language {
		e.Lang = feedtext.Plain(x.Language)
	}
	e.Summary = &feeds.AtomSummary{Content: t.summary, Type: "html"}
	if t.content != "" {
		e.Content = &feeds.AtomContent{Content: t.content, Type: "html"}
	}
	for _, au := range t.authors {
		// atom:name is required; an author known only by e-mail is
		// named by it.
		name, email := au.Name, au.Email
		if name == "" {
			name = email
		}
		if name == "" {
			continue
		}
		e.Author = append(e.Author, &feeds.AtomAuthor{AtomPerson: feeds.AtomPerson{Name: name, Email: email, Uri: au.URL}})
	}
	for _, c := range t.categories {
		e.Category = append(e.Category, atomCategory{Term: c, Label: c})
	}
	return e
}
