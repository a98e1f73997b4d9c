package server

import (
	"strconv"
	"strings"

	"github.com/syndicate/syndicate/feedgen"
	"github.com/syndicate/syndicate/pages"
)

// feedTypes are the media types a feed reader may ask for a feed by: the
// three formats', the generic XML and JSON ones, and RSS 1.0's. A request
// gets a page instead of a feed only when it ranks text/html above every
// one of them.
var feedTypes = []string{
	"application/rss+xml", "application/atom+xml", "application/feed+json",
	"application/rdf+xml", "application/xml", "text/xml", "application/json",
}

// pageFor is the document to answer a feed request with when the
// handler offers pages to browsers (BrowserPages): the page of the feed's
// folder when there is one and the request prefers HTML (prefersHTML),
// else d itself. varies says whether the answer depends on Accept: for a
// feed with a page, whichever is sent.
func pageFor(set *Set, key string, d *servedDoc, accept []string) (doc *servedDoc, varies bool) {
	switch d.doc.Format {
	case feedgen.RSS, feedgen.Atom, feedgen.JSON:
	default:
		return d, false
	}
	page := set.docs[key[:strings.LastIndexByte(key, '/')+1]+pages.IndexName]
	if page == nil {
		return d, false
	}
	if prefersHTML(accept) {
		return page, true
	}
	return d, true
}

// prefersHTML reports whether Accept header values rank text/html
// strictly above every feed and XML type (feedTypes), each type taking
// the quality of the most specific range that matches it (RFC 9110,
// 12.5.1). No Accept, "*/*", a tie, or anything that does not parse is
// not a preference: such a request gets the feed, so a feed reader never
// gets a page.
func prefersHTML(accept []string) bool {
	if len(accept) == 0 {
		return false
	}
	type mediaRange struct {
		typ, sub string
		q        float64
	}
	var ranges []mediaRange
	for _, v := range accept {
		for part := range strings.SplitSeq(v, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			params := strings.Split(part, ";")
			typ, sub, ok := strings.Cut(strings.ToLower(strings.TrimSpace(params[0])), "/")
			if !ok || typ == "" || sub == "" || typ == "*" && sub != "*" {
				return false
			}
			r := mediaRange{typ: typ, sub: sub, q: 1}
			for _, p := range params[1:] {
				k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
				if strings.EqualFold(strings.TrimSpace(k), "q") {
					q, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
					if err != nil || q < 0 || q > 1 {
						return false
					}
					r.q = q
				}
			}
			ranges = append(ranges, r)
		}
	}
	// quality is the type's quality; where equally specific ranges
	// disagree, the lower (for HTML) or the higher (for feeds) counts, so
	// a doubt goes to the feed.
	quality := func(mt string, low bool) float64 {
		typ, sub, _ := strings.Cut(mt, "/")
		best, q := -1, 0.0
		for _, r := range ranges {
			spec := -1
			switch {
			case r.typ == typ && r.sub == sub:
				spec = 2
			case r.typ == typ && r.sub == "*":
				spec = 1
			case r.typ == "*":
				spec = 0
			}
			if spec > best || spec == best && spec >= 0 && (r.q < q) == low {
				best, q = spec, r.q
			}
		}
		return q
	}
	html := quality("text/html", true)
	if html <= 0 {
		return false
	}
	for _, t := range feedTypes {
		if quality(t, false) >= html {
			return false
		}
	}
	return true
}
