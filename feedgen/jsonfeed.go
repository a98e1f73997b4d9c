package feedgen

import (
	"bytes"
	"encoding/json"
	"strings"

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
	j.Language = feedtext.Plain(p.Site.Language)
	if name := strings.TrimSpace(feedtext.Plain(p.Site.Author)); name != "" {
		j.Authors = []*feeds.JSONAuthor{{Name: name}}
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
		// JSON Feed authors have no e-mail; an author needs a name or URL.
		if a.Name != "" || a.URL != "" {
			it.Authors = append(it.Authors, &feeds.JSONAuthor{Name: a.Name, Url: a.URL})
		}
	}
	it.Tags = t.categories
	if x.Language != p.Site.Language {
		it.Language = feedtext.Plain(x.Language)
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
