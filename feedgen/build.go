package feedgen

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"runtime"
	"sort"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/syndicate/syndicate/source"
)

// Document is one encoded feed, immutable once built.
type Document struct {
	// Path is relative to the feed tree, e.g. "tags/go/feed.atom".
	Path        string
	Format      Format
	ContentType string
	Body        []byte
	// ETag is a strong validator of Body, quoted.
	ETag string
	// Modified is the newest update of the document's items; zero for a
	// feed without items.
	Modified time.Time
}

// Snapshot is a complete set of documents from one build; servers swap
// whole snapshots so that a request never sees two builds mixed.
type Snapshot struct {
	Docs map[string]*Document
	// Paths lists the documents' paths in sorted order.
	Paths []string
}

// encodedItem holds one post's item in each format.
type encodedItem [3][]byte

func formatIndex(f Format) int {
	switch f {
	case RSS:
		return 0
	case Atom:
		return 1
	}
	return 2
}

// Build encodes every feed of the plan in every format. Every post in
// p.Needed must have been rendered.
func (p *Plan) Build(ctx context.Context) (*Snapshot, error) {
	for _, x := range p.Needed {
		if !x.Rendered() {
			return nil, fmt.Errorf("feedgen: post %s was not rendered", x.Path)
		}
	}
	workers := runtime.GOMAXPROCS(0)
	items := make(map[*source.Post]*encodedItem, len(p.Needed))
	for _, x := range p.Needed {
		items[x] = new(encodedItem)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for _, x := range p.Needed {
		enc := items[x]
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			for _, f := range p.Options.Formats {
				var b []byte
				var err error
				switch f {
				case RSS:
					b, err = p.rssItem(x)
				case Atom:
					b, err = p.atomEntry(x)
				case JSON:
					b, err = p.jsonItem(x)
				}
				if err != nil {
					return fmt.Errorf("feedgen: encode %s as %s: %w", x.Path, f, err)
				}
				enc[formatIndex(f)] = b
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}

	type job struct {
		feed   *Feed
		format Format
	}
	var jobs []job
	for _, f := range p.Feeds {
		for _, format := range p.Options.Formats {
			jobs = append(jobs, job{f, format})
		}
	}
	docs := make([]*Document, len(jobs))
	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for i, j := range jobs {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			d, err := p.document(j.feed, j.format, items)
			if err != nil {
				return fmt.Errorf("feedgen: %s: %w", j.feed.Path(j.format), err)
			}
			docs[i] = d
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	s := &Snapshot{Docs: make(map[string]*Document, len(docs))}
	for _, d := range docs {
		s.Docs[d.Path] = d
		s.Paths = append(s.Paths, d.Path)
	}
	sort.Strings(s.Paths)
	return s, nil
}

// document assembles a feed: the encoded head with the items spliced in
// before its closing tag (or closing bracket of "items").
func (p *Plan) document(f *Feed, format Format, items map[*source.Post]*encodedItem) (*Document, error) {
	var updated, published time.Time
	for _, x := range f.Posts {
		if u := updatedOf(x); u.After(updated) {
			updated = u
		}
		if x.Published.After(published) {
			published = x.Published
		}
	}
	var head []byte
	var err error
	var closing, sep, lead string
	switch format {
	case RSS:
		head, err = p.rssHead(f, updated, published)
		closing, sep, lead = "</channel>", "\n", "\n"
	case Atom:
		feedUpdated := updated
		if feedUpdated.IsZero() {
			feedUpdated = time.Unix(0, 0).UTC() // an empty feed still needs <updated>
		}
		head, err = p.atomHead(f, feedUpdated)
		closing, sep, lead = "</feed>", "\n", "\n"
	case JSON:
		head, err = p.jsonHead(f)
		closing, sep, lead = "]}", ",", ""
	}
	if err != nil {
		return nil, err
	}
	at := bytes.LastIndex(head, []byte(closing))
	if at < 0 {
		return nil, fmt.Errorf("encoded head has no %s", closing)
	}
	idx := formatIndex(format)
	size := len(head) + 64
	for _, x := range f.Posts {
		size += len(items[x][idx]) + 1
	}
	body := make([]byte, 0, size)
	if format != JSON {
		body = append(body, xmlHeader...)
	}
	tail := head[at:]
	head = bytes.TrimRight(head[:at], " \n")
	body = append(body, head...)
	for i, x := range f.Posts {
		if i > 0 {
			body = append(body, sep...)
		} else {
			body = append(body, lead...)
		}
		body = append(body, items[x][idx]...)
	}
	if format != JSON {
		body = append(body, '\n')
		if format == RSS {
			body = append(body, "  "...)
		}
	}
	body = append(body, tail...)
	body = append(body, '\n')
	sum := sha256.Sum256(body)
	return &Document{
		Path:        f.Path(format),
		Format:      format,
		ContentType: format.ContentType(),
		Body:        body,
		ETag:        `"` + hex.EncodeToString(sum[:16]) + `"`,
		Modified:    updated,
	}, nil
}

const xmlHeader = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

func generatorText(s Site) string {
	if s.GeneratorVersion != "" {
		return s.Generator + " " + s.GeneratorVersion
	}
	return s.Generator
}
