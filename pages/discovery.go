package pages

import (
	"bytes"
	"html/template"
	"time"

	"github.com/syndicate/syndicate/feedgen"
)

// discoveryTemplate is a discovery snippet: one autodiscovery link a
// line, absolute, for a theme to put in its pages' <head> as it is.
var discoveryTemplate = template.Must(template.New("discovery").Parse(
	`{{range .}}<link rel="alternate" {{.Type}} title="{{.Title}}" href="{{.URL}}">
{{end}}`))

// snippetLinks are the links of a feed's discovery snippet: the feed in
// each format written, the main one first, then the site feed likewise
// (once, in the site feed's own snippet). They are all the snippet's
// inputs, so they are its fingerprint's too.
func (s *Set) snippetLinks(f *feedgen.Feed) []altLink {
	from := f.Dir() + DiscoveryName
	links := s.discovery(f, from)
	if f != s.site {
		links = append(links, s.discovery(s.site, from)...)
	}
	return links
}

// discoveryFingerprint is the fingerprint of a feed's snippet.
func (s *Set) discoveryFingerprint(f *feedgen.Feed) feedgen.Fingerprint {
	h := newHasher()
	h.str("syndicate discovery snippet")
	h.int(Version)
	for _, l := range s.snippetLinks(f) {
		h.str(string(l.Type))
		h.str(l.Title)
		h.str(l.URL)
	}
	return h.sum()
}

// discoverySnippet is a feed's snippet; its time is the feed's last
// update, as its page's is.
func (s *Set) discoverySnippet(f *feedgen.Feed) ([]byte, time.Time, error) {
	var buf bytes.Buffer
	if err := discoveryTemplate.Execute(&buf, s.snippetLinks(f)); err != nil {
		return nil, time.Time{}, err
	}
	return buf.Bytes(), f.Updated(), nil
}
