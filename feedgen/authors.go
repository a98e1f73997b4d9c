package feedgen

import (
	"errors"
	"fmt"
	"maps"
	"net/mail"
	"regexp"
	"slices"
	"strings"

	"github.com/syndicate/syndicate/feedtext"
	"github.com/syndicate/syndicate/fingerprint"
	"github.com/syndicate/syndicate/source"
)

// Author is how a site presents someone its posts credit (config
// authors:), keyed in NewAuthors' map by the name as front matter writes
// it.
type Author struct {
	// Name is the display name; empty keeps the name posts write (unless
	// that is an e-mail address, which is published only with
	// EmailPublic).
	Name string
	// URL is the author's page, an absolute http(s) URL, or empty: the
	// Atom uri, the JSON Feed url and the author feed's alternate link.
	URL string
	// Email is the author's address, also matched against the addresses
	// posts give (see Authors).
	Email string
	// EmailPublic lets the address reach the documents (RSS author, Atom
	// email). Without it no address is ever published, whether it came
	// from here or from front matter.
	EmailPublic bool
}

// Authors is how a site presents the people its posts credit. A post's
// author matches an entry when the name it is credited under equals the
// entry's key ignoring case (the rule that groups author feeds: NFKC,
// then lower case), else when its e-mail address (or its name, when that
// is an address) equals, ignoring case, the entry's Email or a key that
// is an address. Several spellings may so match one entry; each keeps
// the author feed it has (feeds are grouped, and slugged, by the name
// posts write, so no feed moves when the config changes).
//
// An author no entry matches is presented as the front matter names
// them, without an e-mail address: a name that is an address, or holds
// one, loses it, and an author left with no name is credited nowhere
// (nor given a feed). The nil *Authors matches nothing. An Authors is
// read-only once made and may be shared.
type Authors struct {
	byName  map[string]*Author // tagKey of the key
	byEmail map[string]*Author // lower-case address: Email, or a key that is one
	// sum identifies the entries, for documents' fingerprints.
	sum Fingerprint
}

// NewAuthors checks people and indexes them for matching. Every problem
// is reported, each naming its key as config.yaml writes it
// (authors.KEY.url), joined: a URL that is not an absolute http(s) URL,
// an Email that is not a bare address, two keys that match alike, and
// one address claimed by two entries.
func NewAuthors(people map[string]Author) (*Authors, error) {
	d := &Authors{byName: map[string]*Author{}, byEmail: map[string]*Author{}}
	var errs []error
	keyOf := map[*Author]string{}
	h := fingerprint.New()
	h.Str("authors")
	for _, key := range slices.Sorted(maps.Keys(people)) {
		e := people[key]
		e.Name = strings.TrimSpace(source.PlainText(e.Name))
		e.URL = strings.TrimSpace(e.URL)
		e.Email = strings.TrimSpace(e.Email)
		if e.URL != "" {
			if u := absoluteURL(e.URL); u != "" {
				e.URL = u
			} else {
				errs = append(errs, fmt.Errorf("authors.%s.url: %q is not an absolute http(s) URL", key, e.URL))
			}
		}
		if e.Email != "" && validEmail(e.Email) == "" {
			errs = append(errs, fmt.Errorf("authors.%s.email: %q is not an e-mail address (write it bare: name@example.org)", key, e.Email))
		}
		name := cleanName(key)
		if name == "" {
			errs = append(errs, fmt.Errorf("authors.%s: the key names no one", key))
			continue
		}
		entry := &e
		keyOf[entry] = key
		if other, ok := d.byName[tagKey(name)]; ok {
			errs = append(errs, fmt.Errorf("authors.%s: the same name as authors.%s (names match ignoring case)", key, keyOf[other]))
			continue
		}
		d.byName[tagKey(name)] = entry
		for _, addr := range []string{validEmail(name), e.Email} {
			if addr == "" {
				continue
			}
			addr = strings.ToLower(addr)
			if other, ok := d.byEmail[addr]; ok && other != entry {
				errs = append(errs, fmt.Errorf("authors.%s: the address %s is authors.%s's too", key, addr, keyOf[other]))
				continue
			}
			d.byEmail[addr] = entry
		}
		for _, v := range []string{key, e.Name, e.URL, e.Email} {
			h.Str(v)
		}
		h.Bool(e.EmailPublic)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	d.sum = h.Sum()
	return d, nil
}

// cleanName is a name as the documents write it: plain text, trimmed.
func cleanName(s string) string { return strings.TrimSpace(feedtext.Plain(s)) }

// lookup is the entry for an author credited under name (cleaned) with
// the address email (valid or "").
func (d *Authors) lookup(name, email string) *Author {
	if d == nil {
		return nil
	}
	if e := d.byName[tagKey(name)]; e != nil {
		return e
	}
	for _, addr := range []string{email, validEmail(name)} {
		if addr != "" {
			if e := d.byEmail[strings.ToLower(addr)]; e != nil {
				return e
			}
		}
	}
	return nil
}

// present is the author as the documents show them: a display name,
// an absolute URL or "", and an address only when its entry makes it
// public. A zero Name means the author is credited nowhere.
func (d *Authors) present(a source.Author) source.Author {
	name, email, link := cleanName(a.Name), validEmail(a.Email), absoluteURL(a.URL)
	e := d.lookup(name, email)
	if e == nil || !e.EmailPublic {
		var public string
		if e != nil {
			public = e.Name
		}
		if public == "" {
			public = withoutAddresses(name)
		}
		out := source.Author{Name: public, URL: link}
		if e != nil && e.URL != "" {
			out.URL = e.URL
		}
		if out.Name == "" {
			return source.Author{}
		}
		return out
	}
	if e.Email != "" {
		email = e.Email
	} else if email == "" {
		email = validEmail(name)
	}
	if e.Name != "" {
		name = e.Name
	}
	if e.URL != "" {
		link = e.URL
	}
	return source.Author{Name: name, Email: email, URL: link}
}

// credited says whether an author named name (as a post writes it) is
// credited in documents, and so has a feed. Only a name holding an '@'
// can fail, so most are answered without a look-up.
func (d *Authors) credited(a source.Author) bool {
	if strings.IndexByte(a.Name, '@') < 0 {
		return cleanName(a.Name) != ""
	}
	return d.present(a).Name != ""
}

// withoutAddresses is name with everything in it that looks like an
// e-mail address (a word with an '@' inside, with or without mailto:)
// removed, and the brackets left empty by that ("Jane Doe
// <jane@example.org>", "jane@example.org (Jane)" and "jane@example.org"
// give "Jane Doe", "Jane" and ""), so that no address reaches a document
// through a name. A handle such as "@jane" is no address and stays.
func withoutAddresses(name string) string {
	if strings.IndexByte(name, '@') < 0 || !addressLike.MatchString(name) {
		return name
	}
	out := addressLike.ReplaceAllString(name, " ")
	out = emptyBrackets.ReplaceAllString(out, " ")
	out = strings.Join(strings.Fields(out), " ")
	if len(out) >= 2 && (out[0] == '(' && out[len(out)-1] == ')' || out[0] == '[' && out[len(out)-1] == ']') &&
		strings.Count(out, out[:1]) == 1 {
		out = strings.TrimSpace(out[1 : len(out)-1])
	}
	return strings.TrimSpace(strings.Trim(out, ",;:- "))
}

var (
	addressLike   = regexp.MustCompile(`(?i)(mailto:)?[^\s<>()\[\]{},;:"'@]+@[^\s<>()\[\]{},;:"'@]+`)
	emptyBrackets = regexp.MustCompile(`\(\s*\)|<\s*>|\[\s*\]|\{\s*\}`)
)

// siteAuthor is Site.Author as presented; a zero Name when there is none
// to credit.
func (p *Plan) siteAuthor() source.Author {
	a := source.Author{Name: p.Site.Author}
	if strings.IndexByte(a.Name, '@') >= 0 {
		if m, err := mail.ParseAddress(a.Name); err == nil && m.Name != "" {
			a = source.Author{Name: m.Name, Email: m.Address}
		}
	}
	return p.Site.Authors.present(a)
}
