package feedgen

import (
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/syndicate/syndicate/feedtext"
	"github.com/syndicate/syndicate/source"
)

// replan makes an Incremental plan (Options.Incremental): from prev's
// state when prev kept one for the same site and options, comparing
// posts by address, else from scratch, keeping the state for the next.
func replan(prev *Plan, site Site, opts Options, posts []*source.Post) (*Plan, error) {
	p, err := newPlan(site, opts)
	if err != nil {
		return nil, err
	}
	var st *planState
	if prev != nil {
		st, prev.state = prev.state, nil
	}
	var gone, added []*source.Post
	if st != nil && st.site == p.Site && st.sameOptions(p.Options) {
		var ok bool
		if gone, added, ok = diffSorted(st.input, posts); !ok {
			st = nil
		}
	} else {
		st = nil
	}
	if st == nil {
		st = newPlanState(p.Site, p.Options)
		added = make([]*source.Post, 0, len(posts))
		for _, x := range posts {
			if x != nil {
				added = append(added, x)
			}
		}
		less := func(i, j int) bool { return newerThan(added[i], added[j]) }
		if !sort.SliceIsSorted(added, less) {
			sort.SliceStable(added, less)
		}
	}
	st.apply(gone, added)
	p.state = st
	st.plan(p)
	if err := p.checkFeeds(st.pub); err != nil {
		return nil, err
	}
	return p, nil
}

// planState is what an Incremental plan keeps to make the next.
type planState struct {
	site Site
	opts Options
	// input is the posts given, without nils, newest first; pub those
	// that are published (publishable).
	input, pub []*source.Post
	// notes are each post's own notices (a bad link or id).
	notes map[*source.Post][]Notice
	// ids are the published posts' claimed ids (claimedID); idOne holds
	// the ids one post claims, idMore the claimants of the others.
	ids    map[*source.Post]string
	idOne  map[string]*source.Post
	idMore map[string][]*source.Post
	tags   groupSet
	cats   groupSet
	// authors is kept only when the options ask for author feeds.
	authors *groupSet
}

// groupSet is every tag (or category) with all of its posts.
type groupSet struct {
	names func(*source.Post) []string
	// groups by key; a group's posts are all that name it, newest first.
	groups map[string]*nameGroup
	// spelt remembers how each raw spelling cleans and folds.
	spelt map[string]spelling
}

type spelling struct{ name, key string } // key "" for a name that cleans away

func newPlanState(site Site, opts Options) *planState {
	st := &planState{
		site: site, opts: opts,
		notes: map[*source.Post][]Notice{},
		ids:   map[*source.Post]string{}, idOne: map[string]*source.Post{}, idMore: map[string][]*source.Post{},
		tags: groupSet{names: func(x *source.Post) []string { return x.Tags },
			groups: map[string]*nameGroup{}, spelt: map[string]spelling{}},
		cats: groupSet{names: func(x *source.Post) []string { return x.Categories },
			groups: map[string]*nameGroup{}, spelt: map[string]spelling{}},
	}
	if opts.AuthorFeeds {
		st.authors = &groupSet{names: authorNames(site.Authors), groups: map[string]*nameGroup{}, spelt: map[string]spelling{}}
	}
	return st
}

func (st *planState) sameOptions(o Options) bool {
	return st.opts.Limit == o.Limit && st.opts.SummaryOnly == o.SummaryOnly && st.opts.AuthorFeeds == o.AuthorFeeds &&
		st.opts.Compressed == o.Compressed && slices.Equal(st.opts.Formats, o.Formats)
}

// apply takes the posts in gone out and puts those in added in; both are
// newest first.
func (st *planState) apply(gone, added []*source.Post) {
	var pubGone, pubAdded []*source.Post
	for _, x := range gone {
		if _, ok := st.ids[x]; ok {
			pubGone = append(pubGone, x)
			st.dropID(x)
			st.tags.remove(x)
			st.cats.remove(x)
			if st.authors != nil {
				st.authors.remove(x)
			}
		}
		delete(st.notes, x)
	}
	for _, x := range added {
		var notes []Notice
		if publishable(x, &notes) {
			pubAdded = append(pubAdded, x)
			st.claimID(x, claimedID(x, st.site.WordPressGUIDBase, &notes))
			st.tags.add(x)
			st.cats.add(x)
			if st.authors != nil {
				st.authors.add(x)
			}
		}
		if len(notes) > 0 {
			st.notes[x] = notes
		}
	}
	st.input = splice(st.input, gone, added)
	st.pub = splice(st.pub, pubGone, pubAdded)
}

func (st *planState) claimID(x *source.Post, id string) {
	st.ids[x] = id
	if more, ok := st.idMore[id]; ok {
		st.idMore[id] = append(more, x)
	} else if one, ok := st.idOne[id]; ok {
		st.idMore[id] = []*source.Post{one, x}
		delete(st.idOne, id)
	} else {
		st.idOne[id] = x
	}
}

func (st *planState) dropID(x *source.Post) {
	id := st.ids[x]
	delete(st.ids, x)
	if more, ok := st.idMore[id]; ok {
		more = slices.DeleteFunc(slices.Clone(more), func(y *source.Post) bool { return y == x })
		if len(more) == 1 {
			st.idOne[id] = more[0]
			delete(st.idMore, id)
		} else {
			st.idMore[id] = more
		}
		return
	}
	delete(st.idOne, id)
}

// keysOf lists the groups x names, each once.
func (gs *groupSet) keysOf(x *source.Post) []spelling {
	var out []spelling
	for _, raw := range gs.names(x) {
		sp, ok := gs.spelt[raw]
		if !ok {
			sp.name = strings.TrimSpace(feedtext.Plain(raw))
			if sp.name != "" {
				sp.key = tagKey(sp.name)
			}
			gs.spelt[raw] = sp
		}
		if sp.key != "" {
			out = append(out, sp)
		}
	}
	return out
}

func (gs *groupSet) add(x *source.Post) {
	var done []*nameGroup
	for _, sp := range gs.keysOf(x) {
		g := gs.groups[sp.key]
		if g == nil {
			g = newNameGroup(sp.key)
			gs.groups[sp.key] = g
		}
		g.spelling[sp.name]++
		if !slices.Contains(done, g) {
			done = append(done, g)
			if n := len(g.posts); n == 0 || newerThan(g.posts[n-1], x) {
				g.posts = append(g.posts, x) // a first plan adds posts in order
			} else {
				g.posts = slices.Insert(g.posts, insertAt(g.posts, x), x)
			}
		}
	}
}

func (gs *groupSet) remove(x *source.Post) {
	var done []*nameGroup
	for _, sp := range gs.keysOf(x) {
		g := gs.groups[sp.key]
		if g == nil {
			continue // cannot happen: x was added
		}
		if g.spelling[sp.name]--; g.spelling[sp.name] <= 0 {
			delete(g.spelling, sp.name)
		}
		if !slices.Contains(done, g) {
			done = append(done, g)
			if i := indexOf(g.posts, x); i >= 0 {
				g.posts = slices.Delete(g.posts, i, i+1)
			}
		}
		if len(g.posts) == 0 {
			delete(gs.groups, sp.key)
		}
	}
}

// plan fills p's feeds, ids and notices in from the state.
func (st *planState) plan(p *Plan) {
	var notices []Notice
	for _, ns := range st.notes {
		notices = append(notices, ns...)
	}
	var dups map[*source.Post]string
	if len(st.idMore) > 0 {
		claimed := func(id string) bool {
			_, one := st.idOne[id]
			_, more := st.idMore[id]
			return one || more
		}
		dups = settleClashes(st.idMore, claimed, &notices)
	}
	p.Feeds = append(p.Feeds, &Feed{Kind: SiteFeed, Posts: newest(st.pub, p.Options.Limit)})
	p.Feeds = append(p.Feeds, p.feedsOf(TagFeed, slices.Collect(maps.Values(st.tags.groups)), &notices)...)
	p.Feeds = append(p.Feeds, p.feedsOf(CategoryFeed, slices.Collect(maps.Values(st.cats.groups)), &notices)...)
	if st.authors != nil {
		p.Feeds = append(p.Feeds, p.feedsOf(AuthorFeed, slices.Collect(maps.Values(st.authors.groups)), &notices)...)
	}
	p.keepFeeds()

	p.setListed(st.pub, func(_ int, x *source.Post) string {
		if id, ok := dups[x]; ok {
			return id
		}
		return st.ids[x]
	})
	p.keepIDs(st.input, &notices)
	sort.SliceStable(notices, func(i, j int) bool { return notices[i].String() < notices[j].String() })
	p.Notices = notices
}

// diffSorted compares two post lists ordered newest first (newerThan)
// by address, reading only posts where they differ: gone are in old
// only, added in cur only, both newest first. ok is false when cur is not
// in order, or holds a post twice.
func diffSorted(old, cur []*source.Post) (gone, added []*source.Post, ok bool) {
	i := 0
	var prev *source.Post
	prevFromOld := false
	for _, x := range cur {
		if x == nil {
			continue
		}
		// The posts of old before x's place, other than x, are gone.
		for i < len(old) && old[i] != x && !newerThan(x, old[i]) {
			gone = append(gone, old[i])
			i++
		}
		fromOld := i < len(old) && old[i] == x
		if fromOld {
			i++
		} else {
			added = append(added, x)
		}
		// Two posts in a row from old are in old's order; any other
		// pair is checked.
		if prev != nil && !(fromOld && prevFromOld) && !newerThan(prev, x) {
			return nil, nil, false
		}
		prev, prevFromOld = x, fromOld
	}
	gone = append(gone, old[i:]...)
	return gone, added, true
}

// splice is s, ordered newest first, without gone and with added (both
// newest first, gone a subset of s): the posts are found by binary
// search, so only those near them are read.
func splice(s, gone, added []*source.Post) []*source.Post {
	if len(gone) == 0 && len(added) == 0 {
		return s
	}
	skip := make([]int, 0, len(gone))
	for _, x := range gone {
		if i := indexOf(s, x); i >= 0 {
			skip = append(skip, i)
		}
	}
	slices.Sort(skip)
	at := make([]int, len(added))
	for k, x := range added {
		at[k] = insertAt(s, x)
	}
	out := make([]*source.Post, 0, len(s)-len(skip)+len(added))
	cur, si, ai := 0, 0, 0
	for {
		next := len(s)
		if si < len(skip) {
			next = min(next, skip[si])
		}
		if ai < len(at) {
			next = min(next, at[ai])
		}
		out = append(out, s[cur:next]...)
		cur = next
		for ai < len(at) && at[ai] == cur {
			out = append(out, added[ai])
			ai++
		}
		if si < len(skip) && skip[si] == cur {
			si++
			cur++
			continue
		}
		if cur == len(s) {
			return out
		}
	}
}

// insertAt is where x goes in s, ordered newest first: after every post
// not older than it.
func insertAt(s []*source.Post, x *source.Post) int {
	return sort.Search(len(s), func(i int) bool { return newerThan(x, s[i]) })
}

// indexOf finds x in s, ordered newest first, by binary search; -1 when
// it is not there.
func indexOf(s []*source.Post, x *source.Post) int {
	for i := sort.Search(len(s), func(i int) bool { return !newerThan(s[i], x) }); i < len(s); i++ {
		if s[i] == x {
			return i
		}
		if newerThan(x, s[i]) {
			break
		}
	}
	return -1
}
