// Package pages makes the documents about the feeds that people and
// feed readers look for beside them: an index page at the root of the
// feed tree (index.html) listing every feed, a page per feed
// (tags/go/index.html) with its addresses and newest posts, an OPML
// file (feeds.opml) a reader can import every feed from, and in every
// feed's folder the autodiscovery links a site's theme can put in its
// pages' <head> (discovery.html). On request (Options.WordPress) it also
// makes the include that lets nginx answer a WordPress site's feed URLs
// from the tree (wordpress-urls.nginx.conf).
//
// They are documents of the same snapshot and the same output tree as
// the feeds (feedgen.Document), made from a feedgen.Plan, each with a
// fingerprint of its inputs so that a build makes again only the pages
// whose inputs changed. Pages are plain HTML5 with one inline style and
// one inline script, both allowed by hash in the Content-Security-Policy
// (ContentSecurityPolicy) the page carries and a server sends, and make
// no request of their own.
package pages

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/syndicate/syndicate/feedgen"
	"github.com/syndicate/syndicate/fingerprint"
	"github.com/syndicate/syndicate/outtree"
	"github.com/syndicate/syndicate/source"
)

// Version is part of every page's fingerprint: bump it with every change
// to what a page or the OPML file holds or how it is written, so that
// pages kept from an earlier build are made again.
const Version = 2

// The documents' paths and formats besides the feeds'.
const (
	// IndexName is the index page at the root of the feed tree and the
	// page in each feed's folder.
	IndexName = "index.html"
	// OPMLName is the OPML file at the root of the feed tree.
	OPMLName = "feeds.opml"
	// DiscoveryName is the autodiscovery snippet in each feed's folder.
	DiscoveryName = "discovery.html"
	// NginxName is the nginx include at the root of the feed tree
	// (Options.WordPress).
	NginxName = "wordpress-urls.nginx.conf"

	// HTML, Fragment, OPML and Nginx are the Format of pages, of
	// discovery snippets (HTML fragments), of the OPML file and of the
	// nginx include.
	HTML     feedgen.Format = "html"
	Fragment feedgen.Format = "html-fragment"
	OPML     feedgen.Format = "opml"
	Nginx    feedgen.Format = "nginx"

	// HTMLType, OPMLType and NginxType are their Content-Types.
	HTMLType  = "text/html; charset=utf-8"
	OPMLType  = "text/x-opml; charset=utf-8"
	NginxType = "text/plain; charset=utf-8"
)

// Options chooses the documents a site asks for beyond those every
// build makes.
type Options struct {
	// WordPress, when set, adds the nginx include (NginxName) that
	// answers a WordPress site's feed URLs with the tree's documents.
	WordPress *WordPress
	// Prev is the set of the site's last build, or nil. New takes from
	// it the fingerprints of the feed pages and snippets whose inputs
	// are the same (a feed page's: the formats and its feed's document
	// fingerprint; a snippet's: the site's part and the feed's name)
	// rather than hashing again; the set is the same as one made
	// without Prev. Prev is used by New only, and not kept.
	Prev *Set
}

// WordPress describes the WordPress site whose feed URLs the include
// answers: the first path segments of its tag and category archives
// ("tag" and "category" unless the site changed them).
type WordPress struct {
	TagBase, CategoryBase string
}

type docKind int

const (
	indexPage docKind = iota
	feedPage
	opmlFile
	discoverySnippet
	nginxInclude
)

// doc is one planned page, snippet or file.
type doc struct {
	path string
	kind docKind
	feed *feedgen.Feed // of a feed page or a snippet
	fp   feedgen.Fingerprint
}

// format is the document's Format.
func (d doc) format() feedgen.Format {
	switch d.kind {
	case opmlFile:
		return OPML
	case nginxInclude:
		return Nginx
	case discoverySnippet:
		return Fragment
	}
	return HTML
}

// planned is the document as an earlier output may hold it.
func (d doc) planned() feedgen.PlannedDocument {
	return feedgen.PlannedDocument{Path: d.path, Format: d.format(), Fingerprint: d.fp}
}

// Set is the pages, snippets and files of one plan, planned (with their
// fingerprints) but not yet made.
type Set struct {
	plan *feedgen.Plan
	opts Options
	site *feedgen.Feed // the plan's site feed
	docs []doc

	// What the next set may take from this one (Options.Prev).
	formats  []string
	snippets feedgen.Fingerprint // snippetBase
	feeds    map[feedKey]*feedMemo
}

// feedKey is a feed's folder: its kind and slug.
type feedKey struct {
	kind feedgen.Kind
	slug string
}

// feedMemo is what a set planned for one feed, with the inputs its
// fingerprints were taken from.
type feedMemo struct {
	name    string              // the feed's name, in its snippet's title
	feedFP  feedgen.Fingerprint // the feed's document in the main format
	updated time.Time           // the feed's last update, a function of its posts
	page    doc                 // none for the site feed (its page is the index)
	snippet doc
}

// New plans the documents about plan's feeds: the index page, one page
// per feed, the OPML file, a discovery snippet per feed and what opts
// asks for. Like Plan.Documents it encodes nothing; the plan must not
// change afterwards.
func New(plan *feedgen.Plan, opts Options) *Set {
	prev := opts.Prev
	opts.Prev = nil // no chain of sets stays reachable
	s := &Set{plan: plan, opts: opts}
	s.site = s.siteFeed()
	main := plan.Options.Formats[0]
	s.formats = make([]string, len(plan.Options.Formats))
	for i, f := range plan.Options.Formats {
		s.formats[i] = string(f)
	}
	s.snippets = s.snippetBase()
	var old map[feedKey]*feedMemo
	samePages, sameSnippets := false, false
	if prev != nil {
		old = prev.feeds
		samePages = slices.Equal(prev.formats, s.formats)
		sameSnippets = prev.snippets == s.snippets
	}

	// The feeds in the order of their folders (Documents is sorted by
	// path), each with its snippet and page in the order of their paths.
	memos := make([]feedMemo, 0, len(plan.Feeds))
	s.feeds = make(map[feedKey]*feedMemo, len(plan.Feeds))
	s.docs = make([]doc, 0, 2*len(plan.Feeds)+3)
	buf := make([]byte, 0, 256)
	for _, pd := range plan.Documents() {
		if pd.Format != main {
			continue
		}
		f := pd.Feed
		o := old[feedKey{f.Kind, f.Slug}]
		m := feedMemo{name: f.Name, feedFP: pd.Fingerprint}
		if o != nil && sameSnippets && o.name == f.Name {
			// The snippet's links are the site's part and the feed's
			// kind, slug and title (the site's title and the name).
			m.snippet = doc{path: o.snippet.path, kind: discoverySnippet, feed: f, fp: o.snippet.fp}
		} else {
			m.snippet = doc{path: f.Dir() + DiscoveryName, kind: discoverySnippet, feed: f}
			m.snippet.fp, buf = s.discoveryFingerprint(s.snippets, f, buf)
		}
		// A feed's document fingerprint covers the site, the feed and
		// every field of its posts; the page adds the formats it links.
		sameFeed := o != nil && samePages && o.feedFP == pd.Fingerprint
		if sameFeed {
			m.updated = o.updated
		} else {
			m.updated = f.Updated()
		}
		if f.Kind != feedgen.SiteFeed { // the index is the site feed's page
			if sameFeed && o.page.path != "" {
				m.page = doc{path: o.page.path, kind: feedPage, feed: f, fp: o.page.fp}
			} else {
				h := fingerprint.New()
				h.Str("syndicate feed page")
				h.Int(Version)
				h.Strs(s.formats)
				h.Sum32(pd.Fingerprint)
				m.page = doc{path: f.Dir() + IndexName, kind: feedPage, feed: f, fp: h.Sum()}
			}
			s.docs = append(s.docs, m.snippet, m.page)
		}
		memos = append(memos, m)
		s.feeds[feedKey{f.Kind, f.Slug}] = &memos[len(memos)-1]
	}

	site := fingerprint.New()
	site.Str("syndicate pages")
	site.Int(Version)
	st := plan.Site
	for _, v := range []string{st.Title, st.Description, st.URL, st.FeedsURL, st.Language, st.TagURL, st.CategoryURL, st.Icon} {
		site.Str(v)
	}
	site.Strs(s.formats)
	// The index and the OPML file list every feed: its name, folder,
	// item count and last update.
	root := make([]doc, 0, 4)
	for i := range memos {
		m := &memos[i]
		f := m.snippet.feed
		site.Str(string(f.Kind))
		site.Str(f.Name)
		site.Str(f.Slug)
		site.Str(f.HomePage) // the OPML file's htmlUrl
		site.Int(int64(len(f.Posts)))
		site.Time(m.updated)
		if f.Kind == feedgen.SiteFeed {
			root = append(root, m.snippet)
		}
	}
	all := site.Sum()
	for _, k := range []docKind{indexPage, opmlFile} {
		h := fingerprint.New()
		h.Int(int64(k))
		h.Sum32(all)
		path := IndexName
		if k == opmlFile {
			path = OPMLName
		}
		root = append(root, doc{path: path, kind: k, fp: h.Sum()})
	}
	if opts.WordPress != nil {
		root = append(root, doc{path: NginxName, kind: nginxInclude, fp: s.nginxFingerprint()})
	}
	// The few documents at the root go in by their paths. The feeds'
	// documents are in order, as no folder is a prefix of another (a
	// slug has no '/'); should a slug rule ever change that, a sort
	// keeps Paths' promise.
	for _, d := range root {
		i, _ := slices.BinarySearchFunc(s.docs, d.path, func(d doc, p string) int { return strings.Compare(d.path, p) })
		s.docs = slices.Insert(s.docs, i, d)
	}
	byPath := func(a, b doc) int { return strings.Compare(a.path, b.path) }
	if !slices.IsSortedFunc(s.docs, byPath) {
		slices.SortFunc(s.docs, byPath)
	}
	return s
}

// Paths lists the documents' paths, sorted.
func (s *Set) Paths() []string {
	out := make([]string, len(s.docs))
	for i, d := range s.docs {
		out[i] = d.path
	}
	return out
}

// Lacking lists, in the order of the plan's Needed, the posts listed by
// the pages that held (an earlier output; nil holds nothing) lacks: the
// posts whose rendered summaries making them needs.
func (s *Set) Lacking(held feedgen.Holder) []*source.Post {
	var lists [][]*source.Post
	for _, d := range s.docs {
		if d.kind == feedPage && (held == nil || !held.Holds(d.planned())) {
			lists = append(lists, d.feed.Posts)
		}
	}
	return s.plan.Listed(lists...)
}

// Build makes the documents in memory. A document prev (an earlier
// build's snapshot, or nil) holds with the same fingerprint is taken
// from it as it is; the others are made, and counted in the second
// result. Documents are held compressed when the plan's options say so.
func (s *Set) Build(ctx context.Context, prev *feedgen.Snapshot) ([]*feedgen.Document, int, error) {
	out := make([]*feedgen.Document, len(s.docs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	made := 0
	for i, d := range s.docs {
		if prev.Holds(d.planned()) {
			out[i] = prev.Docs[d.path]
			continue
		}
		made++
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			doc, err := s.document(d)
			if err != nil {
				return err
			}
			if s.plan.Options.Compressed {
				if doc.Gzip, err = feedgen.Gzip(doc.Body); err != nil {
					return err
				}
				doc.Body = nil
			}
			out[i] = doc
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, 0, err
	}
	return out, made, nil
}

// document makes one document.
func (s *Set) document(d doc) (*feedgen.Document, error) {
	var body []byte
	var modified time.Time
	var err error
	ctype := HTMLType
	switch d.kind {
	case indexPage:
		body, modified, err = s.indexPage()
	case opmlFile:
		ctype = OPMLType
		body, modified, err = s.opml()
	case discoverySnippet:
		body, modified, err = s.discoverySnippet(d.feed)
	case nginxInclude:
		ctype = NginxType
		body, modified, err = s.nginxInclude()
	default:
		body, modified, err = s.feedPage(d.feed)
	}
	if err != nil {
		return nil, fmt.Errorf("pages: %s: %w", d.path, err)
	}
	return &feedgen.Document{
		Path:        d.path,
		Format:      d.format(),
		ContentType: ctype,
		Body:        body,
		Size:        int64(len(body)),
		ETag:        feedgen.ETag(body),
		Modified:    modified,
		Fingerprint: d.fp,
	}, nil
}

// Job writes the documents into an output tree (feedgen.Plan.WriteTree's
// extra jobs): those the previous tree holds with the same fingerprint
// are kept from it.
func (s *Set) Job() outtree.Job { return job{s} }

type job struct{ s *Set }

func (j job) Paths() []string { return j.s.Paths() }

func (j job) Reuse(i int, old outtree.Entry) (outtree.Entry, bool) {
	return old, feedgen.Fingerprint(old.Key) == j.s.docs[i].fp
}

func (j job) Write(_ context.Context, i int, full string) (outtree.Entry, error) {
	d, err := j.s.document(j.s.docs[i])
	if err != nil {
		return outtree.Entry{}, err
	}
	if err := outtree.WriteFile(full, d.Body, d.Modified); err != nil {
		return outtree.Entry{}, err
	}
	return outtree.Entry{Path: d.Path, Key: d.Fingerprint, ETag: d.ETag, Size: d.Size, Modified: d.Modified}, nil
}
