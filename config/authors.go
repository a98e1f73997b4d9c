package config

import (
	"fmt"
	"slices"

	"gopkg.in/yaml.v3"

	"github.com/syndicate/syndicate/feedgen"
)

// Authors is config.yaml's authors: map, keyed by the name as front
// matter writes it (authors.jdoe.name). Its entries' keys are checked
// here, since yaml.v3 checks known fields only for the whole document's
// decoder, which a map's own decoding does not reach.
type Authors struct {
	People map[string]Author
	errs   []error // reported by Validate
}

// Author is one entry of authors:.
type Author struct {
	// Name is the display name.
	Name string `yaml:"name"`
	// URL is the author's page, absolute or relative to site.url.
	URL   string `yaml:"url"`
	Email string `yaml:"email"`
	// EmailPublic lets the address reach the feeds; default false.
	EmailPublic bool `yaml:"email_public"`
}

// authorKeys are an entry's keys, as config.yaml writes them.
var authorKeys = []string{"name", "url", "email", "email_public"}

// UnmarshalYAML reads the map, keeping every unknown or malformed key
// (named authors.NAME.KEY, with its line) for Validate to report with
// the config's other problems.
func (a *Authors) UnmarshalYAML(n *yaml.Node) error {
	*a = Authors{People: map[string]Author{}}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		a.errs = append(a.errs, fmt.Errorf("authors: line %d: want a map from names to name, url, email and email_public", n.Line))
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := k.Value
		var e Author
		switch {
		case v.Kind == yaml.ScalarNode && v.Tag == "!!null":
		case v.Kind != yaml.MappingNode:
			a.errs = append(a.errs, fmt.Errorf("authors.%s: line %d: want a map of %v", key, v.Line, authorKeys))
			continue
		default:
			for j := 0; j+1 < len(v.Content); j += 2 {
				if f := v.Content[j]; !slices.Contains(authorKeys, f.Value) {
					a.errs = append(a.errs, fmt.Errorf("authors.%s.%s: line %d: unknown key (want one of %v)", key, f.Value, f.Line, authorKeys))
				}
			}
			if err := v.Decode(&e); err != nil {
				a.errs = append(a.errs, fmt.Errorf("authors.%s: line %d: %w", key, v.Line, err))
				continue
			}
		}
		a.People[key] = e
	}
	return nil
}

// authors is the authors: map as feedgen presents it, URLs resolved
// against site.url; its error names every key at fault.
func (c *Config) authors() (*feedgen.Authors, error) {
	if len(c.Authors.People) == 0 {
		return nil, nil
	}
	people := make(map[string]feedgen.Author, len(c.Authors.People))
	for key, e := range c.Authors.People {
		u := e.URL
		if u != "" && httpURL(c.Site.URL) {
			if abs := siteRelative(c.Site.URL, u); abs != "" {
				u = abs
			}
		}
		people[key] = feedgen.Author{Name: e.Name, URL: u, Email: e.Email, EmailPublic: e.EmailPublic}
	}
	return feedgen.NewAuthors(people)
}
