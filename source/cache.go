package source

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"hash/crc64"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Cache remembers what each file gave the last time it was read (its
// post, or why it was skipped) and the post's rendered HTML, keyed by
// path, size and modification time. A scan with a cache reads only files
// that changed, and renders only posts whose file changed.
//
// Modification times can lie (two edits within one clock tick, a restored
// backup), so an entry whose file was modified shortly before it was read
// is confirmed by a hash of the file's contents before it is trusted.
//
// A Cache is safe for concurrent use. Its entries are valid for one
// scanner configuration only: NewScanner empties a cache made for another.
type Cache struct {
	mu      sync.Mutex
	key     string
	entries map[string]*cacheEntry
	// savedAs is the file the entries were last loaded from or saved to;
	// dirty says they changed since, so Save has something to write.
	savedAs string
	dirty   bool
	// sumsOnly: rendered posts keep their RenderSum here, not their HTML.
	sumsOnly bool
	// share: entries hold the very posts scans return (see ShareScanned).
	share bool
	// scan counts resets: an entry whose seen is not the current scan's
	// was not looked at by the last scan, so prune drops it (its file is
	// gone). A field of the entry rather than a set of paths saves a map
	// of every path.
	scan uint64
	// read holds, in a sharing cache, the files read since the last
	// scan began that gave a post and no warning, in place of entries:
	// their posts hold the path, size and modification time, and a record
	// here the rest, with no object or map slot of its own, which a build
	// that fills an empty cache would otherwise keep live beside its
	// posts, making the collector run more often (BENCHMARKS.md). Each
	// scan first moves them into entries (settle), where it looks files
	// up.
	read []readFile
}

// readFile is what a sharing cache keeps of a file a scan read into a
// post with no warning, besides the post (see Cache.read).
type readFile struct {
	post    *Post
	ctime   int64
	hash    uint64
	trusted bool
}

type cacheEntry struct {
	size    int64
	mtime   int64 // UnixNano
	ctime   int64 // inode change time, UnixNano; 0 where unknown
	hash    uint64
	trusted bool // mtime was old enough at read time to rule out a same-tick edit

	post  *Post // nil when the file was skipped
	err   *FileError
	warns []*FileError

	seen uint64 // the Cache.scan that last looked at the file; under Cache.mu
}

// racyWindow: a file modified less than this long before it was read may
// be modified again without its mtime changing.
const racyWindow = 2 * time.Second

var crcTable = crc64.MakeTable(crc64.ECMA)

// NewCache returns an empty cache.
func NewCache() *Cache {
	return &Cache{entries: map[string]*cacheEntry{}}
}

// KeepSumsOnly makes the cache keep rendered posts' RenderSum but not
// their HTML, which is most of its memory: a server that holds its
// documents already re-renders the few posts a change makes it encode
// again (feedgen's Plan.PostsToEncode) rather than keep every listed
// post's HTML between builds.
func (c *Cache) KeepSumsOnly() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sumsOnly = true
}

// ShareScanned makes the cache keep the very posts a scan reads rather
// than copies of them, for a process that scans once and then saves the
// cache, as build does: a copy of every post's fields is live memory the
// collector must keep scanning under a soft memory limit (BENCHMARKS.md).
// What the build then fills into a post (its HTML, render sum and render
// warnings) is what storeRendered would have copied into the cache, and
// KeepSumsOnly still keeps the HTML out of the saved file and out of the
// posts later scans get. Call it before the first scan.
func (c *Cache) ShareScanned() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.share = true
}

// postOf gives a scan its own copy of an entry's post.
func (c *Cache) postOf(e *cacheEntry) *Post {
	c.mu.Lock()
	share, sumsOnly := c.share, c.sumsOnly
	c.mu.Unlock()
	cp := clonePost(e.post)
	if share && sumsOnly {
		cp.ReleaseHTML()
	}
	return cp
}

// Len is the number of files the cache knows.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries) + len(c.read)
}

// reset empties the cache unless it was made for key.
func (c *Cache) reset(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.key != key {
		c.key = key
		c.entries = map[string]*cacheEntry{}
		c.read = nil
		c.dirty = true
	}
	c.scan++
}

// settle moves the files earlier scans read into entries, where a scan
// looks files up; a scan calls it first. Like every entry, a full scan
// then prunes them unless it looks at their files.
func (c *Cache) settle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range c.read {
		e := r.entry()
		c.entries[r.post.Path] = &e
	}
	c.read = nil
}

// entry is the cache entry r stands for.
func (r *readFile) entry() cacheEntry {
	return cacheEntry{size: r.post.size, mtime: r.post.modTime.UnixNano(), ctime: r.ctime,
		hash: r.hash, trusted: r.trusted, post: r.post}
}

func (c *Cache) get(rel string) *cacheEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[rel]
	if e != nil {
		e.seen = c.scan
	}
	return e
}

// has says whether the cache knows the file, and marks it seen.
func (c *Cache) has(rel string) bool { return c.get(rel) != nil }

// add records what a scan has just read of a file. The entry keeps
// e.post itself or a copy of it, as ShareScanned says.
func (c *Cache) add(rel string, e cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dirty = true
	if p := e.post; p != nil && c.share && e.err == nil && len(e.warns) == 0 &&
		p.Path == rel && p.size == e.size && p.modTime.UnixNano() == e.mtime {
		c.read = append(c.read, readFile{post: p, ctime: e.ctime, hash: e.hash, trusted: e.trusted})
		delete(c.entries, rel) // an entry for the file as it was
		return
	}
	if e.post != nil && !c.share {
		e.post = clonePost(e.post)
	}
	e.seen = c.scan
	ep := new(cacheEntry) // not &e, which would put every e on the heap
	*ep = e
	c.entries[rel] = ep
}

// forget drops a file that is gone.
func (c *Cache) forget(rel string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[rel]; ok {
		delete(c.entries, rel)
		c.dirty = true
	}
}

// prune forgets files the last scan did not see.
func (c *Cache) prune() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for rel, e := range c.entries {
		if e.seen != c.scan {
			delete(c.entries, rel)
			c.dirty = true
		}
	}
}

// storeRendered keeps a post's HTML for the next scan, if its file is
// still the one the entry describes.
func (c *Cache) storeRendered(p *Post) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[p.Path]
	if e == nil && c.share || e != nil && e.post == p {
		// Shared (ShareScanned), in read or in entries: the post holds
		// its render already.
		c.dirty = true
		return
	}
	if e == nil || e.post == nil || e.size != p.size || e.mtime != p.modTime.UnixNano() {
		return
	}
	cp := *e.post
	cp.ContentHTML, cp.SummaryHTML, cp.SummaryText, cp.RenderSum = p.ContentHTML, p.SummaryHTML, p.SummaryText, p.RenderSum
	cp.RenderWarnings, cp.deps = p.RenderWarnings, p.deps
	if c.sumsOnly {
		cp.ContentHTML, cp.SummaryHTML, cp.SummaryText = "", "", ""
	}
	e.post = &cp
	c.dirty = true
}

// lookup returns the cached outcome for a file whose current size and
// modification time are given, or ok=false when the file must be read.
// confirm reads the file's hash for entries that are not yet trusted.
func (c *Cache) lookup(rel string, st fileStamp, confirm func() (uint64, error)) (*cacheEntry, bool) {
	e := c.get(rel)
	if e == nil || e.size != st.size || e.mtime != st.mtime {
		return nil, false
	}
	// A tool that puts the modification time back after a write (touch
	// -r, some sync tools) cannot put the change time back.
	if st.ctime != 0 && e.ctime != 0 && st.ctime != e.ctime {
		return nil, false
	}
	if !e.trusted {
		h, err := confirm()
		if err != nil || h != e.hash {
			return nil, false
		}
		if time.Since(time.Unix(0, st.mtime)) > racyWindow {
			c.mu.Lock()
			e.trusted = true
			c.dirty = true
			c.mu.Unlock()
		}
	}
	return e, true
}

// clonePost gives each scan its own Post, so a build may fill in fields
// without touching the cache's copy.
func clonePost(p *Post) *Post {
	cp := *p
	return &cp
}

// On-disk format: magic, then a body of length-prefixed fields, then a
// CRC-32C of the body. Bump cacheFormat whenever Post or this encoding
// changes; a file of another version is discarded.
const (
	cacheMagic  = "syndicate-cache"
	cacheFormat = 6
)

// ErrCacheInvalid says the cache file is corrupt, truncated, of another
// version or for another configuration; it is discarded, never trusted.
var ErrCacheInvalid = errors.New("cache file is invalid")

// Save writes the cache to path atomically (a temporary file renamed
// into place), so a crash never leaves a half-written cache. A cache
// unchanged since it was loaded from or saved to path is not written
// again (at 100,000 posts the file is some 200 MB).
func (c *Cache) Save(path string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.dirty && c.savedAs == path {
		if _, err := os.Stat(path); err == nil {
			return nil
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".cache-*")
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	defer os.Remove(tmp.Name())
	crc := crc32.New(crc32.MakeTable(crc32.Castagnoli))
	bw := bufio.NewWriterSize(io.MultiWriter(tmp, crc), 1<<20)
	w := &cacheWriter{w: bw, sumsOnly: c.sumsOnly}
	w.raw([]byte(cacheMagic))
	w.uvarint(cacheFormat)
	w.str(c.key)
	w.uvarint(uint64(len(c.entries) + len(c.read)))
	for rel, e := range c.entries {
		w.entry(rel, e)
	}
	for i := range c.read {
		e := c.read[i].entry()
		w.entry(e.post.Path, &e)
	}
	if err := bw.Flush(); err != nil {
		tmp.Close()
		return fmt.Errorf("cache: %w", err)
	}
	var sum [4]byte
	binary.LittleEndian.PutUint32(sum[:], crc.Sum32())
	if _, err := tmp.Write(sum[:]); err != nil {
		tmp.Close()
		return fmt.Errorf("cache: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	c.savedAs, c.dirty = path, false
	return nil
}

// LoadCache reads a cache file written by Save. A missing file gives an
// empty cache and no error; a corrupt or foreign one gives an empty cache
// and an error wrapping ErrCacheInvalid, for the caller to warn about.
func LoadCache(path string) (*Cache, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return NewCache(), nil
	}
	if err != nil {
		return NewCache(), fmt.Errorf("cache: %w", err)
	}
	c, err := decodeCache(data)
	if err != nil {
		return NewCache(), fmt.Errorf("%w: %s: %w", ErrCacheInvalid, path, err)
	}
	c.savedAs = path
	return c, nil
}

func decodeCache(data []byte) (c *Cache, err error) {
	if len(data) < len(cacheMagic)+4 || !bytes.HasPrefix(data, []byte(cacheMagic)) {
		return nil, errors.New("not a syndicate cache")
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.Checksum(body, crc32.MakeTable(crc32.Castagnoli)) != sum {
		return nil, errors.New("checksum mismatch")
	}
	r := &cacheReader{b: body[len(cacheMagic):]}
	defer func() {
		if p := recover(); p != nil {
			if _, ok := p.(cacheShort); !ok {
				panic(p)
			}
			c, err = nil, errors.New("truncated")
		}
	}()
	if v := r.uvarint(); v != cacheFormat {
		return nil, fmt.Errorf("format %d, want %d", v, cacheFormat)
	}
	c = NewCache()
	c.key = r.str()
	n := r.uvarint()
	if n > uint64(len(body)) {
		return nil, errors.New("bad entry count")
	}
	for i := uint64(0); i < n; i++ {
		rel := r.str()
		e := &cacheEntry{size: r.varint(), mtime: r.varint(), ctime: r.varint(), hash: r.u64(), trusted: r.bool()}
		if errs := r.fileErrors(); len(errs) > 0 {
			e.err = errs[0]
			e.err.Path = rel
		}
		e.warns = r.fileErrors()
		for _, w := range e.warns {
			w.Path = rel
		}
		if r.bool() {
			e.post = r.post()
		}
		c.entries[rel] = e
	}
	if len(r.b) != 0 {
		return nil, errors.New("trailing bytes")
	}
	return c, nil
}

type cacheWriter struct {
	w        *bufio.Writer
	buf      [binary.MaxVarintLen64]byte
	sumsOnly bool // write no post's HTML (Cache.KeepSumsOnly)
	tbuf     [32]byte
}

func (w *cacheWriter) raw(b []byte)     { w.w.Write(b) }
func (w *cacheWriter) uvarint(v uint64) { w.w.Write(binary.AppendUvarint(w.buf[:0], v)) }
func (w *cacheWriter) varint(v int64)   { w.w.Write(binary.AppendVarint(w.buf[:0], v)) }
func (w *cacheWriter) u64(v uint64)     { w.w.Write(binary.LittleEndian.AppendUint64(w.buf[:0], v)) }
func (w *cacheWriter) str(s string)     { w.uvarint(uint64(len(s))); w.w.WriteString(s) }
func (w *cacheWriter) bool(b bool) {
	if b {
		w.w.WriteByte(1)
	} else {
		w.w.WriteByte(0)
	}
}
func (w *cacheWriter) time(t time.Time) {
	b, _ := t.AppendBinary(w.tbuf[:0]) // as MarshalBinary, without allocating
	w.uvarint(uint64(len(b)))
	w.w.Write(b)
}
func (w *cacheWriter) fileErrors(errs []*FileError) {
	n := 0
	for _, e := range errs {
		if e != nil {
			n++
		}
	}
	w.uvarint(uint64(n))
	for _, e := range errs {
		if e != nil {
			w.uvarint(uint64(e.Line))
			w.str(e.Err.Error())
		}
	}
}

func (w *cacheWriter) entry(rel string, e *cacheEntry) {
	w.str(rel)
	w.varint(e.size)
	w.varint(e.mtime)
	w.varint(e.ctime)
	w.u64(e.hash)
	w.bool(e.trusted)
	if e.err != nil {
		w.fileErrors([]*FileError{e.err})
	} else {
		w.uvarint(0)
	}
	w.fileErrors(e.warns)
	w.bool(e.post != nil)
	if e.post != nil {
		w.post(e.post)
	}
}

// Len, Str and Time make a cacheWriter a FieldWriter.
func (w *cacheWriter) Len(n int)        { w.uvarint(uint64(n)) }
func (w *cacheWriter) Str(s string)     { w.str(s) }
func (w *cacheWriter) Time(t time.Time) { w.time(t) }

func (w *cacheWriter) post(p *Post) {
	w.str(p.Path)
	w.str(p.ID)
	w.bool(p.ExplicitID)
	w.str(p.PostID)
	w.str(p.Slug)
	p.WriteFields(w)
	w.str(p.SiteName)
	w.bool(p.Draft)
	w.bool(p.Page)
	w.str(p.frontSummary)
	w.varint(p.bodyOffset)
	w.varint(p.size)
	w.time(p.modTime)
	if w.sumsOnly { // a shared post may hold its HTML (ShareScanned)
		w.str("")
		w.str("")
		w.str("")
	} else {
		w.str(p.ContentHTML)
		w.str(p.SummaryHTML)
		w.str(p.SummaryText)
	}
	w.u64(binary.LittleEndian.Uint64(p.RenderSum[:8]))
	w.u64(binary.LittleEndian.Uint64(p.RenderSum[8:]))
	w.fileErrors(p.RenderWarnings)
	w.uvarint(uint64(len(p.deps)))
	for _, d := range p.deps {
		w.str(d.key)
		w.str(d.val)
	}
}

// cacheShort is panicked by cacheReader on truncated input and turned
// into an error by decodeCache.
type cacheShort struct{}

type cacheReader struct{ b []byte }

func (r *cacheReader) need(n uint64) {
	if n > uint64(len(r.b)) {
		panic(cacheShort{})
	}
}
func (r *cacheReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		panic(cacheShort{})
	}
	r.b = r.b[n:]
	return v
}
func (r *cacheReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		panic(cacheShort{})
	}
	r.b = r.b[n:]
	return v
}
func (r *cacheReader) u64() uint64 {
	r.need(8)
	v := binary.LittleEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v
}
func (r *cacheReader) bool() bool {
	r.need(1)
	v := r.b[0] == 1
	r.b = r.b[1:]
	return v
}
func (r *cacheReader) str() string {
	n := r.uvarint()
	r.need(n)
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}
func (r *cacheReader) strs() []string {
	n := r.uvarint()
	r.need(n)                // each string takes at least one byte
	out := make([]string, n) // never nil, as the scanner's lists

	for i := range out {
		out[i] = r.str()
	}
	return out
}
func (r *cacheReader) time() time.Time {
	var t time.Time
	if err := t.UnmarshalBinary([]byte(r.str())); err != nil {
		panic(cacheShort{})
	}
	return t
}
func (r *cacheReader) fileErrors() []*FileError {
	n := r.uvarint()
	r.need(n)
	var out []*FileError
	for i := uint64(0); i < n; i++ {
		line := r.uvarint()
		out = append(out, &FileError{Line: int(line), Err: errors.New(r.str())})
	}
	return out
}
func (r *cacheReader) post() *Post {
	// The order of cacheWriter.post: Post.WriteFields's fields after Slug.
	p := &Post{Path: r.str(), ID: r.str(), ExplicitID: r.bool(), PostID: r.str(), Slug: r.str(), Title: r.str(), Link: r.str()}
	p.Published = r.time()
	p.Updated = r.time()
	n := r.uvarint()
	r.need(n)
	for i := uint64(0); i < n; i++ {
		p.Authors = append(p.Authors, Author{Name: r.str(), Email: r.str(), URL: r.str()})
	}
	p.Tags = r.strs()
	p.Categories = r.strs()
	p.Language = r.str()
	p.SiteName = r.str()
	p.Draft = r.bool()
	p.Page = r.bool()
	p.frontSummary = r.str()
	p.bodyOffset = r.varint()
	p.size = r.varint()
	p.modTime = r.time()
	p.ContentHTML = r.str()
	p.SummaryHTML = r.str()
	p.SummaryText = r.str()
	binary.LittleEndian.PutUint64(p.RenderSum[:8], r.u64())
	binary.LittleEndian.PutUint64(p.RenderSum[8:], r.u64())
	if p.RenderWarnings = r.fileErrors(); len(p.RenderWarnings) > 0 {
		for _, w := range p.RenderWarnings {
			w.Path = p.Path
		}
	}
	n = r.uvarint()
	r.need(n)
	for i := uint64(0); i < n; i++ {
		p.deps = append(p.deps, dep{key: r.str(), val: r.str()})
	}
	return p
}
