package feedgen

import (
	"encoding/xml"
	"time"

	"github.com/gorilla/feeds"
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

type rssChannel struct {
	feeds.RssFeed
	AtomLink rssAtomLink `xml:"atom:link"`
}

type rssAtomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr"`
}

type rssItem struct {
	feeds.RssItem
	// Category shadows gorilla's single category.
	Category []string `xml:"category"`
	Creator  []string `xml:"dc:creator"`
}

func (p *Plan) rssHead(f *Feed, updated, published time.Time) ([]byte, error) {
	ch := &rssChannel{}
	ch.Title = p.title(f)
	ch.Link = p.alternateURL(f)
	ch.Description = p.description(f)
	ch.Language = p.Site.Language
	ch.Generator = generatorText(p.Site)
	ch.Docs = rssSpecURL
	if !updated.IsZero() {
		ch.LastBuildDate = updated.Format(time.RFC1123Z)
		ch.PubDate = published.Format(time.RFC1123Z)
	}
	ch.AtomLink = rssAtomLink{Href: p.selfURL(f, RSS), Rel: "self", Type: "application/rss+xml"}
	doc := rssDocument{
		Version:   "2.0",
		NSContent: "http://purl.org/rss/1.0/modules/content/",
		NSAtom:    "http://www.w3.org/2005/Atom",
		NSDC:      "http://purl.org/dc/elements/1.1/",
		Channel:   ch,
	}
	return xml.MarshalIndent(doc, "", "  ")
}

func (p *Plan) rssItem(x *source.Post) ([]byte, error) {
	id := p.IDs[x]
	it := &rssItem{}
	it.Title = x.Title
	it.Link = x.Link
	it.Description = x.SummaryHTML
	if !p.Options.SummaryOnly && x.ContentHTML != "" {
		it.Content = &feeds.RssContent{Content: x.ContentHTML}
	}
	perma := "false"
	if id == x.Link {
		perma = "true"
	}
	it.Guid = &feeds.RssGuid{Id: id, IsPermaLink: perma}
	it.PubDate = x.Published.Format(time.RFC1123Z)
	for _, a := range x.Authors {
		it.Creator = append(it.Creator, a.Name)
		if a.Email != "" && it.Author == "" {
			// RSS <author> must be an e-mail address; the name goes in parentheses.
			it.Author = a.Email + " (" + a.Name + ")"
		}
	}
	it.Category = append(append(it.Category, x.Tags...), x.Categories...)
	return xml.MarshalIndent(it, "    ", "  ")
}
