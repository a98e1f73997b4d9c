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
	ch.Language = feedtext.Plain(p.Site.Language)
	ch.Generator = feedtext.Plain(generatorText(p.Site))
	ch.Docs = rssSpecURL
	if !updated.IsZero() {
		ch.LastBuildDate = updated.Format(time.RFC1123Z)
		ch.PubDate = published.Format(time.RFC1123Z)
	}
	ch.AtomLink = rssAtomLink{Href: p.selfURL(f, RSS), Rel: "self", Type: "application/rss+xml"}
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

// rssAuthors credits a post's authors. RSS <author> holds one e-mail
// address (the name may follow in parentheses) and dc:creator holds
// names; an item with both draws the W3C validator's DuplicateSemantics
// warning, so <author> is used only when it says everything (a single
// author, with an e-mail) and dc:creator otherwise, one per name. The
// authors are cleaned (cleanAuthors).
func rssAuthors(authors []source.Author) (author string, creators []string) {
	var named []source.Author
	for _, a := range authors {
		if a.Name != "" || a.Email != "" {
			named = append(named, a)
		}
	}
	if len(named) == 1 && named[0].Email != "" {
		if named[0].Name == "" {
			return named[0].Email, nil
		}
		return named[0].Email + " (" + named[0].Name + ")", nil
	}
	for _, a := range named {
		if a.Name != "" {
			creators = append(creators, a.Name)
		}
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
