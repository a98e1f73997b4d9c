// Package feedgen turns posts into RSS 2.0, Atom 1.0 and JSON Feed 1.1
// documents: one site-wide feed, one per tag and one per category.
//
// It builds on gorilla/feeds' exported wire structs and extends them where
// the library falls short of the specifications (self links, languages,
// Atom categories, several authors, stable ids). Each item is encoded once
// per format and spliced into every document that lists it, so a post in
// twenty tag feeds costs one encoding, not twenty.
package feedgen

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Site describes the publication the feeds belong to.
type Site struct {
	Title       string
	Description string
	// URL is the site's home page, absolute, ending in '/'.
	URL string
	// FeedsURL is where the feed tree is published, absolute, ending in '/';
	// self links and feed ids come from it, never from a request.
	FeedsURL string
	Language string
	// Author is the site's author: the default of posts that credit
	// none (source.Config.Author), the Atom feed's author and JSON Feed's
	// top-level one, presented as Authors says (no address unless public).
	Author string
	// Authors says how the people posts credit are presented (config
	// authors:); nil presents them as the front matter names them, with
	// no e-mail address.
	Authors *Authors
	// TagURL and CategoryURL, when set, are the site's own pages for a tag
	// or category, with :slug standing for the slug; the feeds link to them
	// as their alternate. Otherwise the home page is the alternate.
	TagURL      string
	CategoryURL string
	// Icon and Logo, when set, are absolute URLs of the site's images: a
	// small square icon (Atom icon, JSON Feed favicon) and a larger logo
	// (Atom logo, JSON Feed icon); RSS's image is the logo, else the icon.
	Icon string
	Logo string
	// WordPressGUIDBase, when set (config ids: wordpress), makes a post
	// with a WordPress post_id carry the guid WordPress gave it,
	// WordPressGUIDBase + "?p=" + post_id (see wordpressGUID), as its id.
	WordPressGUIDBase string
	// Generator names the program in the documents.
	Generator        string
	GeneratorVersion string
	GeneratorURI     string
}

// Options chooses what goes into each document.
type Options struct {
	// Limit is the number of newest items per feed.
	Limit int
	// Formats to write; default all.
	Formats []Format
	// SummaryOnly leaves the full content out of the documents.
	SummaryOnly bool
	// AuthorFeeds adds a feed per author, with the same slug, clash and
	// limit rules as tags.
	AuthorFeeds bool
	// Compressed makes Build hold each document gzip-compressed only
	// (Document.Gzip, Body nil), compressed as soon as it is encoded: a
	// server of 100,000 posts' feeds then keeps about a quarter of the
	// memory, and gzip responses are ready. It changes no document's bytes
	// (nor fingerprint).
	Compressed bool

	// MaxFeeds fails a plan with more feeds than this (site, tags and
	// categories together). Default DefaultMaxFeeds.
	MaxFeeds int
	// MaxOutputBytes fails a build (Build, WriteTree) whose documents
	// come to more bytes than this, uncompressed, before any is written
	// or the output replaced. Default DefaultMaxOutputBytes.
	MaxOutputBytes int64
	// MaxHeldBytes fails a Build whose snapshot would hold more bytes
	// than this in memory (compressed, with Compressed). Default
	// DefaultMaxHeldBytes.
	MaxHeldBytes int64
	// Earlier is what the site published before, so that ids, feeds and
	// documents' times stay as subscribers know them; nil plans as if
	// nothing had been published.
	Earlier *Earlier

	// Prev is the site's last plan, or nil. The new plan's Documents
	// take from it the fingerprint of every document whose feed lists the
	// very same posts under the same ids, and of every post both list,
	// rather than hash them again (at 100,000 posts hashing every document
	// takes about 0.1 s, most of a rebuild after one edit). The posts the
	// two plans share must not have changed since Prev was planned: a
	// changed file must come as a new *source.Post, as source.Index gives
	// it.
	Prev *Plan
	// Incremental is for a server that plans again and again as a few
	// posts change: the plan keeps every tag's and category's posts and
	// every id's claimants, and the next Incremental plan is made from
	// Prev's by taking out the posts that are gone and putting in the new
	// ones, reading only those (NewPlan otherwise reads every post: about
	// 0.14 s at 100,000 posts on 2 cores). The plan is the one a plan from
	// scratch would be, provided posts are ordered as NewPlan orders them
	// (a scan's are); otherwise, or when Prev kept nothing or was made
	// for another site or options, it is made from scratch. Prev is used
	// up: a second plan from it is made from scratch.
	Incremental bool
}

// Kind says which family a feed belongs to.
type Kind string

// Feed kinds, which are also the folder names of their feeds.
const (
	SiteFeed     Kind = ""
	TagFeed      Kind = "tags"
	CategoryFeed Kind = "categories"
	// AuthorFeed is a feed per author (Options.AuthorFeeds), grouped and
	// slugged by the name posts credit them under, titled by the name
	// Site.Authors presents.
	AuthorFeed Kind = "authors"
)

// Notice reports something a site owner should know that did not stop a
// build, such as two tags that slug alike or two posts with one id.
type Notice struct {
	Path    string // the post's path, when one is concerned
	Message string
}

func (n Notice) String() string {
	if n.Path != "" {
		return n.Path + ": " + n.Message
	}
	return n.Message
}

func mustAbs(field, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return nil, fmt.Errorf("%s %q is not an absolute URL", field, raw)
	}
	return u, nil
}

// wordpressGUID is the guid WordPress gives post id on a site at base
// (wp_insert_post: get_option('home') . '/?p=' . $post_ID).
func wordpressGUID(base, postID string) string {
	return strings.TrimSuffix(base, "/") + "/?p=" + postID
}

func formatRFC3339(t time.Time) string { return t.Format(time.RFC3339) }
