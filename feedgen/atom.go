package feedgen

import (
	"encoding/xml"
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
	a.Lang = p.lang
	a.Title = feedtext.Plain(p.title(f))
	a.Subtitle = feedtext.Plain(p.description(f))
	a.Id = p.selfURL(f, Atom)
	a.Updated = formatRFC3339(updated)
	a.Icon, a.Logo = p.Site.Icon, p.Site.Logo
	a.Link = []feeds.AtomLink{
		{Href: p.alternateURL(f), Rel: "alternate", Type: "text/html"},
		{Href: p.selfURL(f, Atom), Rel: "self", Type: "application/atom+xml"},
	}
	// A feed-level author covers entries without one (RFC 4287 4.1.1).
	site := p.siteAuthor()
	if site.Name == "" {
		site = source.Author{Name: feedtext.Plain(p.Site.Title)}
	}
	a.Author = &feeds.AtomAuthor{AtomPerson: feeds.AtomPerson{Name: site.Name, Email: site.Email, Uri: site.URL}}
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
	if t.language != p.lang {
		e.Lang = t.language
	}
	e.Summary = &feeds.AtomSummary{Content: t.summary, Type: "html"}
	if t.content != "" {
		e.Content = &feeds.AtomContent{Content: t.content, Type: "html"}
	}
	for _, au := range t.authors {
		// Presented authors all have the name atom:name requires.
		e.Author = append(e.Author, &feeds.AtomAuthor{AtomPerson: feeds.AtomPerson{Name: au.Name, Email: au.Email, Uri: au.URL}})
	}
	for _, c := range t.categories {
		e.Category = append(e.Category, atomCategory{Term: c, Label: c})
	}
	return e
}

// The fast encoder (see fastenc.go).

// appendAtomLinks appends link elements at the indentation nl.
func appendAtomLinks(dst []byte, nl string, links []feeds.AtomLink) []byte {
	for _, l := range links {
		dst = append(dst, nl...)
		dst = append(dst, "<link"...)
		dst = xmlAttr(dst, "href", l.Href)
		if l.Rel != "" {
			dst = xmlAttr(dst, "rel", l.Rel)
		}
		if l.Type != "" {
			dst = xmlAttr(dst, "type", l.Type)
		}
		if l.Length != "" {
			dst = xmlAttr(dst, "length", l.Length)
		}
		dst = append(dst, "></link>"...)
	}
	return dst
}

// appendAtomAuthor appends an author element at the indentation nl.
func appendAtomAuthor(dst []byte, nl string, a *feeds.AtomAuthor) []byte {
	dst = append(dst, nl...)
	dst = append(dst, "<author>"...)
	if a.Name == "" && a.Uri == "" && a.Email == "" {
		return append(dst, "</author>"...)
	}
	nl2 := nl + "  "
	if a.Name != "" {
		dst = xmlElem(dst, nl2, "name", a.Name)
	}
	if a.Uri != "" {
		dst = xmlElem(dst, nl2, "uri", a.Uri)
	}
	if a.Email != "" {
		dst = xmlElem(dst, nl2, "email", a.Email)
	}
	dst = append(dst, nl...)
	return append(dst, "</author>"...)
}

// Atom entries, at the depth MarshalIndent(entry, "  ", "  ") puts them.

// marshalRef is the reference encoding of the entry.
func (e *atomEntry) marshalRef() ([]byte, error) { return xml.MarshalIndent(e, "  ", "  ") }

// fast reports whether appendFast writes every field the entry sets.
func (e *atomEntry) fast() bool {
	return e.Xmlns == "" && e.Rights == "" && e.Source == "" && e.Contributor == nil
}

// appendFast appends the entry's encoding (see wire).
func (e *atomEntry) appendFast(dst []byte) ([]byte, error) {
	const nl = "\n    "
	dst = append(dst, "  <entry"...)
	if e.Lang != "" {
		dst = xmlAttr(dst, "xml:lang", e.Lang)
	}
	dst = append(dst, '>')
	dst = xmlElem(dst, nl, "title", e.Title)
	dst = xmlElem(dst, nl, "updated", e.Updated)
	dst = xmlElem(dst, nl, "id", e.Id)
	if c := e.Content; c != nil {
		dst = appendAtomText(dst, nl, "content", c.Type, c.Content)
	}
	if e.Published != "" {
		dst = xmlElem(dst, nl, "published", e.Published)
	}
	dst = appendAtomLinks(dst, nl, e.Links)
	if s := e.Summary; s != nil {
		dst = appendAtomText(dst, nl, "summary", s.Type, s.Content)
	}
	for _, a := range e.Author {
		if a != nil {
			dst = appendAtomAuthor(dst, nl, a)
		}
	}
	for _, c := range e.Category {
		dst = append(dst, nl+"<category"...)
		dst = xmlAttr(dst, "term", c.Term)
		if c.Label != "" {
			dst = xmlAttr(dst, "label", c.Label)
		}
		dst = append(dst, "></category>"...)
	}
	return append(dst, "\n  </entry>"...), nil
}

// appendAtomText appends an Atom text construct at the indentation nl:
// <name type="typ">text</name>.
func appendAtomText(dst []byte, nl, name, typ, text string) []byte {
	dst = append(dst, nl...)
	dst = append(dst, '<')
	dst = append(dst, name...)
	dst = xmlAttr(dst, "type", typ)
	dst = append(dst, '>')
	return xmlClose(appendXMLText(dst, text), name)
}

// marshalRef is the reference encoding of the document.
func (a *atomFeed) marshalRef() ([]byte, error) { return xml.MarshalIndent(a, "", "  ") }

// fast reports whether appendFast writes every field the document sets.
func (a *atomFeed) fast() bool {
	return a.AtomFeed.Category == "" && a.Icon == "" && a.Logo == "" && a.Rights == "" &&
		a.Contributor == nil && len(a.Entries) == 0
}

// appendFast appends the document's encoding (see wire).
func (a *atomFeed) appendFast(dst []byte) ([]byte, error) {
	const nl = "\n  "
	dst = append(dst, "<feed"...)
	dst = xmlAttr(dst, "xmlns", a.Xmlns)
	if a.Lang != "" {
		dst = xmlAttr(dst, "xml:lang", a.Lang)
	}
	dst = append(dst, '>')
	dst = xmlElem(dst, nl, "title", a.Title)
	dst = xmlElem(dst, nl, "id", a.Id)
	dst = xmlElem(dst, nl, "updated", a.Updated)
	if a.Subtitle != "" {
		dst = xmlElem(dst, nl, "subtitle", a.Subtitle)
	}
	dst = appendAtomLinks(dst, nl, a.Link)
	if a.Author != nil {
		dst = appendAtomAuthor(dst, nl, a.Author)
	}
	if g := a.Generator; g != nil {
		dst = append(dst, nl+"<generator"...)
		if g.URI != "" {
			dst = xmlAttr(dst, "uri", g.URI)
		}
		if g.Version != "" {
			dst = xmlAttr(dst, "version", g.Version)
		}
		dst = append(dst, '>')
		dst = appendXMLText(dst, g.Name)
		dst = append(dst, "</generator>"...)
	}
	return append(dst, "\n</feed>"...), nil
}
