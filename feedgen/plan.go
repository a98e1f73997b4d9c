package feedgen

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/syndicate/syndicate/feedtext"
	"github.com/syndicate/syndicate/source"
)

// Feed is one feed to write in every configured format: the site's, a
// tag's or a category's, with the posts it lists, newest first.
type Feed struct {
	Kind Kind
	// Name is the tag or category as most posts spell it; empty for the site.
	Name string
	// Slug is the folder name under Kind; empty for the site.
	Slug string
	// HomePage is, for an author feed, the author's page (Site.Authors,
	// else the front matter's): the feed's alternate link. Empty
	// otherwise.
	HomePage string
	Posts    []*source.Post
	// LastPost is, for a feed kept with no posts (Earlier.Feeds), when it
	// last listed one: its documents' updated time.
	LastPost time.Time
}

// Dir is the feed's folder in the output tree, with a trailing slash, or
// "" for the site feed.
func (f *Feed) Dir() string {
	if f.Kind == SiteFeed {
		return ""
	}
	return string(f.Kind) + "/" + f.Slug + "/"
}

// Path is the document's path in the output tree.
func (f *Feed) Path(format Format) string { return f.Dir() + format.FileName() }

// Plan is the decision of which feeds exist and which posts each lists,
// made from metadata alone so only listed posts need rendering.
type Plan struct {
	Site    Site
	Options Options
	Feeds   []*Feed
	// Needed lists every post some feed includes, newest first.
	Needed []*source.Post
	// IDs maps each needed post to its id, unique across the site.
	IDs     map[*source.Post]string
	Notices []Notice

	siteURL  *url.URL
	feedsURL *url.URL
	// lang is the site's language as written in documents (languageTag).
	lang string

	docsOnce sync.Once
	docs     []PlannedDocument
	// site is the hash of what all documents share; postFPs the posts'
	// fingerprints (both made by Documents). prev is a plan whose
	// fingerprints Documents may reuse (Options.Prev).
	site    Fingerprint
	postFPs map[*source.Post]Fingerprint
	prev    *Plan

	// state is what an Incremental plan keeps for the next.
	state *planState
}

// NewPlan selects the newest opts.Limit posts for the site feed and for
// each tag and category. NewPlan orders a copy of posts newest first by
// publication date, ties broken by path, id and link (the order of
// source.SortNewestFirst), so every build lists the same posts in the
// same order. Drafts and pages are left out, and so are posts without an
// absolute link (reported in Notices). opts.Prev and opts.Incremental
// make it from the last plan; the plan is the same either way.
func NewPlan(site Site, opts Options, posts []*source.Post) (*Plan, error) {
	prev := opts.Prev
	opts.Prev = nil // no chain of plans stays reachable
	var p *Plan
	var err error
	if opts.Incremental {
		p, err = replan(prev, site, opts, posts)
	} else {
		p, err = planAll(site, opts, posts)
	}
	if err != nil {
		return nil, err
	}
	if prev != nil && prev != p {
		p.prev = prev
	}
	return p, nil
}

// planAll plans from scratch, reading every post.
func planAll(site Site, opts Options, posts []*source.Post) (*Plan, error) {
	p, err := newPlan(site, opts)
	if err != nil {
		return nil, err
	}
	input := posts
	posts = p.publishable(posts)
	// Ids, tag feeds and category feeds do not depend on each other: on a
	// site of 100,000 posts each takes tens of milliseconds, so they are
	// made at once. Each keeps its own notices until all are done.
	var ids []string
	var tags, cats, authors []*Feed
	var idNotes, tagNotes, catNotes, authorNotes []Notice
	var wg sync.WaitGroup
	wg.Go(func() { ids = p.assignIDs(posts, &idNotes) })
	wg.Go(func() {
		tags = p.groupFeeds(TagFeed, posts, func(x *source.Post) []string { return x.Tags }, &tagNotes)
	})
	if opts.AuthorFeeds {
		wg.Go(func() { authors = p.groupFeeds(AuthorFeed, posts, authorNames(site.Authors), &authorNotes) })
	}
	cats = p.groupFeeds(CategoryFeed, posts, func(x *source.Post) []string { return x.Categories }, &catNotes)
	wg.Wait()
	p.Notices = slices.Concat(p.Notices, idNotes, tagNotes, catNotes, authorNotes)

	p.Feeds = append(p.Feeds, &Feed{Kind: SiteFeed, Posts: newest(posts, opts.Limit)})
	p.Feeds = append(p.Feeds, tags...)
	p.Feeds = append(p.Feeds, cats...)
	p.Feeds = append(p.Feeds, authors...)
	p.keepFeeds()

	p.setListed(posts, func(i int, _ *source.Post) string { return ids[i] })
	p.keepIDs(input, &p.Notices)
	sort.SliceStable(p.Notices, func(i, j int) bool { return p.Notices[i].String() < p.Notices[j].String() })
	if err := p.checkFeeds(posts); err != nil {
		return nil, err
	}
	return p, nil
}

// setListed sets Needed to the posts of pub (in pub's order) that some
// feed of p lists, and IDs to their ids: idOf(i, x) is the id of pub[i],
// x. Planning from scratch and again (Options.Incremental) call it once the
// feeds are made.
func (p *Plan) setListed(pub []*source.Post, idOf func(i int, x *source.Post) string) {
	listed := make(map[*source.Post]bool)
	for _, f := range p.Feeds {
		for _, x := range f.Posts {
			listed[x] = true
		}
	}
	p.IDs = make(map[*source.Post]string, len(listed))
	p.Needed = make([]*source.Post, 0, len(listed))
	for i, x := range pub {
		if listed[x] {
			p.Needed = append(p.Needed, x)
			p.IDs[x] = idOf(i, x)
		}
	}
}

// authorNames lists, for a post, the names it credits its authors under
// (the author feeds' keys), leaving out the authors d credits nowhere.
func authorNames(d *Authors) func(x *source.Post) []string {
	return func(x *source.Post) []string {
		names := make([]string, 0, len(x.Authors))
		for _, a := range x.Authors {
			if d.credited(a) {
				names = append(names, a.Name)
			}
		}
		return names
	}
}

// presentAuthor gives an author feed the name and page Site.Authors
// presents its author under, from the credit in its newest post: the
// slug stays the one of the name posts write.
func (p *Plan) presentAuthor(f *Feed) {
	key := tagKey(f.Name)
	for _, x := range f.Posts {
		for _, a := range x.Authors {
			if tagKey(cleanName(a.Name)) == key {
				pa := p.Site.Authors.present(a)
				if pa.Name != "" {
					f.Name, f.HomePage = pa.Name, pa.URL
				}
				return
			}
		}
	}
}

// newPlan is a plan without feeds: the site and options checked and
// filled in.
func newPlan(site Site, opts Options) (*Plan, error) {
	if opts.Limit <= 0 {
		return nil, fmt.Errorf("feeds limit must be positive, got %d", opts.Limit)
	}
	formats, err := checkFormats(opts.Formats)
	if err != nil {
		return nil, err
	}
	opts.Formats = formats
	opts = withLimits(opts)
	siteURL, err := mustAbs("site url", site.URL)
	if err != nil {
		return nil, err
	}
	feedsURL, err := mustAbs("feeds url", site.FeedsURL)
	if err != nil {
		return nil, err
	}
	for _, img := range []struct{ key, url string }{{"icon", site.Icon}, {"logo", site.Logo}} {
		if img.url != "" && absoluteURL(img.url) == "" {
			return nil, fmt.Errorf("%s %q is not an absolute http(s) URL", img.key, img.url)
		}
	}
	for _, pattern := range []struct{ key, url string }{{"tag url", site.TagURL}, {"category url", site.CategoryURL}} {
		if pattern.url != "" {
			if _, err := mustAbs(pattern.key, strings.ReplaceAll(pattern.url, ":slug", "slug")); err != nil {
				return nil, err
			}
		}
	}
	if strings.TrimSpace(site.Title) == "" {
		site.Title = siteURL.Host // every format requires a title
	}
	return &Plan{Site: site, Options: opts, siteURL: siteURL, feedsURL: feedsURL, lang: languageTag(site.Language)}, nil
}

// checkFormats rejects unknown formats and repeats; nil means all.
func checkFormats(formats []Format) ([]Format, error) {
	if len(formats) == 0 {
		return append([]Format(nil), Formats...), nil
	}
	seen := map[Format]bool{}
	var out []Format
	for _, f := range formats {
		if f.unit() == nil {
			return nil, fmt.Errorf("unknown feed format %q (want rss, atom or json)", string(f))
		}
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out, nil
}

// publishable is a copy of posts without drafts, pages and posts that
// have no link, newest first.
func (p *Plan) publishable(posts []*source.Post) []*source.Post {
	out := make([]*source.Post, 0, len(posts))
	for _, x := range posts {
		if x != nil && publishable(x, &p.Notices) {
			out = append(out, x)
		}
	}
	// Scans hand posts over in this order already; checking is cheaper
	// than sorting 100,000 posts again.
	less := func(i, j int) bool { return newerThan(out[i], out[j]) }
	if !sort.SliceIsSorted(out, less) {
		sort.SliceStable(out, less)
	}
	return out
}

// publishable says whether a post goes in feeds: not a draft nor a page,
// and with an absolute link (else a notice says why not).
func publishable(x *source.Post, notices *[]Notice) bool {
	switch {
	case x.Draft || x.Page:
		return false
	case strings.TrimSpace(x.Link) == "":
		*notices = append(*notices, Notice{Path: x.Path, Message: "has no link; left out of the feeds"})
		return false
	case absoluteURL(x.Link) == "":
		*notices = append(*notices, Notice{Path: x.Path, Message: fmt.Sprintf("link %q is not an absolute http(s) URL; left out of the feeds", x.Link)})
		return false
	}
	return true
}

// newerThan orders posts newest first; ties are broken by path, id and
// link so the order never depends on the input's.
func newerThan(a, b *source.Post) bool {
	if !a.Published.Equal(b.Published) {
		return a.Published.After(b.Published)
	}
	if a.Path != b.Path {
		return a.Path < b.Path
	}
	if a.ID != b.ID {
		return a.ID < b.ID
	}
	return a.Link < b.Link
}

func newest(posts []*source.Post, n int) []*source.Post {
	if len(posts) > n {
		posts = posts[:n]
	}
	return append([]*source.Post(nil), posts...)
}

// groupFeeds builds one feed per distinct name (case-insensitive), with
// distinct slugs even when names slug alike.
func (p *Plan) groupFeeds(kind Kind, posts []*source.Post, names func(*source.Post) []string, notices *[]Notice) []*Feed {
	groups := map[string]*nameGroup{}
	// A site has far fewer names than uses of them: each spelling is
	// cleaned, folded and looked up once, then counted.
	type spelling struct {
		name string
		g    *nameGroup
		n    int
	}
	seen := map[string]*spelling{}
	for _, x := range posts {
		for _, raw := range names(x) {
			sp := seen[raw]
			if sp == nil {
				sp = &spelling{name: strings.TrimSpace(feedtext.Plain(raw))}
				if sp.name != "" {
					k := tagKey(sp.name)
					if sp.g = groups[k]; sp.g == nil {
						sp.g = newNameGroup(k)
						groups[k] = sp.g
					}
				}
				seen[raw] = sp
			}
			g := sp.g
			if g == nil {
				continue
			}
			sp.n++
			// A post naming one tag twice ("Go" and "go") is listed once.
			if len(g.posts) < p.Options.Limit && (len(g.posts) == 0 || g.posts[len(g.posts)-1] != x) {
				g.posts = append(g.posts, x)
			}
		}
	}
	for _, sp := range seen {
		if sp.g != nil {
			sp.g.spelling[sp.name] += sp.n
		}
	}
	return p.feedsOf(kind, slices.Collect(maps.Values(groups)), notices)
}

// nameGroup is one tag or category: the posts that name it, newest
// first, and how often each spelling of it is used.
type nameGroup struct {
	key      string
	slug     string
	spelling map[string]int
	posts    []*source.Post
}

func newNameGroup(key string) *nameGroup {
	return &nameGroup{key: key, slug: Slugify(key), spelling: map[string]int{}}
}

// feedsOf makes the feeds of a kind's groups, each listing its newest
// Limit posts, sorted by slug. Names that slug alike each keep a feed:
// the name whose own form is the slug (or else the first in order) gets
// the plain slug, the others the slug plus a hash of their name.
func (p *Plan) feedsOf(kind Kind, ordered []*nameGroup, notices *[]Notice) []*Feed {
	sort.Slice(ordered, func(i, j int) bool {
		a, b := ordered[i], ordered[j]
		if a.slug != b.slug {
			return a.slug < b.slug
		}
		if ea, eb := a.key == a.slug, b.key == b.slug; ea != eb {
			return ea
		}
		return a.key < b.key
	})
	feeds := make([]*Feed, 0, len(ordered))
	owner := map[string]string{} // slug -> the key that has it plainly
	used := make(map[string]bool, len(ordered))
	var clashed []*nameGroup
	for i, g := range ordered {
		if i > 0 && ordered[i-1].slug == g.slug {
			clashed = append(clashed, g)
			continue
		}
		owner[g.slug] = g.key
		used[g.slug] = true
		feeds = append(feeds, &Feed{Kind: kind, Name: preferredSpelling(g.spelling), Slug: g.slug, Posts: newest(g.posts, p.Options.Limit)})
	}
	for _, g := range clashed {
		slug := uniqueSlug(g.slug, g.key, used)
		used[slug] = true
		f := &Feed{Kind: kind, Name: preferredSpelling(g.spelling), Slug: slug, Posts: newest(g.posts, p.Options.Limit)}
		feeds = append(feeds, f)
		*notices = append(*notices, Notice{Message: fmt.Sprintf(
			"%s %q and %q both make the slug %q; %q is published under %s/%s/",
			strings.TrimSuffix(string(kind), "s"), owner[g.slug], g.key, g.slug, f.Name, kind, f.Slug)})
	}
	if kind == AuthorFeed {
		for _, f := range feeds {
			p.presentAuthor(f)
		}
	}
	sort.Slice(feeds, func(i, j int) bool { return feeds[i].Slug < feeds[j].Slug })
	return feeds
}

// uniqueSlug is base plus a hash of the name, longer or numbered in the
// unlikely case that it is taken too.
func uniqueSlug(base, key string, used map[string]bool) string {
	sum := sha256.Sum256([]byte(key))
	h := hex.EncodeToString(sum[:])
	for _, n := range []int{8, 16, 64} {
		if s := base + "-" + h[:n]; !used[s] {
			return s
		}
	}
	for i := 2; ; i++ {
		if s := fmt.Sprintf("%s-%s-%d", base, h[:8], i); !used[s] {
			return s
		}
	}
}

// preferredSpelling is the spelling most posts use, ties broken by order.
func preferredSpelling(counts map[string]int) string {
	best, n := "", -1
	for s, c := range counts {
		if c > n || c == n && s < best {
			best, n = s, c
		}
	}
	return best
}

// assignIDs makes ids unique: when several posts claim one id (copies,
// translations sharing a canonical link), the earliest published keeps it
// and each other gets a suffix derived from its path, stable across builds.
// A post without an id uses its link. It returns each post's id, in the
// order of posts.
func (p *Plan) assignIDs(posts []*source.Post, notices *[]Notice) []string {
	ids := make([]string, len(posts))
	first := make(map[string]int, len(posts)) // id -> its first claimant
	var clashes map[string][]*source.Post     // ids claimed more than once
	for i, x := range posts {
		id := claimedID(x, p.Site.WordPressGUIDBase, notices)
		ids[i] = id
		j, ok := first[id]
		if !ok {
			first[id] = i
			continue
		}
		if clashes == nil {
			clashes = map[string][]*source.Post{}
		}
		if clashes[id] == nil {
			clashes[id] = []*source.Post{posts[j]}
		}
		clashes[id] = append(clashes[id], x)
	}
	if clashes == nil {
		return ids
	}
	dups := settleClashes(clashes, func(id string) bool { _, ok := first[id]; return ok }, notices)
	for i, x := range posts {
		if dup, ok := dups[x]; ok {
			ids[i] = dup
		}
	}
	return ids
}

// claimedID is the id a post claims: with wpBase set (ids: wordpress),
// WordPress's guid for a post with a post_id; else its own when that is
// an absolute URI (else a notice says why not); else its link.
func claimedID(x *source.Post, wpBase string, notices *[]Notice) string {
	id := strings.TrimSpace(feedtext.Plain(x.ID))
	if wpBase != "" && x.PostID != "" {
		id = wordpressGUID(wpBase, x.PostID)
	}
	if id != "" && !isAbsoluteURI(id) {
		*notices = append(*notices, Notice{Path: x.Path, Message: fmt.Sprintf("id %q is not an absolute URI; the link is used instead", x.ID)})
		id = ""
	}
	if id == "" {
		id = strings.TrimSpace(feedtext.Plain(x.Link))
	}
	return id
}

// settleClashes gives each post that claims an id some earlier post also
// claims (clashes lists every claimant, in the order of the posts) an id
// of its own, the claimed one with a suffix; claimed says whether an id is
// claimed by any post.
func settleClashes(clashes map[string][]*source.Post, claimed func(string) bool, notices *[]Notice) map[*source.Post]string {
	dups := map[*source.Post]string{}
	made := map[string]bool{} // ids given to duplicates
	taken := func(id string) bool { return claimed(id) || made[id] }
	for _, id := range slices.Sorted(maps.Keys(clashes)) {
		xs := slices.Clone(clashes[id])
		sort.SliceStable(xs, func(a, b int) bool {
			pa, pb := xs[a], xs[b]
			if !pa.Published.Equal(pb.Published) {
				return pa.Published.Before(pb.Published)
			}
			return pa.Path < pb.Path
		})
		for _, x := range xs[1:] {
			dup := dupID(id, x, taken)
			made[dup] = true
			dups[x] = dup
			*notices = append(*notices, Notice{Path: x.Path, Message: fmt.Sprintf(
				"has the same id as %s (%s); published with id %s", nameOf(xs[0]), id, dup)})
		}
	}
	return dups
}

func nameOf(x *source.Post) string {
	if x.Path != "" {
		return x.Path
	}
	return x.Link
}

// selfURL is the public address of a feed document.
func (p *Plan) selfURL(f *Feed, format Format) string {
	rel := format.FileName()
	if f.Kind != SiteFeed {
		rel = string(f.Kind) + "/" + url.PathEscape(f.Slug) + "/" + rel
	}
	return strings.TrimSuffix(p.feedsURL.String(), "/") + "/" + rel
}

// alternateURL is the HTML page a feed mirrors.
func (p *Plan) alternateURL(f *Feed) string {
	pattern := ""
	switch f.Kind {
	case TagFeed:
		pattern = p.Site.TagURL
	case CategoryFeed:
		pattern = p.Site.CategoryURL
	case AuthorFeed:
		if f.HomePage != "" {
			return f.HomePage
		}
	}
	if pattern == "" {
		return p.siteURL.String()
	}
	return strings.ReplaceAll(pattern, ":slug", url.PathEscape(f.Slug))
}

// title names the site and, for tag, category and author feeds, the tag,
// category or author.
func (p *Plan) title(f *Feed) string {
	switch f.Kind {
	case TagFeed:
		return fmt.Sprintf("%s – tag: %s", p.Site.Title, f.Name)
	case CategoryFeed:
		return fmt.Sprintf("%s – category: %s", p.Site.Title, f.Name)
	case AuthorFeed:
		return fmt.Sprintf("%s – author: %s", p.Site.Title, f.Name)
	}
	return p.Site.Title
}

func (p *Plan) description(f *Feed) string {
	desc := p.Site.Description
	if desc == "" {
		desc = "Latest posts from " + p.Site.Title
	}
	switch f.Kind {
	case TagFeed:
		return fmt.Sprintf("Posts tagged “%s” on %s", f.Name, p.Site.Title)
	case CategoryFeed:
		return fmt.Sprintf("Posts in the category “%s” on %s", f.Name, p.Site.Title)
	case AuthorFeed:
		return fmt.Sprintf("Posts by %s on %s", f.Name, p.Site.Title)
	}
	return desc
}
