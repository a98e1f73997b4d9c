package feedgen

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestWith: a snapshot with more documents holds s's and the new ones
// (a new one replacing s's at its path), its Paths the sorted paths of
// all, whatever order the new ones come in; s is not changed.
func TestWith(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for round := range 200 {
		s := &Snapshot{Docs: map[string]*Document{}, Encoded: 3}
		for range rng.IntN(30) {
			p := fmt.Sprintf("%c/%d", 'a'+rng.IntN(5), rng.IntN(40))
			s.Docs[p] = &Document{Path: p}
		}
		s.Paths = slices.Sorted(maps.Keys(s.Docs))
		before := maps.Clone(s.Docs)
		var docs []*Document
		for range rng.IntN(30) {
			docs = append(docs, &Document{Path: fmt.Sprintf("%c/%d", 'a'+rng.IntN(6), rng.IntN(40))})
		}
		if round%2 == 0 {
			slices.SortFunc(docs, func(a, b *Document) int { return strings.Compare(a.Path, b.Path) })
		}
		got := s.With(2, docs)
		want := maps.Clone(s.Docs)
		for _, d := range docs {
			want[d.Path] = d
		}
		if !maps.Equal(got.Docs, want) {
			t.Fatalf("round %d: documents %v, want %v", round, got.Docs, want)
		}
		if w := slices.Sorted(maps.Keys(want)); !slices.Equal(got.Paths, w) {
			t.Fatalf("round %d: paths %q, want %q", round, got.Paths, w)
		}
		if got.Encoded != 5 {
			t.Errorf("round %d: Encoded %d, want 5", round, got.Encoded)
		}
		if !maps.Equal(s.Docs, before) || !slices.Equal(s.Paths, slices.Sorted(maps.Keys(before))) {
			t.Fatalf("round %d: s changed", round)
		}
	}
}
