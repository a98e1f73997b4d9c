package feedgen

import (
	"maps"
	"slices"
	"time"
)

// URL is the public address of the feed's document in format, as its
// self link gives it: what a person copies into a feed reader.
func (p *Plan) URL(f *Feed, format Format) string { return p.selfURL(f, format) }

// AlternateURL is the site's own page the feed mirrors (its alternate
// link).
func (p *Plan) AlternateURL(f *Feed) string { return p.alternateURL(f) }

// Title is the feed's title as its documents carry it, before the
// characters no feed may carry are dropped.
func (p *Plan) Title(f *Feed) string { return p.title(f) }

// Description is the feed's description (RSS description, Atom subtitle)
// before the characters no feed may carry are dropped.
func (p *Plan) Description(f *Feed) string { return p.description(f) }

// Updated is the newest update of the feed's posts (a post's update is
// never before its publication), zero for a feed without posts: the
// documents' Modified.
func (f *Feed) Updated() time.Time {
	var u time.Time
	for _, x := range f.Posts {
		if t := updatedOf(x); t.After(u) {
			u = t
		}
	}
	return u
}

// With is a snapshot holding s's documents and docs besides (a document
// of docs replaces s's at the same path), for documents made from the
// same plan by another package, such as pages about the feeds; encoded
// of docs were made by this build (Snapshot.Encoded). s is not changed.
func (s *Snapshot) With(encoded int, docs []*Document) *Snapshot {
	out := &Snapshot{Docs: make(map[string]*Document, len(s.Docs)+len(docs)), Encoded: s.Encoded + encoded}
	maps.Copy(out.Docs, s.Docs)
	var added []string // the paths s lacks, each once
	for _, d := range docs {
		if _, ok := out.Docs[d.Path]; !ok {
			added = append(added, d.Path)
		}
		out.Docs[d.Path] = d
	}
	// s.Paths is sorted, and so is added most often (the pages come
	// sorted): a merge rather than a sort of every path, which a
	// rebuild of a large site felt.
	slices.Sort(added)
	out.Paths = make([]string, 0, len(s.Paths)+len(added))
	i := 0
	for _, p := range added {
		for i < len(s.Paths) && s.Paths[i] < p {
			out.Paths = append(out.Paths, s.Paths[i])
			i++
		}
		out.Paths = append(out.Paths, p)
	}
	out.Paths = append(out.Paths, s.Paths[i:]...)
	return out
}
