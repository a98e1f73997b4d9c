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
	"sort"
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
}

// New plans the documents about plan's feeds: the index page, one page
// per feed, the OPML file, a discovery snippet per feed and what opts
// asks for. Like Plan.Documents it encodes nothing; the plan must not
// change afterwards.
func New(plan *feedgen.Plan, opts Options) *Set {
	s := &Set{plan: plan, opts: opts}
	s.site = s.siteFeed()
	main := plan.Options.Formats[0]
	feedFP := make(map[*feedgen.Feed]feedgen.Fingerprint, len(plan.Feeds))
	for _, pd := range plan.Documents() {
		if pd.Format == main {
			feedFP[pd.Feed] = pd.Fingerprint
		}
	}
	formats := make([]string, len(plan.Options.Formats))
	for i, f := range plan.Options.Formats {
		formats[i] = string(f)
	}
	site := fingerprint.New()
	site.Str("syndicate pages")
	site.Int(Version)
	st := plan.Site
	for _, v := range []string{st.Title, st.Description, st.URL, st.FeedsURL, st.Language, st.TagURL, st.CategoryURL, st.Icon} {
		site.Str(v)
	}
	site.Strs(formats)
	// The index and the OPML file list every feed: its name, folder,
	// item count and last update.
	for _, f := range plan.Feeds {
		site.Str(string(f.Kind))
		site.Str(f.Name)
		site.Str(f.Slug)
		site.Str(f.HomePage) // the OPML file's htmlUrl
		site.Int(int64(len(f.Posts)))
		site.Time(f.Updated())
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
		s.docs = append(s.docs, doc{path: path, kind: k, fp: h.Sum()})
	}
	for _, f := range plan.Feeds {
		if f.Kind == feedgen.SiteFeed {
			continue // the index is the site feed's page
		}
		// A feed's document fingerprint covers the site, the feed and
		// every field of its posts; the page adds the formats it links.
		h := fingerprint.New()
		h.Str("syndicate feed page")
		h.Int(Version)
		h.Strs(formats)
		h.Sum32(feedFP[f])
		s.docs = append(s.docs, doc{path: f.Dir() + IndexName, kind: feedPage, feed: f, fp: h.Sum()})
	}
	snippets, buf := s.snippetBase(), make([]byte, 0, 256)
	for _, f := range plan.Feeds {
		var fp feedgen.Fingerprint
		fp, buf = s.discoveryFingerprint(snippets, f, buf)
		s.docs = append(s.docs, doc{path: f.Dir() + DiscoveryName, kind: discoverySnippet, feed: f, fp: fp})
	}
	if opts.WordPress != nil {
		s.docs = append(s.docs, doc{path: NginxName, kind: nginxInclude, fp: s.nginxFingerprint()})
	}
	sort.Slice(s.docs, func(i, j int) bool { return s.docs[i].path < s.docs[j].path })
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
