package feedgen

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/syndicate/syndicate/source"
)

// Feed is one feed to write in every configured format: the site's, a
// tag's or a category's, with the posts it lists, newest first.
type Feed struct {
	Kind Kind
	// Name is the tag or category as most posts spell it; empty for the site.
	Name string
	// Slug is the folder name under Kind; empty for the site.
	Slug  string
	Posts []*source.Post
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
}

// NewPlan selects the newest opts.Limit posts for the site feed and for
// each tag and category. posts must be sorted newest first
// (source.SortNewestFirst).
func NewPlan(site Site, opts Options, posts []*source.Post) (*Plan, error) {
	if opts.Limit <= 0 {
		return nil, fmt.Errorf("feeds limit must be positive, got %d", opts.Limit)
	}
	if len(opts.Formats) == 0 {
		opts.Formats = Formats
	}
	siteURL, err := mustAbs("site url", site.URL)
	if err != nil {
		return nil, err
	}
	feedsURL, err := mustAbs("feeds url", site.FeedsURL)
	if err != nil {
		return nil, err
	}
	p := &Plan{Site: site, Options: opts, siteURL: siteURL, feedsURL: feedsURL}
	p.assignIDs(posts)

	p.Feeds = append(p.Feeds, &Feed{Kind: SiteFeed, Posts: newest(posts, opts.Limit)})
	p.Feeds = append(p.Feeds, p.groupFeeds(TagFeed, posts, func(x *source.Post) []string { return x.Tags })...)
	p.Feeds = append(p.Feeds, p.groupFeeds(CategoryFeed, posts, func(x *source.Post) []string { return x.Categories })...)

	seen := make(map[*source.Post]bool)
	for _, f := range p.Feeds {
		for _, x := range f.Posts {
			seen[x] = true
		}
	}
	for _, x := range posts {
		if seen[x] {
			p.Needed = append(p.Needed, x)
		}
	}
	return p, nil
}

func newest(posts []*source.Post, n int) []*source.Post {
	if len(posts) > n {
		posts = posts[:n]
	}
	return append([]*source.Post(nil), posts...)
}

// groupFeeds builds one feed per distinct name (case-insensitive), with
// distinct slugs even when names slug alike.
func (p *Plan) groupFeeds(kind Kind, posts []*source.Post, names func(*source.Post) []string) []*Feed {
	type group struct {
		key      string
		spelling map[string]int
		posts    []*source.Post
	}
	groups := map[string]*group{}
	for _, x := range posts {
		for _, n := range names(x) {
			k := tagKey(n)
			g := groups[k]
			if g == nil {
				g = &group{key: k, spelling: map[string]int{}}
				groups[k] = g
			}
			g.spelling[n]++
			if len(g.posts) < p.Options.Limit {
				g.posts = append(g.posts, x)
			}
		}
	}
	// Slugs: names that slug alike each keep a feed; the name whose own
	// form is the slug (or else the first in order) gets the plain slug,
	// the others the slug plus a hash of their name.
	bySlug := map[string][]*group{}
	for _, g := range groups {
		s := Slugify(g.key)
		bySlug[s] = append(bySlug[s], g)
	}
	var feeds []*Feed
	for slug, gs := range bySlug {
		sort.Slice(gs, func(i, j int) bool {
			ei, ej := gs[i].key == slug, gs[j].key == slug
			if ei != ej {
				return ei
			}
			return gs[i].key < gs[j].key
		})
		for i, g := range gs {
			f := &Feed{Kind: kind, Name: preferredSpelling(g.spelling), Slug: slug, Posts: g.posts}
			if i > 0 {
				f.Slug = slug + "-" + nameHash(g.key)
				p.Notices = append(p.Notices, Notice{Message: fmt.Sprintf(
					"%s %q and %q both make the slug %q; %q is published under %s%s",
					strings.TrimSuffix(string(kind), "s"), gs[0].key, g.key, slug, f.Name, kind, "/"+f.Slug+"/")})
			}
			feeds = append(feeds, f)
		}
	}
	sort.Slice(feeds, func(i, j int) bool { return feeds[i].Slug < feeds[j].Slug })
	return feeds
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
func (p *Plan) assignIDs(posts []*source.Post) {
	p.IDs = make(map[*source.Post]string, len(posts))
	byID := map[string][]*source.Post{}
	for _, x := range posts {
		byID[x.ID] = append(byID[x.ID], x)
	}
	for id, xs := range byID {
		if len(xs) == 1 {
			p.IDs[xs[0]] = id
			continue
		}
		sort.Slice(xs, func(i, j int) bool {
			if !xs[i].Published.Equal(xs[j].Published) {
				return xs[i].Published.Before(xs[j].Published)
			}
			return xs[i].Path < xs[j].Path
		})
		p.IDs[xs[0]] = id
		for _, x := range xs[1:] {
			sum := sha256.Sum256([]byte(x.Path))
			sep := "#"
			if strings.Contains(id, "#") {
				sep = "-"
			}
			p.IDs[x] = id + sep + "dup-" + hex.EncodeToString(sum[:4])
			p.Notices = append(p.Notices, Notice{Path: x.Path, Message: fmt.Sprintf(
				"has the same id as %s (%s); published with id %s", xs[0].Path, id, p.IDs[x])})
		}
	}
	sort.Slice(p.Notices, func(i, j int) bool { return p.Notices[i].String() < p.Notices[j].String() })
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
	}
	if pattern == "" {
		return p.siteURL.String()
	}
	return strings.ReplaceAll(pattern, ":slug", url.PathEscape(f.Slug))
}

// title names the site and, for tag and category feeds, the tag.
func (p *Plan) title(f *Feed) string {
	switch f.Kind {
	case TagFeed:
		return fmt.Sprintf("%s – tag: %s", p.Site.Title, f.Name)
	case CategoryFeed:
		return fmt.Sprintf("%s – category: %s", p.Site.Title, f.Name)
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
	}
	return desc
}
