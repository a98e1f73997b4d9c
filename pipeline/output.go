package pipeline

import (
	"context"
	"sync"

	"github.com/syndicate/syndicate/feedgen"
	"github.com/syndicate/syndicate/outtree"
	"github.com/syndicate/syndicate/pages"
	"github.com/syndicate/syndicate/source"
)

// Output is where a build's documents go: the plan's feeds and the
// documents about them (package pages: pg, made from the plan). An
// output that already holds some of them (from an earlier build) says so
// through Lacking, so that only the posts of the others are rendered, and
// keeps them rather than encode them again.
type Output interface {
	// Lacking lists, in the order of plan.Needed, the posts listed by the
	// documents that this output does not already hold: Write reads the
	// HTML of these posts only.
	Lacking(plan *feedgen.Plan, pg *pages.Set) []*source.Post
	// Write publishes the documents, whole or not at all.
	Write(ctx context.Context, plan *feedgen.Plan, pg *pages.Set) (outtree.Stats, error)
	// Published describes the documents the last Write published, for
	// the publication state.
	Published() ([]outtree.Entry, error)
}

var (
	_ Output = (*Memory)(nil)
	_ Output = Dir("")
)

// Memory holds the last build's documents as a snapshot in memory, for
// the HTTP server to publish. Each build reuses the documents of the last
// snapshot whose inputs did not change: the new snapshot holds the very
// same *feedgen.Document for them. Safe for concurrent use.
type Memory struct {
	mu   sync.Mutex
	snap *feedgen.Snapshot
}

// Snapshot is the last snapshot written, or nil before the first.
func (m *Memory) Snapshot() *feedgen.Snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.snap
}

// Lacking lists the posts of the documents the last snapshot lacks.
func (m *Memory) Lacking(plan *feedgen.Plan, pg *pages.Set) []*source.Post {
	snap := m.Snapshot()
	return union(plan, plan.PostsToEncode(snap), pg.Lacking(snap))
}

// Write encodes the plan's documents that the last snapshot lacks and
// makes the result the snapshot.
func (m *Memory) Write(ctx context.Context, plan *feedgen.Plan, pg *pages.Set) (outtree.Stats, error) {
	prev := m.Snapshot()
	snap, err := plan.Build(ctx, prev)
	if err != nil {
		return outtree.Stats{}, err
	}
	docs, made, err := pg.Build(ctx, prev)
	if err != nil {
		return outtree.Stats{}, err
	}
	snap = snap.With(made, docs)
	m.mu.Lock()
	m.snap = snap
	m.mu.Unlock()
	return outtree.Stats{Documents: len(snap.Paths), Written: snap.Encoded}, nil
}

// Published describes the documents of the last snapshot.
func (m *Memory) Published() ([]outtree.Entry, error) {
	snap := m.Snapshot()
	if snap == nil {
		return nil, nil
	}
	out := make([]outtree.Entry, 0, len(snap.Paths))
	for _, p := range snap.Paths {
		d := snap.Docs[p]
		out = append(out, outtree.Entry{Path: p, Key: d.Fingerprint, ETag: d.ETag, Size: d.Len(), Modified: d.Modified})
	}
	return out, nil
}

// Dir is an output folder, replaced whole and atomically by each write
// (feedgen.Plan.WriteTree): documents are encoded straight into it, never
// all in memory at once, and those the folder already holds unchanged
// (by its manifest) are linked rather than encoded again.
type Dir string

// Lacking lists the posts of the documents the folder does not hold.
func (d Dir) Lacking(plan *feedgen.Plan, pg *pages.Set) []*source.Post {
	held := feedgen.ReadTree(string(d))
	return union(plan, plan.PostsToEncode(held), pg.Lacking(held))
}

// Write writes the documents into the folder.
func (d Dir) Write(ctx context.Context, plan *feedgen.Plan, pg *pages.Set) (outtree.Stats, error) {
	return plan.WriteTree(ctx, string(d), pg.Job())
}

// union is the posts of both lists, each in the order of plan.Needed, in
// that order.
func union(plan *feedgen.Plan, a, b []*source.Post) []*source.Post {
	if len(b) == 0 {
		return a
	}
	return plan.Listed(a, b)
}

// Published describes the documents in the folder, from its manifest.
func (d Dir) Published() ([]outtree.Entry, error) {
	m, err := outtree.ReadManifest(string(d))
	if err != nil {
		return nil, err
	}
	return m.Entries, nil
}
