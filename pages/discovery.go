package pages

import (
	"crypto/sha256"
	"encoding/binary"
	"time"

	"github.com/syndicate/syndicate/feedgen"
	"github.com/syndicate/syndicate/fingerprint"
)

// snippetLinks are the links of a feed's discovery snippet: the feed in
// each format written, the main one first, then the site feed likewise
// (once, in the site feed's own snippet).
func (s *Set) snippetLinks(f *feedgen.Feed) []altLink {
	from := f.Dir() + DiscoveryName
	links := s.discovery(f, from)
	if f != s.site {
		links = append(links, s.discovery(s.site, from)...)
	}
	return links
}

// snippetBase hashes what every snippet's links depend on: the feeds'
// address, the formats and the site feed's title.
func (s *Set) snippetBase() feedgen.Fingerprint {
	h := fingerprint.New()
	h.Str("syndicate discovery snippet")
	h.Int(Version)
	h.Str(s.plan.Site.FeedsURL)
	for _, f := range s.plan.Options.Formats {
		h.Str(string(f))
	}
	h.Str(s.plan.Title(s.site))
	return h.Sum()
}

// discoveryFingerprint is the fingerprint of a feed's snippet: base
// (snippetBase) and what its own links add, the feed's kind, slug and
// title, each with its length. It builds no link, and hashes in one call
// from buf (reused, returned grown), as every rebuild takes every
// snippet's.
func (s *Set) discoveryFingerprint(base feedgen.Fingerprint, f *feedgen.Feed, buf []byte) (feedgen.Fingerprint, []byte) {
	buf = append(buf[:0], base[:]...)
	for _, v := range []string{string(f.Kind), f.Slug, s.plan.Title(f)} {
		buf = binary.AppendUvarint(buf, uint64(len(v)))
		buf = append(buf, v...)
	}
	return sha256.Sum256(buf), buf
}

// discoverySnippet is a feed's snippet: one autodiscovery link a line,
// absolute, for a theme to put in its pages' <head> as it is. Its time
// is the feed's last update, as its page's is.
func (s *Set) discoverySnippet(f *feedgen.Feed) ([]byte, time.Time, error) {
	return appendAltLinks(nil, s.snippetLinks(f), true), f.Updated(), nil
}
