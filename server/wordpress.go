package server

import (
	"net/url"
	"strings"
)

// WordPress answers the feed URLs a WordPress site publishes, so that a
// site moving to syndicate keeps its subscribers: the documents are served
// in place with 200 (NetNewsWire and Feedbin do not follow a permanent
// redirect for good, Miniflux moves a subscription even on a temporary
// one), and their self links keep naming the canonical syndicate URL.
// The forms are matched at the root of the host, whatever the prefix:
//
//	/feed/ /feed/rss2/ /feed/rss/ /feed/rdf/ (RSS)   /feed/atom/ (Atom)
//	/TAGBASE/SLUG/feed/[FORM/]
//	/CATEGORYBASE/[PARENT/...]CHILD/feed/[FORM/]   (the last slug names the category)
//	/author/SLUG/feed/[FORM/]
//	/?feed=rss2|rss|rdf|atom with tag=, category_name= or author_name=
//
// each with or without the trailing slash. A form asks for RSS or Atom;
// when that format is not written, the feed's other formats stand in.
type WordPress struct {
	// TagBase and CategoryBase are the first segments of tag and category
	// archives ("tag" and "category" unless the site changed them).
	TagBase, CategoryBase string
}

// candidates lists the documents that answer a WordPress feed URL, best
// first, or nil when the request is not one.
func (wp *WordPress) candidates(path, rawQuery string) []string {
	if path == "/" || path == "/index.php" {
		q, err := url.ParseQuery(rawQuery)
		if err != nil || !q.Has("feed") {
			return nil
		}
		atom, ok := feedForm(q.Get("feed"))
		if !ok {
			return nil
		}
		dir := ""
		switch {
		case q.Has("tag"):
			dir = folder("tags", q.Get("tag"))
		case q.Has("category_name"):
			dir = folder("categories", lastSegment(q.Get("category_name")))
		case q.Has("author_name"):
			dir = folder("authors", q.Get("author_name"))
		}
		if dir == "-" {
			return nil
		}
		return formats(dir, atom)
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	// The feed's form: ".../feed" or ".../feed/FORM".
	i := len(segs) - 1
	atom := false
	if i >= 1 && segs[i-1] == "feed" {
		if a, ok := feedForm(segs[i]); ok {
			atom = a
			i--
		}
	}
	if i < 0 || segs[i] != "feed" {
		return nil
	}
	archive := segs[:i]
	dir := ""
	switch {
	case len(archive) == 0:
	case len(archive) == 2 && archive[0] == wp.TagBase:
		dir = folder("tags", archive[1])
	case len(archive) >= 2 && archive[0] == wp.CategoryBase:
		dir = folder("categories", archive[len(archive)-1])
	case len(archive) == 2 && archive[0] == "author":
		dir = folder("authors", archive[1])
	default:
		return nil
	}
	if dir == "-" {
		return nil
	}
	return formats(dir, atom)
}

// feedForm says whether a WordPress feed name asks for Atom (else RSS);
// "" is WordPress's default, RSS 2.0.
func feedForm(name string) (atom, ok bool) {
	switch name {
	case "", "rss2", "rss", "rdf":
		return false, true
	case "atom":
		return true, true
	}
	return false, false
}

// folder is a feed's folder in the tree, or "-" for a slug that cannot
// name one.
func folder(kind, slug string) string {
	if slug == "" || strings.ContainsAny(slug, `/\`) || slug == "." || slug == ".." {
		return "-"
	}
	return kind + "/" + slug + "/"
}

func lastSegment(s string) string {
	s = strings.Trim(s, "/")
	return s[strings.LastIndexByte(s, '/')+1:]
}

// formats lists a folder's documents, the asked-for format first.
func formats(dir string, atom bool) []string {
	if atom {
		return []string{dir + "feed.atom", dir + "feed.rss", dir + "feed.json"}
	}
	return []string{dir + "feed.rss", dir + "feed.atom", dir + "feed.json"}
}
