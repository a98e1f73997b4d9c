package feedgen

import (
	"encoding/xml"
	"time"

	"github.com/gorilla/feeds"
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

func (p *Plan) atomHead(f *Feed, updated time.Time) ([]byte, error) {
	a := &atomFeed{}
	a.Xmlns = atomNS
	a.Lang = p.Site.Language
	a.Title = p.title(f)
	a.Subtitle = p.description(f)
	a.Id = p.selfURL(f, Atom)
	a.Updated = formatRFC3339(updated)
	a.Link = []feeds.AtomLink{
		{Href: p.alternateURL(f), Rel: "alternate", Type: "text/html"},
		{Href: p.selfURL(f, Atom), Rel: "self", Type: "application/atom+xml"},
	}
	// A feed-level author covers entries without one (RFC 4287 4.1.1).
	name := p.Site.Author
	if name == "" {
		name = p.Site.Title
	}
	a.Author = &feeds.AtomAuthor{AtomPerson: feeds.AtomPerson{Name: name}}
	a.Generator = &atomGenerator{URI: p.Site.GeneratorURI, Version: p.Site.GeneratorVersion, Name: p.Site.Generator}
	return xml.MarshalIndent(a, "", "  ")
}

func (p *Plan) atomEntry(x *source.Post) ([]byte, error) {
	e := &atomEntry{}
	e.Title = x.Title
	e.Id = p.IDs[x]
	e.Updated = formatRFC3339(x.Updated)
	e.Published = formatRFC3339(x.Published)
	e.Links = []feeds.AtomLink{{Href: x.Link, Rel: "alternate", Type: "text/html"}}
	if x.Language != p.Site.Language {
		e.Lang = x.Language
	}
	e.Summary = &feeds.AtomSummary{Content: x.SummaryHTML, Type: "html"}
	if !p.Options.SummaryOnly && x.ContentHTML != "" {
		e.Content = &feeds.AtomContent{Content: x.ContentHTML, Type: "html"}
	}
	for _, au := range x.Authors {
		e.Author = append(e.Author, &feeds.AtomAuthor{AtomPerson: feeds.AtomPerson{Name: au.Name, Email: au.Email, Uri: au.URL}})
	}
	for _, t := range x.Tags {
		e.Category = append(e.Category, atomCategory{Term: t})
	}
	for _, c := range x.Categories {
		e.Category = append(e.Category, atomCategory{Term: c})
	}
	return xml.MarshalIndent(e, "  ", "  ")
}
