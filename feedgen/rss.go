package feedgen

import (
	"encoding/xml"
	"time"

	"github.com/gorilla/feeds"
	"github.com/syndicate/syndicate/feedtext"
	"github.com/syndicate/syndicate/source"
)

// RSS 2.0 with the extensions the RSS Advisory Board recommends:
// atom:link rel="self", content:encoded and dc:creator. gorilla's RssFeed
// has no self link and one category per item, so its structs are embedded
// and extended here.

const rssSpecURL = "https://www.rssboard.org/rss-specification"

type rssDocument struct {
	XMLName   xml.Name `xml:"rss"`
	Version   string   `xml:"version,attr"`
	NSContent string   `xml:"xmlns:content,attr"`
	NSAtom    string   `xml:"xmlns:atom,attr"`
	NSDC      string   `xml:"xmlns:dc,attr"`
	Channel   *rssChannel
}

// rssChannel shadows the plain-text fields of gorilla's channel with
// rssText; the fields before the embedded struct keep the order gorilla's
// struct gives them.
type rssChannel struct {
	Title       rssText `xml:"title"`
	Link        string  `xml:"link"`
	Description rssText `xml:"description"`
	feeds.RssFeed
	AtomLink rssAtomLink `xml:"atom:link"`
}

type rssAtomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr"`
}

// rssItem shadows the plain-text fields of gorilla's item with rssText;
// the fields before the embedded struct keep the order gorilla's struct
// gives them.
type rssItem struct {
	Title       rssText `xml:"title"`
	Link        string  `xml:"link"`
	Description string  `xml:"description"`
	Content     *feeds.RssContent
	Author      rssText `xml:"author,omitempty"`
	feeds.RssItem
	// Category shadows gorilla's single category.
	Category []rssText `xml:"category"`
	Creator  []string  `xml:"dc:creator"`
	// Updated is the item's last modification; RSS has no element of its
	// own for it, and the Atom one is what readers (and the W3C
	// validator) know in RSS.
	Updated string `xml:"atom:updated,omitempty"`
}

// rssHeadOf is the feed's RSS document without items.
func (p *Plan) rssHeadOf(f *Feed, updated, published time.Time) *rssDocument {
	ch := &rssChannel{}
	ch.Title = rssText(feedtext.Plain(p.title(f)))
	ch.Link = p.alternateURL(f)
	ch.Description = rssText(feedtext.Plain(p.description(f)))
	ch.Language = p.lang
	ch.Generator = feedtext.Plain(generatorText(p.Site))
	ch.Docs = rssSpecURL
	if !updated.IsZero() {
		ch.LastBuildDate = updated.Format(time.RFC1123Z)
		ch.PubDate = published.Format(time.RFC1123Z)
	}
	ch.AtomLink = rssAtomLink{Href: p.selfURL(f, RSS), Rel: "self", Type: "application/rss+xml"}
	img := p.Site.Logo
	if img == "" {
		img = p.Site.Icon
	}
	if img != "" {
		// The image links to the channel under its title, as the RSS
		// Advisory Board's profile asks.
		ch.Image = &feeds.RssImage{Url: img, Title: feedtext.Plain(p.title(f)), Link: ch.Link}
	}
	return &rssDocument{
		Version:   "2.0",
		NSContent: "http://purl.org/rss/1.0/modules/content/",
		NSAtom:    "http://www.w3.org/2005/Atom",
		NSDC:      "http://purl.org/dc/elements/1.1/",
		Channel:   ch,
	}
}

// rssItemOf is the post's RSS item.
func (p *Plan) rssItemOf(x *source.Post, t *postText) *rssItem {
	id := p.IDs[x]
	it := &rssItem{}
	it.Title = rssText(t.title)
	it.Link = t.link
	it.Description = t.summary
	if t.content != "" {
		it.Content = &feeds.RssContent{Content: t.content}
	}
	perma := "false"
	if id == it.Link {
		perma = "true"
	}
	it.Guid = &feeds.RssGuid{Id: id, IsPermaLink: perma}
	it.PubDate = x.Published.Format(time.RFC1123Z)
	it.Updated = formatRFC3339(updatedOf(x))
	author, creators := rssAuthors(t.authors)
	it.Author, it.Creator = rssText(author), creators
	for _, c := range t.categories {
		it.Category = append(it.Category, rssText(c))
	}
	return it
}

// rssAuthors credits a post's authors. RSS <author> must hold an e-mail
// address (the name may follow in parentheses), and dc:creator holds
// names; an item with both draws the W3C validator's DuplicateSemantics
// warning, so <author> is used only when it says everything (a single
// author whose address is public) and dc:creator otherwise, one per
// name, as the RSS Advisory Board's profile advises for authors without
// a public address. The authors are presented (presentAuthors): each
// has a name.
func rssAuthors(authors []source.Author) (author string, creators []string) {
	if len(authors) == 1 && authors[0].Email != "" {
		return authors[0].Email + " (" + authors[0].Name + ")", nil
	}
	for _, a := range authors {
		creators = append(creators, a.Name)
	}
	return "", creators
}

// rssText is an RSS element that holds plain text. The RSS Advisory
// Board's profile (and the W3C validator, which warns CharacterData
// otherwise) asks that "&" and "<" in such elements be written as the
// hexadecimal references "&#x26;" and "&#x3C;", so that no reader takes
// "&amp;" or "&lt;b&gt;" for HTML to decode a second time.
type rssText string

// MarshalXML writes the text as appendRSSText escapes it.
func (t rssText) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return e.EncodeElement(struct {
		Text []byte `xml:",innerxml"`
	}{appendRSSText(nil, string(t))}, start)
}

// The fast encoder (see fastenc.go).

// appendRSSText appends s escaped for an RSS plain-text element (see
// rssText): as appendXMLText, but "&" and "<" as hexadecimal references.
func appendRSSText(dst []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); i++ {
		var ref string
		switch s[i] {
		case '&':
			ref = "&#x26;"
		case '<':
			ref = "&#x3C;"
		default:
			continue
		}
		dst = appendXMLText(dst, s[last:i])
		dst = append(dst, ref...)
		last = i + 1
	}
	return appendXMLText(dst, s[last:])
}

// rssElem appends an RSS plain-text element at the indentation nl.
func rssElem(dst []byte, nl, name string, text rssText) []byte {
	return xmlClose(appendRSSText(xmlOpen(dst, nl, name), string(text)), name)
}

// RSS items, at the depth MarshalIndent(item, "    ", "  ") puts them.

// marshalRef is the reference encoding of the item.
func (it *rssItem) marshalRef() ([]byte, error) { return xml.MarshalIndent(it, "    ", "  ") }

// fast reports whether appendFast writes every field the item sets.
func (it *rssItem) fast() bool {
	return it.Comments == "" && it.Enclosure == nil && it.Source == ""
}

// appendFast appends the item's encoding (see wire).
func (it *rssItem) appendFast(dst []byte) ([]byte, error) {
	const nl = "\n      "
	dst = append(dst, "    <item>"...)
	dst = rssElem(dst, nl, "title", it.Title)
	dst = xmlElem(dst, nl, "link", it.Link)
	dst = xmlElem(dst, nl, "description", it.Description)
	if it.Content != nil {
		dst = append(dst, nl+"<content:encoded>"...)
		dst = appendCDATA(dst, it.Content.Content)
		dst = append(dst, "</content:encoded>"...)
	}
	if it.Author != "" {
		dst = rssElem(dst, nl, "author", it.Author)
	}
	if g := it.Guid; g != nil {
		dst = append(dst, nl+"<guid"...)
		if g.IsPermaLink != "" {
			dst = xmlAttr(dst, "isPermaLink", g.IsPermaLink)
		}
		dst = append(dst, '>')
		dst = appendXMLText(dst, g.Id)
		dst = append(dst, "</guid>"...)
	}
	if it.PubDate != "" {
		dst = xmlElem(dst, nl, "pubDate", it.PubDate)
	}
	for _, c := range it.Category {
		dst = rssElem(dst, nl, "category", c)
	}
	for _, c := range it.Creator {
		dst = xmlElem(dst, nl, "dc:creator", c)
	}
	if it.Updated != "" {
		dst = xmlElem(dst, nl, "atom:updated", it.Updated)
	}
	return append(dst, "\n    </item>"...), nil
}

// Document heads: a document without items, as MarshalIndent(doc, "",
// "  ") or marshalJSON writes it. Documents are cut where the items go
// (see frame).

// marshalRef is the reference encoding of the document.
func (d *rssDocument) marshalRef() ([]byte, error) { return xml.MarshalIndent(d, "", "  ") }

// fast reports whether appendFast writes every field the document sets.
func (d *rssDocument) fast() bool {
	c := d.Channel
	return c != nil && c.Copyright == "" && c.ManagingEditor == "" && c.WebMaster == "" && c.RssFeed.Category == "" &&
		c.Cloud == "" && c.Ttl == 0 && c.Rating == "" && c.SkipHours == "" && c.SkipDays == "" &&
		c.Image == nil && c.TextInput == nil && len(c.Items) == 0
}

// appendFast appends the document's encoding (see wire).
func (d *rssDocument) appendFast(dst []byte) ([]byte, error) {
	dst = append(dst, "<rss"...)
	dst = xmlAttr(dst, "version", d.Version)
	dst = xmlAttr(dst, "xmlns:content", d.NSContent)
	dst = xmlAttr(dst, "xmlns:atom", d.NSAtom)
	dst = xmlAttr(dst, "xmlns:dc", d.NSDC)
	dst = append(dst, ">\n  <channel>"...)
	c := d.Channel
	const nl = "\n    "
	dst = rssElem(dst, nl, "title", c.Title)
	dst = xmlElem(dst, nl, "link", c.Link)
	dst = rssElem(dst, nl, "description", c.Description)
	for _, f := range [...]struct{ name, value string }{
		{"language", c.Language},
		{"pubDate", c.PubDate},
		{"lastBuildDate", c.LastBuildDate},
		{"generator", c.Generator},
		{"docs", c.Docs},
	} {
		if f.value != "" {
			dst = xmlElem(dst, nl, f.name, f.value)
		}
	}
	dst = append(dst, nl+"<atom:link"...)
	dst = xmlAttr(dst, "href", c.AtomLink.Href)
	dst = xmlAttr(dst, "rel", c.AtomLink.Rel)
	dst = xmlAttr(dst, "type", c.AtomLink.Type)
	dst = append(dst, "></atom:link>"...)
	return append(dst, "\n  </channel>\n</rss>"...), nil
}
