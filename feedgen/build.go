package feedgen

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/klauspost/compress/gzip"

	"github.com/syndicate/syndicate/source"
)

// Document is one encoded feed, immutable once built.
type Document struct {
	// Path is relative to the feed tree, e.g. "tags/go/feed.atom".
	Path        string
	Format      Format
	ContentType string
	// Body is the document; nil when it is held compressed (Gzip).
	Body []byte
	// Gzip is Body gzip-compressed (Options.Compressed), else nil.
	Gzip []byte
	// Size is the length of Body, held or not.
	Size int64
	// ETag is ETag(Body), a strong validator of Body, quoted.
	ETag string
	// Modified is the newest update of the document's items; zero for a
	// feed without items.
	Modified time.Time
	// Fingerprint identifies the inputs Body was made from (see
	// Plan.Documents); zero for a document made otherwise.
	Fingerprint Fingerprint
}

// Snapshot is a complete set of documents from one build; servers swap
// whole snapshots so that a request never sees two builds mixed.
type Snapshot struct {
	Docs map[string]*Document
	// Paths lists the documents' paths in sorted order.
	Paths []string
	// Encoded counts the documents this build encoded; the others are
	// the previous snapshot's, reused.
	Encoded int
}

// checkRendered fails on a needed post that was not rendered.
func (p *Plan) checkRendered(posts []*source.Post) error {
	for _, x := range posts {
		if !x.Rendered() {
			return fmt.Errorf("feedgen: post %s was not rendered", x.Path)
		}
	}
	return nil
}

// Holder is an earlier output: a snapshot in memory, or a tree written to
// disk (ReadTree). Holds reports whether it holds the planned document as
// it would be encoded now (the same fingerprint at the same path), so
// that the document need not be encoded again.
type Holder interface {
	Holds(pd PlannedDocument) bool
}

var (
	_ Holder = (*Snapshot)(nil)
	_ Holder = (*Tree)(nil)
)

// Holds reports whether the snapshot (nil holds nothing) has pd's
// document with pd's fingerprint.
func (s *Snapshot) Holds(pd PlannedDocument) bool {
	if s == nil || pd.Fingerprint.IsZero() {
		return false
	}
	d := s.Docs[pd.Path]
	return d != nil && d.Fingerprint == pd.Fingerprint && d.Format == pd.Format
}

// PostsToEncode lists, in the order of Needed, the posts listed by the
// documents that held (nil: no earlier output) lacks: the only posts
// whose HTML Build(ctx, prev) or WriteTree reads when held is prev or the
// tree being replaced. A process that keeps only its posts' RenderSums
// between builds renders these first. Fingerprints need, for every post
// in Needed, its HTML or its RenderSum.
func (p *Plan) PostsToEncode(held Holder) []*source.Post {
	var lists [][]*source.Post
	for _, pd := range p.Documents() {
		if held == nil || !held.Holds(pd) {
			lists = append(lists, pd.Feed.Posts)
		}
	}
	return p.Listed(lists...)
}

// Listed returns the posts of Needed that any of lists holds, in the
// order of Needed: the posts some documents list, in the order a build
// renders them (PostsToEncode, and the pages' own posts to render).
func (p *Plan) Listed(lists ...[]*source.Post) []*source.Post {
	n := 0
	for _, l := range lists {
		n += len(l)
	}
	in := make(map[*source.Post]bool, min(n, len(p.Needed)))
	for _, l := range lists {
		for _, x := range l {
			in[x] = true
		}
	}
	out := make([]*source.Post, 0, len(in))
	for _, x := range p.Needed {
		if in[x] {
			out = append(out, x)
		}
	}
	return out
}

// Build encodes every feed of the plan in every format into memory.
// Every post in p.Needed must have been rendered.
//
// prev, when not nil, is an earlier build's snapshot (typically the one
// being served): a document whose fingerprint equals that of prev's
// document at the same path is not encoded again, and the new snapshot
// holds prev's *Document for it, bytes, ETag and Modified alike. Only the
// posts that documents to encode list are encoded, each once per format.
func (p *Plan) Build(ctx context.Context, prev *Snapshot) (*Snapshot, error) {
	if err := p.checkRendered(p.PostsToEncode(prev)); err != nil {
		return nil, err
	}
	size := &budget{what: "size", key: "limits.output_bytes", max: p.Options.MaxOutputBytes}
	held := &budget{what: "held size", key: "limits.held_bytes", max: p.Options.MaxHeldBytes}
	take := func(d *Document) error {
		if err := size.take(d.Len(), d.Path); err != nil {
			return err
		}
		return held.take(int64(len(d.Body)+len(d.Gzip)), d.Path)
	}
	planned := p.Documents()
	s := &Snapshot{Docs: make(map[string]*Document, len(planned)), Paths: make([]string, len(planned))}
	docs := make([]*Document, len(planned))
	var todo []int
	for i, pd := range planned {
		s.Paths[i] = pd.Path
		if prev.Holds(pd) {
			docs[i] = prev.Docs[pd.Path]
			if err := take(docs[i]); err != nil {
				return nil, err
			}
			continue
		}
		todo = append(todo, i)
	}
	if err := p.checkOutputBound(size.used.Load(), planned, todo); err != nil {
		return nil, err
	}
	orderByFormat(planned, todo)
	items := newItemCache(p, planned, todo)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, i := range todo {
		pd := planned[i]
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			d, err := p.document(pd, items)
			if err != nil {
				return fmt.Errorf("feedgen: %s: %w", pd.Path, err)
			}
			if err := take(d); err != nil {
				return err
			}
			docs[i] = d
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for _, d := range docs {
		s.Docs[d.Path] = d
	}
	s.Encoded = len(todo)
	return s, nil
}

// orderByFormat sorts the indices of documents to encode by format, then
// path: one format's documents are done before the next format's begin,
// so only one format's item encodings are kept at a time.
func orderByFormat(planned []PlannedDocument, todo []int) {
	sort.SliceStable(todo, func(a, b int) bool {
		fa, fb := formatIndex(planned[todo[a]].Format), formatIndex(planned[todo[b]].Format)
		if fa != fb {
			return fa < fb
		}
		return todo[a] < todo[b]
	})
}

// itemCache encodes each post at most once per format, when a document
// first needs it, and forgets the encoding once every document listing it
// has used it.
type itemCache struct {
	p     *Plan
	slots map[*source.Post]*itemSlot
}

type itemSlot struct {
	textOnce sync.Once
	text     *postText
	once     [len(units)]sync.Once
	enc      [len(units)][]byte
	err      [len(units)]error
	// refs counts the documents still to use each encoding.
	refs [len(units)]atomic.Int32
}

func newItemCache(p *Plan, planned []PlannedDocument, todo []int) *itemCache {
	c := &itemCache{p: p, slots: make(map[*source.Post]*itemSlot)}
	for _, i := range todo {
		pd := planned[i]
		k := formatIndex(pd.Format)
		for _, x := range pd.Feed.Posts {
			s := c.slots[x]
			if s == nil {
				s = new(itemSlot)
				c.slots[x] = s
			}
			s.refs[k].Add(1)
		}
	}
	return c
}

// get is the post's item in the format, encoded on first use.
func (c *itemCache) get(x *source.Post, f Format) ([]byte, error) {
	s, k := c.slots[x], formatIndex(f)
	s.once[k].Do(func() {
		s.textOnce.Do(func() { s.text = c.p.postText(x) })
		s.enc[k], s.err[k] = c.p.encodeText(x, s.text, f)
		if s.err[k] != nil {
			s.err[k] = fmt.Errorf("encode %s as %s: %w", x.Path, f, s.err[k])
		}
	})
	return s.enc[k], s.err[k]
}

// release says one document is done with the post's item in the format.
func (c *itemCache) release(x *source.Post, f Format) {
	s, k := c.slots[x], formatIndex(f)
	if s.refs[k].Add(-1) == 0 {
		s.enc[k] = nil
	}
}

// itemsEncoded counts item encodings, for tests.
var itemsEncoded atomic.Int64

// encodeText encodes the post's item in the format from t, its text as
// postText cleans it.
func (p *Plan) encodeText(x *source.Post, t *postText, f Format) ([]byte, error) {
	itemsEncoded.Add(1)
	return encodeExact(p.wireItem(x, t, f))
}

// wireItem is the post's item in the format, not yet encoded.
func (p *Plan) wireItem(x *source.Post, t *postText, f Format) wire {
	return f.unit().item(p, x, t)
}

// frame is a document without its items: the encoded head, cut where
// the items go.
type frame struct {
	head, tail []byte
	// lead comes before the first item, sep between items and trail
	// after the last (or after the head when there is none).
	lead, sep, trail string
	modified         time.Time
}

// frame encodes the feed's head and cuts it before its closing tag (or
// the closing bracket of "items").
func (p *Plan) frame(f *Feed, format Format) (*frame, error) {
	var updated, published time.Time
	for _, x := range f.Posts {
		if u := updatedOf(x); u.After(updated) {
			updated = u
		}
		if x.Published.After(published) {
			published = x.Published
		}
	}
	if len(f.Posts) == 0 && !f.LastPost.IsZero() {
		updated, published = f.LastPost, f.LastPost // a feed kept without posts
	}
	u := format.unit()
	if u == nil {
		return nil, fmt.Errorf("unknown format %q", format)
	}
	fr := &frame{modified: updated, lead: u.lead, sep: u.sep, trail: u.trail}
	head, closing := u.head(p, f, updated, published), u.closing
	// One buffer, big enough for any head but a very long title, holds
	// the XML declaration and the head, which is cut in place.
	buf := make([]byte, 0, 2048)
	if u.xml {
		buf = append(buf, xmlHeader...)
	}
	n0 := len(buf)
	buf, err := appendWire(buf, head)
	if err != nil {
		return nil, err
	}
	at := bytes.LastIndex(buf[n0:], []byte(closing))
	if at < 0 {
		return nil, fmt.Errorf("encoded head has no %s", closing)
	}
	at += n0
	fr.tail = append(append(make([]byte, 0, len(buf)-at+1), buf[at:]...), '\n')
	fr.head = buf[:n0+len(bytes.TrimRight(buf[n0:at], " \n"))]
	return fr, nil
}

// size is the length of the document with these items.
func (fr *frame) size(items [][]byte) int {
	n := len(fr.head) + len(fr.trail) + len(fr.tail)
	for i, it := range items {
		if i > 0 {
			n += len(fr.sep)
		} else {
			n += len(fr.lead)
		}
		n += len(it)
	}
	return n
}

// appendTo appends the whole document to dst.
func (fr *frame) appendTo(dst []byte, items [][]byte) []byte {
	dst = append(dst, fr.head...)
	for i, it := range items {
		if i > 0 {
			dst = append(dst, fr.sep...)
		} else {
			dst = append(dst, fr.lead...)
		}
		dst = append(dst, it...)
	}
	dst = append(dst, fr.trail...)
	return append(dst, fr.tail...)
}

// render assembles a planned document into buf (reset first) and
// releases its items.
func (p *Plan) render(pd PlannedDocument, items *itemCache, buf []byte) ([]byte, time.Time, error) {
	fr, err := p.frame(pd.Feed, pd.Format)
	if err != nil {
		return nil, time.Time{}, err
	}
	encs := make([][]byte, len(pd.Feed.Posts))
	defer func() {
		for _, x := range pd.Feed.Posts {
			items.release(x, pd.Format)
		}
	}()
	for i, x := range pd.Feed.Posts {
		if encs[i], err = items.get(x, pd.Format); err != nil {
			return nil, time.Time{}, err
		}
	}
	if n := fr.size(encs); cap(buf) < n {
		buf = make([]byte, 0, n)
	}
	return fr.appendTo(buf[:0], encs), fr.modified, nil
}

// document encodes a planned document into a Document of its own.
func (p *Plan) document(pd PlannedDocument, items *itemCache) (*Document, error) {
	if !p.Options.Compressed {
		body, modified, err := p.render(pd, items, nil)
		if err != nil {
			return nil, err
		}
		return p.newDocument(pd, body, modified), nil
	}
	// Only the compressed form is kept: the body is encoded into a
	// buffer used again for the next document, which spares the collector
	// a gigabyte of bodies at 100,000 posts.
	buf := bodyBufs.Get().(*[]byte)
	defer bodyBufs.Put(buf)
	body, modified, err := p.render(pd, items, *buf)
	if err != nil {
		return nil, err
	}
	*buf = body[:0]
	d := p.newDocument(pd, body, modified)
	if d.Gzip, err = Gzip(body); err != nil {
		return nil, err
	}
	d.Body = nil
	return d, nil
}

// bodyBufs are buffers for documents encoded only to be compressed or
// written out (WriteTree), and then dropped.
var bodyBufs = sync.Pool{New: func() any { return new([]byte) }}

// gzipLevel is the level documents held compressed are made with: each
// is compressed on every change, and at 100,000 posts there is a
// gigabyte of them, so speed counts more than the last few percent.
// klauspost/compress at BestSpeed compresses these feeds twice as fast as
// compress/gzip at its BestSpeed (194 against 92 MB/s on the bench
// machine), and slightly smaller (28.1% of the size against 28.5%).
const gzipLevel = gzip.BestSpeed

// gzipper is a reusable compressor: a gzip.Writer holds about a megabyte
// of state, too much to allocate for each of thousands of documents.
type gzipper struct {
	buf bytes.Buffer
	zw  *gzip.Writer
}

var gzippers = sync.Pool{New: func() any {
	g := new(gzipper)
	g.zw, _ = gzip.NewWriterLevel(&g.buf, gzipLevel) // the level is valid
	return g
}}

// Gzip is body in the gzip form documents are held in (Options.Compressed)
// and served with, in a slice of exactly its length, since the result is
// held for as long as the document is served.
func Gzip(body []byte) ([]byte, error) {
	g := gzippers.Get().(*gzipper)
	defer gzippers.Put(g)
	g.buf.Reset()
	g.zw.Reset(&g.buf)
	g.zw.Write(body) // a bytes.Buffer does not fail
	if err := g.zw.Close(); err != nil {
		return nil, err
	}
	return bytes.Clone(g.buf.Bytes()), nil
}

// Len is the length of the document's body, held or not.
func (d *Document) Len() int64 {
	if d.Body != nil {
		return int64(len(d.Body))
	}
	return d.Size
}

// Bytes is the document's body, decompressed when it is held compressed.
func (d *Document) Bytes() ([]byte, error) {
	if d.Body != nil || d.Gzip == nil {
		return d.Body, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(d.Gzip))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.Path, err)
	}
	body := make([]byte, 0, d.Size)
	buf := bytes.NewBuffer(body)
	if _, err := buf.ReadFrom(zr); err != nil {
		return nil, fmt.Errorf("%s: %w", d.Path, err)
	}
	if int64(buf.Len()) != d.Size {
		return nil, fmt.Errorf("%s: held %d bytes, decompressed %d", d.Path, d.Size, buf.Len())
	}
	return buf.Bytes(), nil
}

func (p *Plan) newDocument(pd PlannedDocument, body []byte, modified time.Time) *Document {
	etag := ETag(body)
	return &Document{
		Path:        pd.Path,
		Format:      pd.Format,
		ContentType: pd.Format.ContentType(),
		Body:        body,
		Size:        int64(len(body)),
		ETag:        etag,
		Modified:    p.modifiedOf(pd.Path, etag, modified),
		Fingerprint: pd.Fingerprint,
	}
}

// ETag is the strong validator every Document carries in its ETag field:
// the first 16 bytes of body's SHA-256 in hex, quoted. Other makers of
// documents (package pages) use it so that equal bytes always have equal
// ETags, whichever package made them.
func ETag(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

const xmlHeader = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

func generatorText(s Site) string {
	if s.GeneratorVersion != "" {
		return s.Generator + " " + s.GeneratorVersion
	}
	return s.Generator
}
