package pages

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/syndicate/syndicate/feedgen"
	"github.com/syndicate/syndicate/fingerprint"
)

// The include answers WordPress's feed URLs as serve's server.WordPress
// does (cmd/syndicate's nginx end-to-end test holds the two to the same
// answers), for a feed tree that nginx serves as files. It is made of
// server-level rewrite, if and set directives only: no location, which
// could clash with the server's own, and no map, which would need the
// http context, so one include line in the server block is all it takes.
// Path forms are matched against nginx's $uri (decoded, dot segments and
// double slashes resolved); query forms against the raw $args, the first
// of each parameter counting as net/url's Get does. nginx cannot decode
// an argument, so a query value holding a %-escape is left alone.

// rssForms and atomForm are WordPress's feed names that ask for RSS
// and for Atom: the segment after /feed/ (none asks for RSS too), and
// the value of feed= (empty too).
const (
	rssForms = `rss2|rss|rdf`
	atomForm = `atom`
)

// nginxInclude is the include for the plan's feed tree.
func (s *Set) nginxInclude() ([]byte, time.Time, error) {
	root, err := s.treePath()
	if err != nil {
		return nil, time.Time{}, err
	}
	wp := s.opts.WordPress
	for _, base := range []string{wp.TagBase, wp.CategoryBase} {
		if strings.ContainsFunc(base, unicode.IsControl) {
			return nil, time.Time{}, fmt.Errorf("WordPress base %q holds a control character", base)
		}
	}
	rss := root + "${dir}" + s.standIn(feedgen.RSS, feedgen.Atom, feedgen.JSON).FileName()
	atom := root + "${dir}" + s.standIn(feedgen.Atom, feedgen.RSS, feedgen.JSON).FileName()
	var b strings.Builder
	line := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	line("# %s: made by syndicate (server.wordpress_urls: true) for the feed tree", NginxName)
	line("# %s. Include it in the server { } block that serves that tree at", s.plan.Site.FeedsURL)
	line("# %s, with one line:", root)
	line("#")
	line("#     include /path/to/output_dir/%s;", NginxName)
	line("#")
	line("# It answers a WordPress site's feed URLs with the tree's documents in")
	line("# place (internal rewrites: 200, no redirect). It changes only with")
	line("# site.feeds_url, feeds.formats and the WordPress bases: reload nginx then.")
	line("")
	line("# This file is in the tree; nothing needs to fetch it.")
	line("if ($uri = %s) { return 404; }", nginxQuote(root+NginxName))
	line("")
	// A path form's capture is one decoded segment; the file it names
	// exists only for a real slug (no '/', '.' or '\'), else nginx
	// answers 404 as serve does.
	path := func(comment, archive string, dir string) {
		line("# %s", comment)
		for _, form := range []struct{ re, to string }{{"(?:/(?:" + rssForms + "))?", rss}, {"/" + atomForm, atom}} {
			line("rewrite %s %s last;", nginxQuote("^"+archive+"/feed"+form.re+"/?$"), nginxQuote(strings.ReplaceAll(form.to, "${dir}", dir)))
		}
	}
	path("/feed/, /feed/rss2/, /feed/rss/, /feed/rdf/, /feed/atom/, each with or without the slash.", "", "")
	path("/"+wp.TagBase+"/SLUG/feed/[FORM/]", "/"+regexp.QuoteMeta(wp.TagBase)+"/([^/]+)", "tags/$1/")
	path("/"+wp.CategoryBase+"/[PARENT/...]SLUG/feed/[FORM/]: the last slug names the category.", "/"+regexp.QuoteMeta(wp.CategoryBase)+"/(?:[^/]+/)*([^/]+)", "categories/$1/")
	path("/author/SLUG/feed/[FORM/]", "/author/([^/]+)", "authors/$1/")
	line("")
	line("# /?feed=FORM and /index.php?feed=FORM, alone or with tag=, category_name=")
	line("# (PARENT/CHILD: the last slug) or author_name=; the first of each counts.")
	param := func(name string) string {
		return nginxQuote(`^(?:[^&]*&)*?` + name + `(?:=|(?=&|$))(?<syndicate_wp_v>[^&]*)`)
	}
	line("set $syndicate_wp_form \"-\";")
	line("if ($args ~ %s) { set $syndicate_wp_form $syndicate_wp_v; }", param("feed"))
	line("set $syndicate_wp_dir \"\";")
	for _, p := range []struct{ name, kind string }{{"author_name", "authors"}, {"category_name", "categories"}, {"tag", "tags"}} {
		line("if ($args ~ %s) { set $syndicate_wp_dir \"%s/$syndicate_wp_v/\"; }", param(p.name), p.kind)
	}
	line("if ($syndicate_wp_dir ~ %s) { set $syndicate_wp_dir \"categories/$syndicate_wp_v/\"; }", nginxQuote(`^categories/(?:.*/)?(?<syndicate_wp_v>[^/]+)/+$`))
	line("set $syndicate_wp \"$uri $syndicate_wp_form $syndicate_wp_dir\";")
	query := func(form, to string) {
		re := `^/(?:index\.php)? ` + form + ` (?<syndicate_wp_v>(?:[a-z]+/[^/.%\\ ]+/)?)$`
		line("if ($syndicate_wp ~ %s) { rewrite ^ %s last; }", nginxQuote(re), nginxQuote(strings.ReplaceAll(to, "${dir}", "${syndicate_wp_v}")))
	}
	query("(?:|"+rssForms+")", rss)
	query(atomForm, atom)
	return []byte(b.String()), s.site.Updated(), nil
}

// standIn is the file that answers a form asking for the first format:
// the first of the formats written, as serve's stand-ins.
func (s *Set) standIn(formats ...feedgen.Format) feedgen.Format {
	for _, f := range formats {
		for _, w := range s.plan.Options.Formats {
			if f == w {
				return f
			}
		}
	}
	return s.plan.Options.Formats[0]
}

// treePath is the path of the feed tree on its host (site.feeds_url's),
// decoded as nginx's $uri is, with a slash at each end. A '$' (nginx
// would read a variable), a '?' (the arguments) or a control character
// cannot go into the include.
func (s *Set) treePath() (string, error) {
	u, err := url.Parse(s.plan.Site.FeedsURL)
	if err != nil {
		return "", err
	}
	p := "/" + strings.Trim(u.Path, "/") + "/"
	if p == "//" {
		p = "/"
	}
	if strings.ContainsFunc(p, func(r rune) bool { return r == '$' || r == '?' || r < ' ' || r == 0x7f }) {
		return "", fmt.Errorf("site.feeds_url's path %q holds a character nginx would not read as a path ($, ? or a control character)", p)
	}
	return p, nil
}

// nginxQuote writes s as one double-quoted nginx token: inside quotes
// nginx reads \" and \\ as the characters and everything else as it is.
func nginxQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// nginxFingerprint covers everything the include depends on.
func (s *Set) nginxFingerprint() feedgen.Fingerprint {
	h := fingerprint.New()
	h.Str("syndicate nginx include")
	h.Int(Version)
	h.Str(s.plan.Site.FeedsURL)
	h.Str(s.opts.WordPress.TagBase)
	h.Str(s.opts.WordPress.CategoryBase)
	for _, f := range s.plan.Options.Formats {
		h.Str(string(f))
	}
	return h.Sum()
}
