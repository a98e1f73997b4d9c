package feedgen

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/gorilla/feeds"
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

func (p *Plan) jsonHead(f *Feed) ([]byte, error) {
	j := &jsonFeed{Items: []json.RawMessage{}}
	j.Version = "https://jsonfeed.org/version/1.1"
	j.Title = p.title(f)
	j.HomePageUrl = p.alternateURL(f)
	j.FeedUrl = p.selfURL(f, JSON)
	j.Description = p.description(f)
	j.Language = p.Site.Language
	if p.Site.Author != "" {
		j.Authors = []*feeds.JSONAuthor{{Name: p.Site.Author}}
	}
	return marshalJSON(j)
}

func (p *Plan) jsonItem(x *source.Post) ([]byte, error) {
	it := &jsonItem{}
	it.Id = p.IDs[x]
	it.Url = x.Link
	it.Title = x.Title
	it.Summary = x.SummaryText
	if p.Options.SummaryOnly || x.ContentHTML == "" {
		it.ContentHTML = x.SummaryHTML
	} else {
		it.ContentHTML = x.ContentHTML
	}
	pub, upd := x.Published, x.Updated
	it.PublishedDate = &pub
	it.ModifiedDate = &upd
	for _, a := range x.Authors {
		it.Authors = append(it.Authors, &feeds.JSONAuthor{Name: a.Name, Url: a.URL})
	}
	seen := map[string]bool{}
	for _, t := range append(append([]string(nil), x.Tags...), x.Categories...) {
		if k := strings.ToLower(t); !seen[k] {
			seen[k] = true
			it.Tags = append(it.Tags, t)
		}
	}
	if x.Language != p.Site.Language {
		it.Language = x.Language
	}
	return marshalJSON(it)
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
