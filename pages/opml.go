package pages

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"time"

	"github.com/syndicate/syndicate/feedgen"
)

// opmlVersions are the version attributes of outlines by format (OPML
// 2.0 names RSS2; the others are what readers write for them).
var opmlVersions = map[feedgen.Format]string{feedgen.RSS: "RSS2", feedgen.Atom: "Atom", feedgen.JSON: "JSONFeed1"}

// opml is the OPML 2.0 subscription list of every feed: the site's
// first, then a folder per kind, each feed once, in its main format.
func (s *Set) opml() ([]byte, time.Time, error) {
	format := s.plan.Options.Formats[0]
	modified := s.modified()
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<opml version="2.0">` + "\n<head>\n<title>")
	xmlText(&b, "Feeds of "+text(s.plan.Site.Title))
	b.WriteString("</title>\n")
	if !modified.IsZero() {
		b.WriteString("<dateModified>" + modified.UTC().Format(http.TimeFormat) + "</dateModified>\n")
	}
	b.WriteString("<docs>http://opml.org/spec2.opml</docs>\n</head>\n<body>\n")
	outline := func(f *feedgen.Feed, indent string) {
		b.WriteString(indent + `<outline type="rss" text="`)
		title := text(s.plan.Title(f))
		xmlText(&b, title)
		b.WriteString(`" title="`)
		xmlText(&b, title)
		b.WriteString(`" xmlUrl="`)
		xmlText(&b, s.plan.URL(f, format))
		b.WriteString(`" htmlUrl="`)
		xmlText(&b, s.plan.AlternateURL(f))
		b.WriteString(`" version="` + opmlVersions[format] + "\"/>\n")
	}
	outline(s.siteFeed(), "")
	for _, g := range s.byKind() {
		b.WriteString(`<outline text="`)
		xmlText(&b, g.title)
		b.WriteString(`" title="`)
		xmlText(&b, g.title)
		b.WriteString("\">\n")
		for _, f := range g.feeds {
			outline(f, "  ")
		}
		b.WriteString("</outline>\n")
	}
	b.WriteString("</body>\n</opml>\n")
	return b.Bytes(), modified, nil
}

// xmlText writes s escaped for XML text and attribute values alike.
func xmlText(b *bytes.Buffer, s string) {
	xml.EscapeText(b, []byte(s)) // a bytes.Buffer does not fail
}
