package feedgen

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/syndicate/syndicate/source"
)

// Earlier is what a site published before (Options.Earlier), kept by the
// caller between builds (see package pubstate): subscribers' readers
// know items by their ids and feeds by their addresses, so a plan keeps
// both as they were.
//
//   - Ids: a post whose front matter names no id (no canonical, id, guid,
//     or WordPress guid) keeps the id it was published with: the id last
//     published for its file, else, for a file that is new, the id of a
//     published item whose file has gone and whose post is the same (the
//     same WordPress post_id, else the same title and publication date,
//     else the same body); that is reported as a rename. A post no
//     earlier item matches gets today's id, its link.
//   - Feeds: a tag or category feed listed in Feeds that no post names
//     any more is still planned, with no items.
//   - Times: an encoded document whose ETag is the one Documents records
//     for its path keeps that time as its Modified; any other is Now.
//
// Items is read while a plan is made (NewPlan), and the
// rest while its documents are encoded; none of it may change meanwhile.
type Earlier struct {
	// Items finds the items published before; nil when there are none.
	Items PublishedItems
	Feeds []PublishedFeed
	// Documents by path.
	Documents map[string]PublishedDocument
	// Now is the Modified of a document whose bytes are new.
	Now time.Time
	// BodyHash, when set, is a hash of a post's body (source.Scanner's
	// BodyHash), the last test of whether a new file is a published one
	// renamed; it is called only for posts no other test matched.
	BodyHash func(*source.Post) string
}

// PublishedItems finds the items a site published before. A plan looks
// up only the posts it lists, so a site's whole history is never read
// per build; package pubstate keeps the indexes up to date as it
// records builds. Lists come in an order that does not change between
// calls.
type PublishedItems interface {
	// ByPath is the item last published for the file at path.
	ByPath(path string) (PublishedItem, bool)
	// WithPostID lists the items of a WordPress post id.
	WithPostID(postID string) []PublishedItem
	// WithTitleDate lists the items with this title and publication
	// date (the same instant).
	WithTitleDate(title string, published time.Time) []PublishedItem
	// WithBody lists the items with this body hash.
	WithBody(hash string) []PublishedItem
}

// PublishedItem is an item as it was last published: its id and what
// identified its post.
type PublishedItem struct {
	ID string
	// Path is the post's file, relative to the content folder.
	Path   string
	PostID string
	Title  string
	// Published is the post's publication date.
	Published time.Time
	// BodyHash is Earlier.BodyHash of the post; empty when unknown.
	BodyHash string
}

// PublishedFeed is a tag or category feed published before, to keep
// planning while no post names it.
type PublishedFeed struct {
	Kind Kind
	Name string
	Slug string
	// LastPost is when it last listed a post; the updated time of the
	// documents it is planned into with no items.
	LastPost time.Time
}

// PublishedDocument is a document as it was last published.
type PublishedDocument struct {
	ETag string
	// Changed is when its bytes last changed.
	Changed time.Time
}

// explicitID says whether a post's id is its own (front matter, or a
// WordPress guid), which no earlier id overrides.
func (p *Plan) explicitID(x *source.Post) bool {
	return x.ExplicitID || p.Site.WordPressGUIDBase != "" && x.PostID != ""
}

// keepIDs gives each needed post whose id is not its own the id it was
// published with (see Earlier), after p.IDs has today's ids. input lists
// every post given to the plan: a file among them has not gone. Plans
// from scratch and Incremental ones call it on the same Needed and IDs,
// so they agree.
func (p *Plan) keepIDs(input []*source.Post, notices *[]Notice) {
	e := p.Options.Earlier
	if e == nil || e.Items == nil {
		return
	}
	keep := map[*source.Post]string{}
	var fresh []*source.Post
	for _, x := range p.Needed {
		if p.explicitID(x) {
			continue
		}
		if it, ok := e.Items.ByPath(x.Path); ok && x.Path != "" && it.ID != "" {
			keep[x] = it.ID
		} else {
			fresh = append(fresh, x)
		}
	}
	if len(fresh) > 0 {
		// Which files are there is asked only of items that match.
		var paths map[string]bool
		present := func(path string) bool {
			if paths == nil {
				paths = make(map[string]bool, len(input))
				for _, x := range input {
					if x != nil {
						paths[x.Path] = true
					}
				}
			}
			return paths[path]
		}
		claimed := map[string]bool{} // ids of gone files' items taken
		for _, x := range fresh {
			it, how, ok := renamed(e, x, present, claimed)
			if !ok {
				continue
			}
			claimed[it.ID] = true
			keep[x] = it.ID
			*notices = append(*notices, Notice{Path: x.Path, Message: fmt.Sprintf(
				"renamed from %s (same %s); keeps its id %s", it.Path, how, it.ID)})
		}
	}
	if len(keep) == 0 {
		return
	}
	// Explicit ids always win: an earlier id a post now names as its own
	// is that post's.
	own := map[string]bool{}
	for _, x := range p.Needed {
		if p.explicitID(x) {
			own[p.IDs[x]] = true
		}
	}
	taken := map[string]bool{} // ids kept
	for _, x := range p.Needed {
		id, ok := keep[x]
		if !ok {
			continue
		}
		if own[id] || taken[id] {
			delete(keep, x)
			*notices = append(*notices, Notice{Path: x.Path, Message: fmt.Sprintf(
				"was published with id %s, which another post now names as its own; published with id %s", id, p.IDs[x])})
			continue
		}
		taken[id] = true
		p.IDs[x] = id
	}
	// A post that would have had an id a published post keeps gets
	// another, as a duplicate id does.
	used := make(map[string]bool, len(p.IDs))
	for _, id := range p.IDs {
		used[id] = true
	}
	for _, x := range p.Needed {
		if _, kept := keep[x]; kept || !taken[p.IDs[x]] {
			continue
		}
		id := p.IDs[x]
		dup := dupID(id, x, func(s string) bool { return used[s] })
		used[dup] = true
		p.IDs[x] = dup
		*notices = append(*notices, Notice{Path: x.Path, Message: fmt.Sprintf(
			"has the id %s a published post keeps; published with id %s", id, dup)})
	}
}

// renamed finds the earlier item a new file is, and says by what: an
// item whose file has gone (not in present) and not claimed by another
// post, with the same WordPress post id, else the same title and date,
// else the same body.
func renamed(e *Earlier, x *source.Post, present func(string) bool, claimed map[string]bool) (PublishedItem, string, bool) {
	first := func(list []PublishedItem) (PublishedItem, bool) {
		for _, it := range list {
			if it.ID != "" && !claimed[it.ID] && !present(it.Path) {
				return it, true
			}
		}
		return PublishedItem{}, false
	}
	if x.PostID != "" {
		if it, ok := first(e.Items.WithPostID(x.PostID)); ok {
			return it, "WordPress post_id", true
		}
	}
	if it, ok := first(e.Items.WithTitleDate(x.Title, x.Published)); ok {
		return it, "title and date", true
	}
	if e.BodyHash != nil {
		if h := e.BodyHash(x); h != "" {
			if it, ok := first(e.Items.WithBody(h)); ok {
				return it, "body", true
			}
		}
	}
	return PublishedItem{}, "", false
}

// dupID is id with a suffix derived from x's path, which taken does not
// hold.
func dupID(id string, x *source.Post, taken func(string) bool) string {
	// The path names the file for good; a post read from nowhere (no
	// path) is told apart by its link and date instead.
	seed := x.Path
	if seed == "" {
		seed = x.Link + "\x00" + x.Published.UTC().Format(time.RFC3339Nano) + "\x00" + x.Title
	}
	sep := "#"
	if strings.Contains(id, "#") {
		sep = "-"
	}
	sum := sha256.Sum256([]byte(seed))
	dup := id + sep + "dup-" + hex.EncodeToString(sum[:4])
	for n := 2; taken(dup); n++ {
		dup = fmt.Sprintf("%s%sdup-%s-%d", id, sep, hex.EncodeToString(sum[:4]), n)
	}
	return dup
}

// keepFeeds adds to p.Feeds, with no posts, every earlier tag and
// category feed (and author feed, with Options.AuthorFeeds) that no post
// names any more, each in its kind's place in slug order.
func (p *Plan) keepFeeds() {
	e := p.Options.Earlier
	if e == nil || len(e.Feeds) == 0 {
		return
	}
	type key struct {
		kind Kind
		slug string
	}
	have := make(map[key]bool, len(p.Feeds))
	for _, f := range p.Feeds {
		have[key{f.Kind, f.Slug}] = true
	}
	added := false
	for _, pf := range e.Feeds {
		if pf.Kind != TagFeed && pf.Kind != CategoryFeed && !(pf.Kind == AuthorFeed && p.Options.AuthorFeeds) ||
			pf.Slug == "" || have[key{pf.Kind, pf.Slug}] {
			continue
		}
		if pf.Slug == "." || pf.Slug == ".." || strings.ContainsAny(pf.Slug, "/\\\x00") {
			continue // not a slug this program makes
		}
		have[key{pf.Kind, pf.Slug}] = true
		f := &Feed{Kind: pf.Kind, Name: pf.Name, Slug: pf.Slug, LastPost: pf.LastPost}
		if f.Kind == AuthorFeed {
			// The name was published by an earlier build, perhaps one
			// that published addresses: it is presented again, and an
			// author credited nowhere now is named by the slug.
			pa := p.Site.Authors.present(source.Author{Name: pf.Name})
			f.Name, f.HomePage = pa.Name, pa.URL
			if f.Name == "" {
				f.Name = pf.Slug
			}
		}
		p.Feeds = append(p.Feeds, f)
		added = true
	}
	if !added {
		return
	}
	rank := func(k Kind) int { // the order NewPlan gives the kinds
		switch k {
		case SiteFeed:
			return 0
		case TagFeed:
			return 1
		case CategoryFeed:
			return 2
		}
		return 3
	}
	sort.SliceStable(p.Feeds, func(i, j int) bool {
		a, b := p.Feeds[i], p.Feeds[j]
		if ra, rb := rank(a.Kind), rank(b.Kind); ra != rb {
			return ra < rb
		}
		return a.Slug < b.Slug
	})
}

// modifiedOf is the Modified of a newly encoded document: with Earlier,
// when its bytes last changed; otherwise fallback, its newest item's
// update.
func (p *Plan) modifiedOf(path, etag string, fallback time.Time) time.Time {
	e := p.Options.Earlier
	if e == nil {
		return fallback
	}
	if d, ok := e.Documents[path]; ok && d.ETag == etag && !d.Changed.IsZero() {
		return d.Changed
	}
	return e.Now
}

// PublishedItems lists what the plan publishes of each item, for the
// caller to keep and give the next plan as Earlier.Items. BodyHash is
// left empty: the caller knows where bodies are.
func (p *Plan) PublishedItems() []PublishedItem {
	out := make([]PublishedItem, 0, len(p.Needed))
	for _, x := range p.Needed {
		out = append(out, PublishedItem{ID: p.IDs[x], Path: x.Path, PostID: x.PostID, Title: x.Title, Published: x.Published})
	}
	return out
}

// PublishedFeeds lists the plan's tag and category feeds that list
// posts, with now as their LastPost, for the caller to keep and give
// the next plan as Earlier.Feeds.
func (p *Plan) PublishedFeeds(now time.Time) []PublishedFeed {
	var out []PublishedFeed
	for _, f := range p.Feeds {
		if f.Kind != SiteFeed && len(f.Posts) > 0 {
			out = append(out, PublishedFeed{Kind: f.Kind, Name: f.Name, Slug: f.Slug, LastPost: now})
		}
	}
	return out
}
