package feedgen

import (
	"encoding/xml"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gorilla/feeds"
)

// Items and entries are most of every document's bytes and were most of a
// build's time when encoded by reflection: the append-style encoders here
// write the very bytes encoding/xml (MarshalIndent, with the indentation
// the items get in their documents) and encoding/json (without HTML
// escaping) write for the same wire structs, items and document heads.
// The reflection encoders stay the reference: each wire struct's
// marshalRef is what its appendTo must equal, TestFastEncoding,
// TestFastHeads and FuzzFastEncoding compare them, and a struct using a
// field the fast encoder does not write falls back to marshalRef.

// wire is a wire struct (an item or a document head) that encodes
// itself.
type wire interface {
	// appendTo appends the encoding.
	appendTo(dst []byte) ([]byte, error)
	// marshalRef is the reference encoding, which appendTo equals.
	marshalRef() ([]byte, error)
	// fast reports whether appendTo writes every field set; when not, it
	// falls back to marshalRef.
	fast() bool
}

// xmlEscapes is what encoding/xml writes for each ASCII byte it escapes
// ("" for the others); other C0 controls become U+FFFD, as any character
// outside XML's character range does.
var xmlEscapes = func() (t [utf8.RuneSelf]string) {
	for c := range 0x20 {
		t[c] = "\uFFFD"
	}
	t['"'], t['\''], t['&'], t['<'], t['>'] = "&#34;", "&#39;", "&amp;", "&lt;", "&gt;"
	t['\t'], t['\n'], t['\r'] = "&#x9;", "&#xA;", "&#xD;"
	return t
}()

// xmlPlain marks the bytes appendXMLText copies without a second look:
// ASCII that encoding/xml does not escape.
var xmlPlain = func() (t [256]bool) {
	for c := range utf8.RuneSelf {
		t[c] = xmlEscapes[c] == ""
	}
	return t
}()

// appendXMLText appends s escaped as encoding/xml escapes character data
// and attribute values.
func appendXMLText(dst []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if xmlPlain[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			dst = append(dst, s[last:i]...)
			dst = append(dst, xmlEscapes[c]...)
			i++
			last = i
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || r == 0xFFFE || r == 0xFFFF {
			dst = append(dst, s[last:i]...)
			dst = append(dst, "\uFFFD"...)
			last = i + n
		}
		i += n
	}
	return append(dst, s[last:]...)
}

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
	dst = append(dst, nl...)
	dst = append(dst, '<')
	dst = append(dst, name...)
	dst = append(dst, '>')
	dst = appendRSSText(dst, string(text))
	dst = append(dst, "</"...)
	dst = append(dst, name...)
	return append(dst, '>')
}

// appendCDATA appends s as encoding/xml writes a ",cdata" field: nothing
// when empty, else one CDATA section, split wherever s holds "]]>".
func appendCDATA(dst []byte, s string) []byte {
	if s == "" {
		return dst
	}
	dst = append(dst, "<![CDATA["...)
	for {
		before, after, ok := strings.Cut(s, "]]>")
		if !ok {
			break
		}
		dst = append(dst, before...)
		dst = append(dst, "]]]]><![CDATA[>"...)
		s = after
	}
	dst = append(dst, s...)
	return append(dst, "]]>"...)
}

// xmlElem appends an element holding text, at the indentation nl (a
// newline and spaces).
func xmlElem(dst []byte, nl, name, text string) []byte {
	dst = append(dst, nl...)
	dst = append(dst, '<')
	dst = append(dst, name...)
	dst = append(dst, '>')
	dst = appendXMLText(dst, text)
	dst = append(dst, "</"...)
	dst = append(dst, name...)
	return append(dst, '>')
}

// xmlAttr appends ` name="value"`.
func xmlAttr(dst []byte, name, value string) []byte {
	dst = append(dst, ' ')
	dst = append(dst, name...)
	dst = append(dst, `="`...)
	dst = appendXMLText(dst, value)
	return append(dst, '"')
}

// jsonSafe marks the ASCII bytes encoding/json copies as they are when
// not escaping HTML.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// appendJSONString appends s quoted as encoding/json quotes strings with
// HTML escaping off: short escapes where JSON has them, \u00XX for other
// controls, U+FFFD for invalid UTF-8, and U+2028 and U+2029 escaped.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			dst = append(dst, s[last:i]...)
			switch c {
			case '\\', '"':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			last = i
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			dst = append(dst, s[last:i]...)
			dst = append(dst, `\ufffd`...)
			last = i + n
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[last:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			last = i + n
		}
		i += n
	}
	dst = append(dst, s[last:]...)
	return append(dst, '"')
}

// jsonField appends `,"name":` (without the comma for the first field).
func jsonField(dst []byte, name string) []byte {
	if dst[len(dst)-1] != '{' {
		dst = append(dst, ',')
	}
	dst = append(dst, '"')
	dst = append(dst, name...)
	return append(dst, `":`...)
}

// appendJSONTime appends t as time.Time's MarshalJSON does; ok is false
// for an instant it refuses (a year outside 0-9999, an offset of 24 hours
// or more), whose error only the reference reports.
func appendJSONTime(dst []byte, t time.Time) (_ []byte, ok bool) {
	n0 := len(dst) + 1
	dst = append(dst, '"')
	dst = t.AppendFormat(dst, time.RFC3339Nano)
	b := dst[n0:]
	if len(b) < len("2006-01-02T15:04:05Z") || b[4] != '-' {
		return dst, false
	}
	if b[len(b)-1] != 'Z' {
		c := b[len(b)-len("Z07:00")]
		h := b[len(b)-len("07:00"):]
		if '0' <= c && c <= '9' || 10*(h[0]-'0')+(h[1]-'0') >= 24 {
			return dst, false
		}
	}
	return append(dst, '"'), true
}

// encBufs holds scratch buffers items are encoded into before being
// copied out at their exact size: items are kept until every document
// listing them is written, and a generous capacity would be kept too.
var encBufs = sync.Pool{New: func() any { return new([]byte) }}

// encodeExact runs enc on a scratch buffer and returns a copy of what it
// appended.
func encodeExact(enc func([]byte) ([]byte, error)) ([]byte, error) {
	buf := encBufs.Get().(*[]byte)
	defer encBufs.Put(buf)
	b, err := enc((*buf)[:0])
	if err != nil {
		return nil, err
	}
	*buf = b
	return append(make([]byte, 0, len(b)), b...), nil
}

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

// appendJSONAuthors appends the "authors" field, left out when empty.
func appendJSONAuthors(dst []byte, authors []*feeds.JSONAuthor) []byte {
	if len(authors) == 0 {
		return dst
	}
	dst = jsonField(dst, "authors")
	for i, a := range authors {
		if i > 0 {
			dst = append(dst, ',')
		} else {
			dst = append(dst, '[')
		}
		if a == nil {
			dst = append(dst, "null"...)
			continue
		}
		dst = append(dst, '{')
		for _, f := range [...]struct{ name, value string }{{"name", a.Name}, {"url", a.Url}, {"avatar", a.Avatar}} {
			if f.value != "" {
				dst = jsonField(dst, f.name)
				dst = appendJSONString(dst, f.value)
			}
		}
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

// RSS items, at the depth MarshalIndent(item, "    ", "  ") puts them.

// marshalRef is the reference encoding of the item.
func (it *rssItem) marshalRef() ([]byte, error) { return xml.MarshalIndent(it, "    ", "  ") }

// fast reports whether appendTo writes every field the item sets.
func (it *rssItem) fast() bool {
	return it.Comments == "" && it.Enclosure == nil && it.Source == ""
}

// appendTo appends the item's encoding.
func (it *rssItem) appendTo(dst []byte) ([]byte, error) {
	if !it.fast() {
		b, err := it.marshalRef()
		return append(dst, b...), err
	}
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

// Atom entries, at the depth MarshalIndent(entry, "  ", "  ") puts them.

// marshalRef is the reference encoding of the entry.
func (e *atomEntry) marshalRef() ([]byte, error) { return xml.MarshalIndent(e, "  ", "  ") }

// fast reports whether appendTo writes every field the entry sets.
func (e *atomEntry) fast() bool {
	return e.Xmlns == "" && e.Rights == "" && e.Source == "" && e.Contributor == nil
}

// appendTo appends the entry's encoding.
func (e *atomEntry) appendTo(dst []byte) ([]byte, error) {
	if !e.fast() {
		b, err := e.marshalRef()
		return append(dst, b...), err
	}
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
		dst = append(dst, nl+"<content"...)
		dst = xmlAttr(dst, "type", c.Type)
		dst = append(dst, '>')
		dst = appendXMLText(dst, c.Content)
		dst = append(dst, "</content>"...)
	}
	if e.Published != "" {
		dst = xmlElem(dst, nl, "published", e.Published)
	}
	dst = appendAtomLinks(dst, nl, e.Links)
	if s := e.Summary; s != nil {
		dst = append(dst, nl+"<summary"...)
		dst = xmlAttr(dst, "type", s.Type)
		dst = append(dst, '>')
		dst = appendXMLText(dst, s.Content)
		dst = append(dst, "</summary>"...)
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

// JSON Feed items, as marshalJSON writes them.

// marshalRef is the reference encoding of the item.
func (it *jsonItem) marshalRef() ([]byte, error) { return marshalJSON(it) }

// fast reports whether appendTo writes every field the item sets.
func (it *jsonItem) fast() bool {
	return it.ExternalUrl == "" && it.ContentText == "" && it.Image == "" && it.BannerImage == "" &&
		it.JSONItem.Author == nil && len(it.Attachments) == 0
}

// appendTo appends the item's encoding.
func (it *jsonItem) appendTo(dst []byte) ([]byte, error) {
	if !it.fast() {
		b, err := it.marshalRef()
		return append(dst, b...), err
	}
	n0 := len(dst)
	dst = append(dst, `{"id":`...)
	dst = appendJSONString(dst, it.Id)
	for _, f := range [...]struct{ name, value string }{
		{"url", it.Url},
		{"title", it.Title},
		{"content_html", it.ContentHTML},
		{"summary", it.Summary},
	} {
		if f.value != "" {
			dst = jsonField(dst, f.name)
			dst = appendJSONString(dst, f.value)
		}
	}
	for _, f := range [...]struct {
		name  string
		value *time.Time
	}{{"date_published", it.PublishedDate}, {"date_modified", it.ModifiedDate}} {
		if f.value == nil {
			continue
		}
		var ok bool
		dst = jsonField(dst, f.name)
		if dst, ok = appendJSONTime(dst, *f.value); !ok {
			b, err := it.marshalRef() // the reference's error
			return append(dst[:n0], b...), err
		}
	}
	dst = appendJSONAuthors(dst, it.Authors)
	if len(it.Tags) > 0 {
		dst = jsonField(dst, "tags")
		for i, t := range it.Tags {
			if i > 0 {
				dst = append(dst, ',')
			} else {
				dst = append(dst, '[')
			}
			dst = appendJSONString(dst, t)
		}
		dst = append(dst, ']')
	}
	if it.Language != "" {
		dst = jsonField(dst, "language")
		dst = appendJSONString(dst, it.Language)
	}
	return append(dst, '}'), nil
}

// Document heads: a document without items, as MarshalIndent(doc, "",
// "  ") or marshalJSON writes it. Documents are cut where the items go
// (see frame).

// marshalRef is the reference encoding of the document.
func (d *rssDocument) marshalRef() ([]byte, error) { return xml.MarshalIndent(d, "", "  ") }

// fast reports whether appendTo writes every field the document sets.
func (d *rssDocument) fast() bool {
	c := d.Channel
	return c != nil && c.Copyright == "" && c.ManagingEditor == "" && c.WebMaster == "" && c.RssFeed.Category == "" &&
		c.Cloud == "" && c.Ttl == 0 && c.Rating == "" && c.SkipHours == "" && c.SkipDays == "" &&
		c.Image == nil && c.TextInput == nil && len(c.Items) == 0
}

// appendTo appends the document's encoding.
func (d *rssDocument) appendTo(dst []byte) ([]byte, error) {
	if !d.fast() {
		b, err := d.marshalRef()
		return append(dst, b...), err
	}
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

// marshalRef is the reference encoding of the document.
func (a *atomFeed) marshalRef() ([]byte, error) { return xml.MarshalIndent(a, "", "  ") }

// fast reports whether appendTo writes every field the document sets.
func (a *atomFeed) fast() bool {
	return a.AtomFeed.Category == "" && a.Icon == "" && a.Logo == "" && a.Rights == "" &&
		a.Contributor == nil && len(a.Entries) == 0
}

// appendTo appends the document's encoding.
func (a *atomFeed) appendTo(dst []byte) ([]byte, error) {
	if !a.fast() {
		b, err := a.marshalRef()
		return append(dst, b...), err
	}
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

// marshalRef is the reference encoding of the document.
func (j *jsonFeed) marshalRef() ([]byte, error) { return marshalJSON(j) }

// fast reports whether appendTo writes every field the document sets.
func (j *jsonFeed) fast() bool {
	return j.UserComment == "" && j.NextUrl == "" && j.Icon == "" && j.Favicon == "" &&
		j.JSONFeed.Author == nil && j.Expired == nil && len(j.Hubs) == 0 && len(j.Items) == 0
}

// appendTo appends the document's encoding.
func (j *jsonFeed) appendTo(dst []byte) ([]byte, error) {
	if !j.fast() {
		b, err := j.marshalRef()
		return append(dst, b...), err
	}
	dst = append(dst, `{"version":`...)
	dst = appendJSONString(dst, j.Version)
	dst = append(dst, `,"title":`...)
	dst = appendJSONString(dst, j.Title)
	for _, f := range [...]struct{ name, value string }{
		{"language", j.Language},
		{"home_page_url", j.HomePageUrl},
		{"feed_url", j.FeedUrl},
		{"description", j.Description},
	} {
		if f.value != "" {
			dst = jsonField(dst, f.name)
			dst = appendJSONString(dst, f.value)
		}
	}
	dst = appendJSONAuthors(dst, j.Authors)
	if j.Items == nil {
		return append(dst, `,"items":null}`...), nil
	}
	return append(dst, `,"items":[]}`...), nil
}
