// Package server serves feed documents over HTTP: it publishes the
// snapshots a build makes (feedgen.Snapshot) and answers requests for
// them, with conditional requests, gzip negotiation, a cache of
// decompressed bodies and the probes /healthz and /readyz. It knows
// nothing of files or posts.
package server

import (
	"bytes"
	"iter"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/syndicate/syndicate/feedgen"
	"github.com/syndicate/syndicate/pages"
)

// Handler serves the documents of the last snapshot published from
// memory.
//
// It is an http.Handler of its own rather than a ServeMux: ServeMux answers
// unclean paths ("//feed.rss", "/tags/../feed.rss") with a redirect to the
// cleaned one, while a feed tree has exactly one name per document and
// anything else is 404. Document paths are looked up verbatim in the
// served set, so no request path is ever joined to a file system path.
type Handler struct {
	// prefix is "" or a path without a trailing slash, e.g. "/feeds".
	prefix string
	// Precomputed from prefix, as every request needs them.
	prefixSlash, healthzPath, readyzPath string
	cacheControl                         string
	hCacheControl                        []string

	// set is swapped whole by publish and loaded once per request.
	set atomic.Pointer[Set]
	// status describes the last rebuild and the last good one.
	status atomic.Pointer[Status]
	// gone holds the folders ("tags/go/") of feeds retired for good
	// (SetGone).
	gone atomic.Pointer[map[string]bool]

	// publishMu serialises publish's read-modify-write of set; rebuilds
	// are serialised anyway, this keeps publish correct on its own.
	publishMu sync.Mutex
	// published is the snapshot the last Publish took, under publishMu:
	// a rebuild that found nothing changed publishes it again.
	published *feedgen.Snapshot

	// BrowserPages answers a request for a feed whose folder has a page
	// (package pages) with that page when the request's Accept prefers
	// text/html over every feed and XML type, as browsers' do and feed
	// readers' never do (prefersHTML); every response for such a feed
	// then varies by Accept. Set it before the handler serves.
	BrowserPages bool
	// WordPress, when set, also answers a WordPress site's feed URLs with
	// the matching documents. Set it before the handler serves.
	WordPress *WordPress

	// StaleAfter, when positive, makes /readyz report "stale": true once
	// the last successful rebuild started longer ago than this (feeds are
	// still served and /readyz stays 200). Set it before the handler
	// serves.
	StaleAfter time.Duration

	// plain holds recently requested documents' bodies decompressed, for
	// documents held compressed.
	plain plainCache
	log   *slog.Logger
}

var _ http.Handler = (*Handler)(nil)

// New returns a handler serving documents under prefix ("" or a path
// such as "/feeds"), each response with cacheControl as its
// Cache-Control (none when empty); it answers 503 until the first
// Publish. log receives documents that could not be served; nil
// discards them.
func New(prefix, cacheControl string, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Handler{prefix: strings.TrimSuffix(prefix, "/"), cacheControl: cacheControl, log: log}
	s.prefixSlash, s.healthzPath, s.readyzPath = s.prefix+"/", s.prefix+"/healthz", s.prefix+"/readyz"
	s.plain.budget = plainCacheBudget
	if cacheControl != "" {
		s.hCacheControl = []string{cacheControl}
	}
	return s
}

// Set is an immutable set of documents from one build, as served. A
// publish that changes no document keeps the set.
type Set struct {
	docs map[string]*servedDoc
}

// Doc is the document served at path ("tags/go/feed.rss"), or nil.
func (set *Set) Doc(path string) *feedgen.Document {
	if d := set.docs[path]; d != nil {
		return d.doc
	}
	return nil
}

// Len is the number of documents in the set.
func (set *Set) Len() int { return len(set.docs) }

// All yields every document of the set with its path, in no order.
func (set *Set) All() iter.Seq2[string, *feedgen.Document] {
	return func(yield func(string, *feedgen.Document) bool) {
		for p, d := range set.docs {
			if !yield(p, d.doc) {
				return
			}
		}
	}
}

// servedDoc is one document and its encoded variants. It is shared between
// consecutive sets as long as the document's bytes do not change, so that
// the work of compressing it is done once per version.
type servedDoc struct {
	doc      *feedgen.Document
	gzipETag string

	// Header values built once per version, not per request.
	hContentType, hETag, hGzipETag, hLastModified, hLength []string
	// hCSP is the Content-Security-Policy of a page, nil for a feed.
	hCSP        []string
	hGzipLength atomic.Pointer[[]string]

	gzipOnce sync.Once
	gzipBody []byte // nil when gzip would not make it smaller

	// plain is the decompressed body of a document held compressed while
	// plainCache keeps it; ref marks it used since the cache last looked.
	plain atomic.Pointer[[]byte]
	ref   atomic.Bool
}

func newServedDoc(d *feedgen.Document) *servedDoc {
	sd := &servedDoc{doc: d, gzipETag: variantETag(d.ETag, "gz")}
	sd.hContentType = []string{d.ContentType}
	sd.hETag = []string{d.ETag}
	sd.hGzipETag = []string{sd.gzipETag}
	if !d.Modified.IsZero() {
		sd.hLastModified = []string{d.Modified.UTC().Format(http.TimeFormat)}
	}
	sd.hLength = []string{strconv.Itoa(int(d.Len()))}
	if strings.HasPrefix(d.ContentType, "text/html") {
		sd.hCSP = []string{pages.ContentSecurityPolicy}
	}
	return sd
}

// variantETag derives the validator of an encoded variant from the
// identity one: `"abc"` becomes `"abc-gz"`. Each encoding is a different
// representation, so it needs a different strong validator (RFC 9110,
// 8.8.3.3); deriving it means a 304 can be answered without compressing.
func variantETag(etag, suffix string) string {
	if strings.HasSuffix(etag, `"`) && len(etag) >= 2 {
		return etag[:len(etag)-1] + "-" + suffix + `"`
	}
	return etag + "-" + suffix
}

// gzipped compresses the body on first use and keeps the result; a
// document held compressed (feedgen.Options.Compressed) comes with it.
func (d *servedDoc) gzipped() []byte {
	d.gzipOnce.Do(func() {
		if d.doc.Gzip != nil {
			if int64(len(d.doc.Gzip)) < d.doc.Len() {
				d.gzipBody = d.doc.Gzip
			}
			return
		}
		gz, err := feedgen.Gzip(d.doc.Body)
		if err == nil && len(gz) < len(d.doc.Body) {
			d.gzipBody = gz
		}
	})
	return d.gzipBody
}

// sameVersion reports whether a new build's document can keep serving the
// old one's bytes, validators and compressed variants. Builds reuse the
// served snapshot's documents whose inputs did not change (Plan.Build),
// so an unchanged document is usually the very same pointer; comparing
// the bytes is the fallback for a document encoded again to the same
// bytes.
func sameVersion(old, d *feedgen.Document) bool {
	if old == d {
		return true
	}
	same := old.ETag == d.ETag && old.ContentType == d.ContentType &&
		old.Modified.Equal(d.Modified) && old.Len() == d.Len()
	if old.Body != nil && d.Body != nil {
		return same && bytes.Equal(old.Body, d.Body)
	}
	return same // the ETag is a SHA-256 of the bytes
}

// Served is the set being served, or nil before the first Publish.
func (s *Handler) Served() *Set { return s.set.Load() }

// PublishStats counts what a publish changed.
type PublishStats struct {
	Documents int // in the new set
	Changed   int // added, replaced or removed
}

// Publish swaps in a snapshot. Documents whose bytes did not change keep
// their previous servedDoc (same *feedgen.Document, same ETag, compressed
// variants already made); when nothing changed the served set itself is
// kept, so a no-op rebuild is invisible to clients and caches. A snapshot
// must not change once published: the very snapshot published again is
// taken as unchanged without comparing its documents.
func (s *Handler) Publish(snap *feedgen.Snapshot) PublishStats {
	s.publishMu.Lock()
	defer s.publishMu.Unlock()
	old := s.set.Load()
	if old != nil && snap == s.published {
		return PublishStats{Documents: len(old.docs)}
	}
	s.published = snap
	next := &Set{docs: make(map[string]*servedDoc, len(snap.Docs))}
	changed := 0
	for path, d := range snap.Docs {
		if old != nil {
			if od := old.docs[path]; od != nil && sameVersion(od.doc, d) {
				next.docs[path] = od
				continue
			}
		}
		next.docs[path] = newServedDoc(d)
		changed++
	}
	if old != nil {
		for path := range old.docs {
			if _, ok := next.docs[path]; !ok {
				changed++
			}
		}
	}
	st := PublishStats{Documents: len(next.docs), Changed: changed}
	if old != nil && changed == 0 {
		return st // same documents: clients see no difference
	}
	s.set.Store(next)
	return st
}

// ServeHTTP routes: probes at the root and under the prefix, documents
// under the prefix, 404 for anything else. Only GET and HEAD are allowed.
// It loads the served set once, so the whole response comes from one
// build.
func (s *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var h http.HandlerFunc
	var d *servedDoc
	negotiated := false // the response varies by Accept
	switch p := r.URL.Path; p {
	case "*": // the asterisk-form, RFC 9112 3.2.4: the server as a whole
		if r.Method == http.MethodOptions {
			methodNotAllowed(w) // no resource has other methods
		} else {
			notFound(w) // no document is called "*"
		}
		return
	case "/healthz", s.healthzPath:
		h = s.healthz
	case "/readyz", s.readyzPath:
		h = s.readyz
	default:
		var wp []string
		if s.WordPress != nil {
			wp = s.WordPress.candidates(r.URL.Path, r.URL.RawQuery)
		}
		key, ok := s.docKey(r)
		if !ok && wp == nil {
			notFound(w)
			return
		}
		set := s.set.Load()
		if set != nil && wp != nil {
			key = ""
			for _, k := range wp {
				if set.docs[k] != nil {
					key = k
					break
				}
			}
		}
		if set == nil {
			h = s.unavailable
		} else if d = set.docs[key]; d == nil {
			if s.isGone(key) {
				h = goneFeed
				break
			}
			notFound(w)
			return
		} else if s.BrowserPages {
			d, negotiated = pageFor(set, key, d, r.Header["Accept"])
		}
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		methodNotAllowed(w)
		return
	}
	if d != nil {
		s.serveDoc(w, r, d, negotiated)
		return
	}
	h(w, r)
}

// docKey turns a request path into a document path ("tags/go/feed.rss").
// Percent-encoding is already decoded by net/http, so Unicode slugs match
// their documents; an encoded slash (%2F) is part of a segment, not a
// separator, and never names a document. Nothing is cleaned: "..",
// "//" and backslashes simply match no document.
func (s *Handler) docKey(r *http.Request) (string, bool) {
	p := r.URL.Path
	if s.prefix != "" {
		if !strings.HasPrefix(p, s.prefixSlash) {
			return "", false
		}
		p = p[len(s.prefix):]
	}
	if len(p) < 1 || p[0] != '/' {
		return "", false
	}
	// net/url keeps the escaped path in RawPath only when it is not the
	// default escaping of Path, as with any %2F.
	if raw := r.URL.RawPath; raw != "" && (strings.Contains(raw, "%2f") || strings.Contains(raw, "%2F")) {
		return "", false
	}
	if p[len(p)-1] == '/' {
		return p[1:] + pages.IndexName, true // a folder's page
	}
	return p[1:], true
}

// SetGone names the folders ("tags/go/") of feeds that were published
// once and are retired for good: their documents answer 410 Gone rather
// than 404, so that readers stop polling them rather than report an
// error. A document the served set holds is served whatever the list.
func (s *Handler) SetGone(dirs []string) {
	m := make(map[string]bool, len(dirs))
	for _, d := range dirs {
		m[d] = true
	}
	s.gone.Store(&m)
}

// isGone says whether key is a feed document in a retired folder.
func (s *Handler) isGone(key string) bool {
	g := s.gone.Load()
	if g == nil || len(*g) == 0 {
		return false
	}
	i := strings.LastIndexByte(key, '/')
	if i < 0 || !(*g)[key[:i+1]] {
		return false
	}
	switch key[i+1:] {
	case feedgen.RSS.FileName(), feedgen.Atom.FileName(), feedgen.JSON.FileName():
		return true
	}
	return false
}

// goneFeed answers for a retired feed.
func goneFeed(w http.ResponseWriter, _ *http.Request) {
	http.Error(w, "410 this feed is no longer published", http.StatusGone)
}

// methodNotAllowed answers every method but GET and HEAD, OPTIONS
// included: nothing here has other methods, and browsers never preflight a
// feed request.
func methodNotAllowed(w http.ResponseWriter) {
	w.Header().Set("Allow", "GET, HEAD")
	http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
}

func notFound(w http.ResponseWriter) {
	http.Error(w, "404 not found", http.StatusNotFound)
}

// unavailable answers feed requests before the first build has finished.
func (s *Handler) unavailable(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Retry-After", "5")
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, "503 feeds are being built", http.StatusServiceUnavailable)
}

// serveDoc writes one document in the negotiated encoding.
// http.ServeContent answers the conditional headers (If-None-Match with
// weak comparison, lists and "*", winning over If-Modified-Since), Range
// (on the bytes of the variant served) and HEAD; its 304 keeps ETag,
// Cache-Control and Vary.
func (s *Handler) serveDoc(w http.ResponseWriter, r *http.Request, d *servedDoc, byAccept bool) {
	vary := varyAcceptEncoding
	if byAccept {
		vary = varyAcceptAndEncoding
	}
	var gz []byte
	// Header fields are read from the map by their canonical names, as
	// net/http stores them, which spares a canonicalisation per lookup.
	switch negotiateEncoding(r.Header["Accept-Encoding"]) {
	case encodingGzip:
		gz = d.gzipped()
	case encodingNone:
		w.Header()["Vary"] = vary
		http.Error(w, "406 no acceptable content coding (gzip or identity)", http.StatusNotAcceptable)
		return
	}
	if len(r.Header["Range"]) == 0 {
		s.serveWhole(w, r, d, gz, vary)
		return
	}
	body, etag, coding := gz, d.gzipETag, "gzip"
	if gz == nil {
		var err error
		if body, err = s.plain.get(d); err != nil {
			s.internalError(w, err)
			return
		}
		etag, coding = d.doc.ETag, ""
	}
	h := w.Header()
	h.Set("Content-Type", d.doc.ContentType)
	h["Vary"] = vary
	h.Set("ETag", etag)
	h.Set("X-Content-Type-Options", "nosniff")
	if d.hCSP != nil {
		h["Content-Security-Policy"] = d.hCSP
	}
	if s.cacheControl != "" {
		h.Set("Cache-Control", s.cacheControl)
	}
	if coding != "" {
		h.Set("Content-Encoding", coding)
	}
	// ServeContent leaves Content-Length unset when Content-Encoding is
	// set (for on-the-fly compressing wrappers), so it is set here; a
	// range response overwrites it, a 304 or an error removes it.
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if rest, dropped := zeroSuffixes(r.Header.Get("Range")); dropped {
		// With If-Range, or a 304 due, an empty range is dropped instead
		// of answered (a server may always ignore Range).
		if rest == "" && len(r.Header["If-Range"]) == 0 && !notModified(r, etag, d.doc.Modified) {
			delete(h, "Content-Length")
			delete(h, "Content-Encoding")
			h.Set("Content-Range", "bytes */"+strconv.Itoa(len(body)))
			http.Error(w, "416 range not satisfiable", http.StatusRequestedRangeNotSatisfiable)
			return
		}
		r = r.Clone(r.Context())
		if rest == "" {
			r.Header.Del("Range")
		} else {
			r.Header.Set("Range", rest)
		}
	}
	http.ServeContent(w, r, "", d.doc.Modified, bytes.NewReader(body))
}

// zeroSuffixes takes the suffix ranges of length zero ("-0", "-00") out
// of a Range of bytes: no representation can satisfy one (RFC 9110
// 14.1.1), and ServeContent would answer it with 206 and an inverted
// Content-Range. It returns the other range-specs as a Range value ("" when
// none is left) and whether any was taken out; ServeContent answers the
// other unsatisfiable ranges (first-pos past the end) with 416 itself.
func zeroSuffixes(rng string) (rest string, dropped bool) {
	v, ok := strings.CutPrefix(rng, "bytes=")
	if !ok {
		return rng, false
	}
	var keep []string
	for spec := range strings.SplitSeq(v, ",") {
		spec = strings.TrimSpace(spec)
		if n, ok := strings.CutPrefix(spec, "-"); ok && n != "" && strings.Trim(n, "0") == "" {
			dropped = true
			continue
		}
		if spec != "" {
			keep = append(keep, spec)
		}
	}
	if !dropped {
		return rng, false
	}
	if len(keep) == 0 {
		return "", true
	}
	return "bytes=" + strings.Join(keep, ","), true
}

// serveWhole answers a request without Range, the feed reader's usual
// poll, with header values prepared per document version and the
// conditional headers evaluated here (the same rules as ServeContent:
// If-None-Match with weak comparison wins over If-Modified-Since), so the
// hot path allocates next to nothing. Range requests go to ServeContent.
// Accept-Ranges is left out (it is optional, RFC 9110 14.3, and ranges
// of a feed are rare; they are still answered): with it a gzip response
// has nine header fields, and a ninth makes net/http's header map grow.
func (s *Handler) serveWhole(w http.ResponseWriter, r *http.Request, d *servedDoc, gzBody []byte, vary []string) {
	h := w.Header()
	gz := gzBody != nil
	etag, hETag, hLength := d.doc.ETag, d.hETag, d.hLength
	if gz {
		etag, hETag = d.gzipETag, d.hGzipETag
		if l := d.hGzipLength.Load(); l != nil {
			hLength = *l
		} else {
			v := []string{strconv.Itoa(len(gzBody))}
			d.hGzipLength.Store(&v)
			hLength = v
		}
	}
	h["Vary"] = vary
	h["Etag"] = hETag
	if s.hCacheControl != nil {
		h["Cache-Control"] = s.hCacheControl
	}
	if notModified(r, etag, d.doc.Modified) {
		// A 304 carries what a cache updates its stored response with
		// (RFC 9110 15.4.5); Last-Modified only where there is no ETag.
		if len(hETag) == 0 && d.hLastModified != nil {
			h["Last-Modified"] = d.hLastModified
		}
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h["Content-Type"] = d.hContentType
	h["X-Content-Type-Options"] = nosniff
	if d.hCSP != nil {
		h["Content-Security-Policy"] = d.hCSP
	}
	if d.hLastModified != nil {
		h["Last-Modified"] = d.hLastModified
	}
	body := gzBody
	if gz {
		h["Content-Encoding"] = gzipEncoding
	} else if r.Method != http.MethodHead {
		var err error
		if body, err = s.plain.get(d); err != nil {
			s.internalError(w, err)
			return
		}
	}
	h["Content-Length"] = hLength
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// internalError answers 500 for a document that cannot be produced (a
// held-compressed body that does not decompress: memory corruption).
func (s *Handler) internalError(w http.ResponseWriter, err error) {
	for k := range w.Header() {
		delete(w.Header(), k)
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, "500 document unavailable", http.StatusInternalServerError)
	s.log.Error("document unavailable", "err", err)
}

var (
	varyAcceptEncoding    = []string{"Accept-Encoding"}
	varyAcceptAndEncoding = []string{"Accept, Accept-Encoding"}
	nosniff               = []string{"nosniff"}
	gzipEncoding          = []string{"gzip"}
)
