package feedgen

import (
	"fmt"
	"strings"
	"time"

	"github.com/syndicate/syndicate/source"
)

// Format is a feed document format.
type Format string

// The formats syndicate writes.
const (
	RSS  Format = "rss"
	Atom Format = "atom"
	JSON Format = "json"
)

// Formats lists every supported format in output order.
var Formats = []Format{RSS, Atom, JSON}

// formatUnit is everything the encoder knows of one format: the wire
// values its adapters (rss.go, atom.go, jsonfeed.go) make of a feed and a
// post, and how items sit inside the encoded head. The table below is
// the only place that tells formats apart.
type formatUnit struct {
	contentType string
	xml         bool // the document starts with the XML declaration
	// head is the feed's head with no items; closing is where the items
	// go in its encoding, lead comes before the first item, sep between
	// items and trail after the last (or after the head when there is
	// none).
	head                      func(p *Plan, f *Feed, updated, published time.Time) wire
	closing, lead, sep, trail string
	item                      func(p *Plan, x *source.Post, t *postText) wire
}

// units holds the formats in output order (Formats); a format's index in
// it keys per-format state (formatIndex).
var units = [...]formatUnit{
	{
		contentType: "application/rss+xml; charset=utf-8", xml: true,
		head:    func(p *Plan, f *Feed, updated, published time.Time) wire { return p.rssHeadOf(f, updated, published) },
		closing: "</channel>", lead: "\n", sep: "\n", trail: "\n  ",
		item: func(p *Plan, x *source.Post, t *postText) wire { return p.rssItemOf(x, t) },
	},
	{
		contentType: "application/atom+xml; charset=utf-8", xml: true,
		head: func(p *Plan, f *Feed, updated, _ time.Time) wire {
			if updated.IsZero() {
				updated = time.Unix(0, 0).UTC() // an empty feed still needs <updated>
			}
			return p.atomHeadOf(f, updated)
		},
		closing: "</feed>", lead: "\n", sep: "\n", trail: "\n",
		item: func(p *Plan, x *source.Post, t *postText) wire { return p.atomEntryOf(x, t) },
	},
	{
		contentType: "application/feed+json; charset=utf-8",
		head:        func(p *Plan, f *Feed, _, _ time.Time) wire { return p.jsonHeadOf(f) },
		closing:     "]}", lead: "", sep: ",", trail: "",
		item: func(p *Plan, x *source.Post, t *postText) wire { return p.jsonItemOf(x, t) },
	},
}

// formatIndex is f's index in units and Formats, -1 for an unknown
// format.
func formatIndex(f Format) int {
	for i, g := range Formats {
		if g == f {
			return i
		}
	}
	return -1
}

// unit is f's entry in units, nil for an unknown format.
func (f Format) unit() *formatUnit {
	if i := formatIndex(f); i >= 0 {
		return &units[i]
	}
	return nil
}

// ContentType is what a server should send, so readers and validators
// recognise the document without sniffing.
func (f Format) ContentType() string {
	if u := f.unit(); u != nil {
		return u.contentType
	}
	return "application/octet-stream"
}

// FileName is the document's name inside its feed folder.
func (f Format) FileName() string { return "feed." + string(f) }

// ParseFormat accepts the names used in config.yaml.
func ParseFormat(s string) (Format, error) {
	if f := Format(strings.ToLower(strings.TrimSpace(s))); f.unit() != nil {
		return f, nil
	}
	return "", fmt.Errorf("unknown feed format %q (want rss, atom or json)", s)
}
