package feedgen

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/gorilla/feeds"
	"github.com/syndicate/syndicate/feedtext"
	"github.com/syndicate/syndicate/source"
)

// JSON Feed 1.1. gorilla's JSONFeed is used as is for the top level
// (feed_url, language and authors set); items gain the 1.1 item language,
// and the deprecated single author is left out.

type jsonFeed struct {
	feeds.JSONFeed
	// Items shadows gorilla's so that pre-encoded items can be spliced in.
	Items []json.RawMessage `json:"items"`
}

type jsonItem struct {
	feeds.JSONItem
	Language string `json:"language,omitempty"`
}

// jsonHeadOf is the feed's JSON Feed document without items.
func (p *Plan) jsonHeadOf(f *Feed) *jsonFeed {
	j := &jsonFeed{Items: []json.RawMessage{}}
	j.Version = "https://jsonfeed.org/version/1.1"
	j.Title = feedtext.Plain(p.title(f))
	j.HomePageUrl = p.alternateURL(f)
	j.FeedUrl = p.selfURL(f, JSON)
	j.Description = feedtext.Plain(p.description(f))
	j.Language = p.lang
	j.Icon, j.Favicon = p.Site.Logo, p.Site.Icon
	// JSON Feed 1.1 makes top-level authors every item's default, and
	// readers (Miniflux) join them to items' own: they are written only
	// when no item names an author of its own.
	if site := p.siteAuthor(); site.Name != "" && !p.anyAuthor(f.Posts) {
		j.Authors = []*feeds.JSONAuthor{{Name: site.Name, Url: site.URL}}
	}
	return j
}

// jsonItemOf is the post's JSON Feed item.
func (p *Plan) jsonItemOf(x *source.Post, t *postText) *jsonItem {
	it := &jsonItem{}
	it.Id = p.IDs[x]
	it.Url = t.link
	it.Title = t.title
	it.Summary = summaryText(x)
	// content_html is required (or content_text): without the full
	// content, the summary stands in.
	it.ContentHTML = t.content
	if it.ContentHTML == "" {
		it.ContentHTML = t.summary
	}
	pub, upd := x.Published, updatedOf(x)
	it.PublishedDate = &pub
	it.ModifiedDate = &upd
	for _, a := range t.authors {
		// JSON Feed authors have no e-mail (a name, url and avatar).
		it.Authors = append(it.Authors, &feeds.JSONAuthor{Name: a.Name, Url: a.URL})
	}
	it.Tags = t.categories
	if t.language != p.lang {
		it.Language = t.language
	}
	return it
}

// marshalJSON encodes without escaping <, > and & (content_html is full of
// them) and without the trailing newline.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// The fast encoder (see fastenc.go).

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

// JSON Feed items, as marshalJSON writes them.

// marshalRef is the reference encoding of the item.
func (it *jsonItem) marshalRef() ([]byte, error) { return marshalJSON(it) }

// fast reports whether appendFast writes every field the item sets.
func (it *jsonItem) fast() bool {
	return it.ExternalUrl == "" && it.ContentText == "" && it.Image == "" && it.BannerImage == "" &&
		it.JSONItem.Author == nil && len(it.Attachments) == 0
}

// appendFast appends the item's encoding (see wire).
func (it *jsonItem) appendFast(dst []byte) ([]byte, error) {
	n0 := len(dst)
	dst = append(dst, `{"id":`...)
	dst = appendJSONString(dst, it.Id)
	dst = appendJSONOptional(dst,
		jsonString{"url", it.Url},
		jsonString{"title", it.Title},
		jsonString{"content_html", it.ContentHTML},
		jsonString{"summary", it.Summary})
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
	dst = appendJSONOptional(dst, jsonString{"language", it.Language})
	return append(dst, '}'), nil
}

// marshalRef is the reference encoding of the document.
func (j *jsonFeed) marshalRef() ([]byte, error) { return marshalJSON(j) }

// fast reports whether appendFast writes every field the document sets.
func (j *jsonFeed) fast() bool {
	return j.UserComment == "" && j.NextUrl == "" && j.Icon == "" && j.Favicon == "" &&
		j.JSONFeed.Author == nil && j.Expired == nil && len(j.Hubs) == 0 && len(j.Items) == 0
}

// appendFast appends the document's encoding (see wire).
func (j *jsonFeed) appendFast(dst []byte) ([]byte, error) {
	dst = append(dst, `{"version":`...)
	dst = appendJSONString(dst, j.Version)
	dst = append(dst, `,"title":`...)
	dst = appendJSONString(dst, j.Title)
	dst = appendJSONOptional(dst,
		jsonString{"language", j.Language},
		jsonString{"home_page_url", j.HomePageUrl},
		jsonString{"feed_url", j.FeedUrl},
		jsonString{"description", j.Description})
	dst = appendJSONAuthors(dst, j.Authors)
	if j.Items == nil {
		return append(dst, `,"items":null}`...), nil
	}
	return append(dst, `,"items":[]}`...), nil
}

// anyAuthor says whether a post credits an author of its own.
func (p *Plan) anyAuthor(posts []*source.Post) bool {
	for _, x := range posts {
		for _, a := range x.Authors {
			if p.Site.Authors.credited(a) {
				return true
			}
		}
	}
	return false
}
