package pipeline

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/syndicate/syndicate/feedgen"
	"github.com/syndicate/syndicate/pubstate"
	"github.com/syndicate/syndicate/source"
)

// earlier is what the state says the site published, for a plan made
// now; the bodies of new files are read only if a rename must be told
// by body alone.
func (b *Builder) earlier(ctx context.Context, sc *source.Scanner, now time.Time) *feedgen.Earlier {
	e := b.cfg.State.Earlier(now, b.cfg.KeepEmpty)
	e.BodyHash = func(p *source.Post) string {
		h, err := sc.BodyHash(ctx, p)
		if err != nil {
			return "" // a file gone or changed since the scan matches nothing
		}
		return h
	}
	return e
}

// record writes what the build published into the state: its items
// (reading the body of each the state does not know from its file), its
// feeds with posts and its documents.
func (b *Builder) record(ctx context.Context, now time.Time, sc *source.Scanner, plan *feedgen.Plan, out Output) error {
	st := b.cfg.State
	items := plan.PublishedItems()
	for i := range items {
		if !st.HasBody(items[i].ID, items[i].Path) {
			items[i].BodyHash, _ = sc.BodyHash(ctx, plan.Needed[i]) // unknown when the file changed since
		}
	}
	entries, err := out.Published()
	if err != nil {
		return fmt.Errorf("state: read what was published: %w", err)
	}
	docs := make([]pubstate.Document, len(entries))
	for i, e := range entries {
		docs[i] = pubstate.Document{Path: e.Path, ETag: e.ETag, Changed: e.Modified}
		if e.Key != ([32]byte{}) {
			docs[i].Fingerprint = hex.EncodeToString(e.Key[:])
		}
	}
	return st.Record(ctx, pubstate.Build{Time: now, Items: items, Feeds: plan.PublishedFeeds(now), Documents: docs})
}
