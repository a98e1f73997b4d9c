package feedgen

import (
	"encoding/hex"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/syndicate/syndicate/fingerprint"
	"github.com/syndicate/syndicate/source"
)

// EncoderVersion is part of every document's fingerprint. Fingerprints
// are kept between builds (in the output folder's marker, and by serve in
// memory) to skip encoding documents whose inputs did not change, so they
// must change whenever a document's bytes would: bump EncoderVersion with
// every change to the encoders or to what they read (the RSS, Atom and
// JSON code, text cleaning, document assembly), and add every new Site,
// Options or source.Post field the encoders read to the hashes below
// (TestFingerprintCoversFields lists the fields and fails on a new one).
const EncoderVersion = 4

// Fingerprint identifies a document's bytes before it is encoded: a
// SHA-256 over everything the bytes depend on. Two documents with equal
// fingerprints have equal bytes; the zero Fingerprint is unknown and
// matches nothing.
type Fingerprint [32]byte

// IsZero reports whether the fingerprint is unknown.
func (f Fingerprint) IsZero() bool { return f == Fingerprint{} }

func (f Fingerprint) String() string { return hex.EncodeToString(f[:]) }

// postFingerprint covers every field of a post that the encoders read.
// Path, ID (its part is the plan's id, hashed with the document), Slug,
// SiteName, Draft and Page are not read by them.
func postFingerprint(x *source.Post) Fingerprint {
	h := fingerprint.New()
	h.Str("post")
	x.WriteFields(postFields{h})
	if x.RenderSum != ([16]byte{}) {
		// The source's own sum of the three fields below, made once
		// per render rather than on every build.
		h.Str("rendered")
		h.Sum16(x.RenderSum)
		return h.Sum()
	}
	h.Str(x.ContentHTML)
	h.Str(x.SummaryHTML)
	h.Str(x.SummaryText)
	return h.Sum()
}

// postFields hashes the fields source.Post.WriteFields hands it.
type postFields struct{ h *fingerprint.Hasher }

func (f postFields) Len(n int)        { f.h.Int(int64(n)) }
func (f postFields) Str(s string)     { f.h.Str(s) }
func (f postFields) Time(t time.Time) { f.h.Time(t) }

// siteHash covers everything common to all documents of a plan: the
// encoder version, the site and the options that change how items are
// written. Limit and Formats are not hashed: they decide which posts and
// which documents there are, and those are hashed with each document.
func (p *Plan) siteHash() Fingerprint {
	h := fingerprint.New()
	h.Str("syndicate feedgen")
	h.Int(EncoderVersion)
	s := p.Site
	for _, v := range []string{s.Title, s.Description, s.URL, s.FeedsURL, s.Language, s.Author,
		s.TagURL, s.CategoryURL, s.Icon, s.Logo, s.WordPressGUIDBase, s.Generator, s.GeneratorVersion, s.GeneratorURI} {
		h.Str(v)
	}
	if s.Authors != nil {
		h.Sum32(s.Authors.sum)
	}
	h.Bool(p.Options.SummaryOnly)
	return h.Sum()
}

// docFingerprint is a document's fingerprint from the site's part and
// its posts' fingerprints.
func (p *Plan) docFingerprint(site Fingerprint, f *Feed, format Format, posts map[*source.Post]Fingerprint) Fingerprint {
	h := fingerprint.New()
	h.Sum32(site)
	h.Str(string(format))
	h.Str(string(f.Kind))
	h.Str(f.Name)
	h.Str(f.Slug)
	h.Str(f.HomePage)
	h.Int(int64(len(f.Posts)))
	if len(f.Posts) == 0 {
		h.Time(f.LastPost)
	}
	for _, x := range f.Posts {
		h.Str(p.IDs[x])
		h.Sum32(posts[x])
	}
	return h.Sum()
}

// PlannedDocument is a document the plan will produce, known before it
// is encoded.
type PlannedDocument struct {
	Path        string
	Feed        *Feed
	Format      Format
	Fingerprint Fingerprint
}

// Documents lists every document of the plan, sorted by path, with its
// fingerprint. Nothing is encoded: the posts' fields are hashed, once per
// plan, in parallel. The plan and its posts must not change afterwards.
func (p *Plan) Documents() []PlannedDocument {
	p.docsOnce.Do(p.planDocuments)
	return p.docs
}

func (p *Plan) planDocuments() {
	prev := p.prev
	p.prev = nil // no chain of plans stays reachable
	p.site = p.siteHash()
	var prevDocs map[string]*PlannedDocument
	if prev != nil && prev.Documents() != nil && prev.site == p.site {
		prevDocs = make(map[string]*PlannedDocument, len(prev.docs))
		for i := range prev.docs {
			prevDocs[prev.docs[i].Path] = &prev.docs[i]
		}
	}
	docs := make([]PlannedDocument, 0, len(p.Feeds)*len(p.Options.Formats))
	var todo []int // indices in docs still to hash
	for _, f := range p.Feeds {
		for _, format := range p.Options.Formats {
			pd := PlannedDocument{Path: f.Path(format), Feed: f, Format: format}
			if old := prevDocs[pd.Path]; old != nil && old.Format == format && p.sameFeed(f, prev, old.Feed) {
				pd.Fingerprint = old.Fingerprint
			} else {
				todo = append(todo, len(docs))
			}
			docs = append(docs, pd)
		}
	}

	// The fingerprints of the posts the documents to hash list, taken
	// from prev where it has them, else hashed in parallel.
	p.postFPs = make(map[*source.Post]Fingerprint, len(p.Needed))
	var fresh []*source.Post
	for _, i := range todo {
		for _, x := range docs[i].Feed.Posts {
			if _, ok := p.postFPs[x]; ok {
				continue
			}
			fp, ok := Fingerprint{}, false
			if prevDocs != nil {
				fp, ok = prev.postFPs[x]
			}
			p.postFPs[x] = fp
			if !ok {
				fresh = append(fresh, x)
			}
		}
	}
	sums := make([]Fingerprint, len(fresh))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(fresh)/64))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(fresh); i += workers {
				sums[i] = postFingerprint(fresh[i])
			}
		})
	}
	wg.Wait()
	for i, x := range fresh {
		p.postFPs[x] = sums[i]
	}
	// Posts of reused documents keep their fingerprints for the next plan.
	if prevDocs != nil {
		for _, x := range p.Needed {
			if _, ok := p.postFPs[x]; !ok {
				if fp, ok := prev.postFPs[x]; ok {
					p.postFPs[x] = fp
				}
			}
		}
	}
	for _, i := range todo {
		docs[i].Fingerprint = p.docFingerprint(p.site, docs[i].Feed, docs[i].Format, p.postFPs)
	}
	sort.Slice(docs, func(i, j int) bool { return docs[i].Path < docs[j].Path })
	p.docs = docs
}

// sameFeed says whether f lists exactly the posts old, a feed of prev,
// listed, under the same ids; name and slug are in f's path.
func (p *Plan) sameFeed(f *Feed, prev *Plan, old *Feed) bool {
	if f.Kind != old.Kind || f.Name != old.Name || f.Slug != old.Slug || len(f.Posts) != len(old.Posts) ||
		!f.LastPost.Equal(old.LastPost) {
		return false
	}
	for i, x := range f.Posts {
		if old.Posts[i] != x || p.IDs[x] != prev.IDs[x] {
			return false
		}
	}
	return true
}
