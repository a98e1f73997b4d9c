package source

import (
	"encoding/json"
	"fmt"
	"html"
	"math"
	"net/mail"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/syndicate/syndicate/feedtext"
)

// Front matter names accepted for each field, first present wins. The
// README lists them; keep the two in step.
var (
	titleKeys     = []string{"title", "post_title", "linkTitle"}
	publishedKeys = []string{"published", "date", "post_date", "pubDate", "publishDate", "created_at"}
	updatedKeys   = []string{"modified", "lastmod", "lastMod", "updated", "last_modified_at", "date_modified"}
	summaryKeys   = []string{"summary", "description", "excerpt", "post_excerpt"}
	linkKeys      = []string{"canonical", "canonical_url", "permalink", "url"}
	idKeys        = []string{"id", "guid", "uuid"}
	languageKeys  = []string{"language", "lang"}
	tagKeys       = []string{"tags", "tag", "keywords"}
	categoryKeys  = []string{"categories", "category", "topics"}
)

// meta wraps a decoded front matter map with typed, alias-aware lookups.
type meta map[string]any

func (m meta) first(keys []string) (string, any) {
	for _, k := range keys {
		if v, ok := m[k]; ok && !isEmpty(v) {
			return k, v
		}
	}
	return "", nil
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(x) == ""
	case []any:
		return len(x) == 0
	}
	return false
}

// str turns any scalar front matter value into text.
func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case json.Number:
		return x.String()
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case time.Time:
		return x.Format(time.RFC3339)
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			if s := str(e); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, " ")
	case map[string]any:
		return ""
	}
	return fmt.Sprint(v)
}

// PlainText is the rule every plain-text front matter field follows
// (titles, names, the site name): entities decoded, markup removed as
// WordPress's strip_tags removes it, white space collapsed, characters
// feedtext drops (which entities can produce) dropped and C1 controls
// mapped as feedtext.Rune maps them. It is exported so that plain text
// from elsewhere, such as the config's site title, reaches feeds by the
// same rule.
func PlainText(s string) string {
	if isPlainText(s) {
		return s
	}
	return stripText(s)
}

// stripText is text's general case.
func stripText(s string) string {
	s = html.UnescapeString(s)
	// Markup in a plain-text field is removed, as WordPress's feeds do
	// (strip_tags): some readers render titles as HTML, and
	// "<img src=x onerror=...>" must reach none of them.
	if strings.IndexByte(s, '<') >= 0 {
		s = markupLike.ReplaceAllString(s, " ")
	}
	s = strings.Map(func(r rune) rune {
		if r < 0x20 {
			return ' '
		}
		return feedtext.Rune(r)
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// isPlainText reports whether text would return s unchanged: no entity,
// no markup, nothing to drop and single spaces between words. Most titles,
// tags and names are, and skip text's copies.
func isPlainText(s string) bool {
	space := true // a leading space is not plain
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f || c == '&' || c == '<' || c == ' ' && space {
				return false
			}
			space = c == ' '
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if feedtext.Rune(r) != r || unicode.IsSpace(r) {
			return false
		}
		space = false
		i += n
	}
	return !space
}

// list reads a list or a comma-separated string, trimmed and de-duplicated
// case-insensitively (the first spelling wins).
func list(v any) []string {
	var raw []string
	switch x := v.(type) {
	case nil:
	case []any:
		// A list's items are taken whole: "Washington, D.C." is one tag.
		for _, e := range x {
			raw = append(raw, str(e))
		}
	case []string:
		raw = x
	case string:
		raw = strings.Split(x, ",")
	default:
		raw = []string{str(x)}
	}
	out := make([]string, 0, len(raw))
	seen := make(map[string]bool, len(raw))
	for _, s := range raw {
		s = PlainText(s)
		if s == "" {
			continue
		}
		k := strings.ToLower(s)
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, s)
	}
	return out
}

// truthy reads booleans written as YAML/TOML bools or as strings.
func truthy(v any) (val, ok bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true", "yes", "on":
			return true, true
		case "false", "no", "off":
			return false, true
		}
	}
	return false, false
}

// Date layouts, tried in order. Layouts without a zone are read in the
// site's time zone. Months, days and hours may be written without a zero
// ("2024-4-9 9:05": Go's "1", "2" and "15" take one digit or two); minutes
// and seconds may not. time.RFC3339 comes first for its fast path.
var (
	zonedLayouts = []string{
		time.RFC3339,
		"2006-1-2T15:04:05Z07:00",
		"2006-1-2 15:04:05Z07:00",
		"2006-1-2T15:04:05Z0700",
		"2006-1-2 15:04:05Z0700",
		"2006-1-2 15:04:05 Z07:00",
		"2006-1-2 15:04:05 -0700",
		"2006-1-2 15:04:05 -0700 MST",
		"2006-1-2T15:04Z07:00",
		"2006-1-2 15:04Z07:00",
		"2006-1-2 15:04 -0700",
		time.RFC1123Z,
		time.RFC1123,
		"Mon, 2 Jan 2006 15:04:05 -0700",
		"Mon, 2 Jan 2006 15:04:05 MST",
	}
	localLayouts = []string{
		"2006-1-2T15:04:05",
		"2006-1-2 15:04:05",
		"2006-1-2T15:04",
		"2006-1-2 15:04",
		"2006-1-2",
		"2006/1/2 15:04:05",
		"2006/1/2",
	}
)

// parseDate reads a date as real exports write it; loc applies to dates
// without a zone.
func parseDate(v any, loc *time.Location) (time.Time, error) {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		// BurntSushi/toml marks local date-times with zones of these names
		// (its internal.LocalDatetime and LocalDate).
		if name := x.Location().String(); name == "datetime-local" || name == "date-local" {
			x = time.Date(x.Year(), x.Month(), x.Day(), x.Hour(), x.Minute(), x.Second(), x.Nanosecond(), loc)
		}
		t = x
	case string:
		s := strings.TrimSpace(x)
		var err error
		t, err = parseDateString(s, loc)
		if err != nil {
			return time.Time{}, err
		}
	default:
		return time.Time{}, fmt.Errorf("not a date: %v (want e.g. 2006-01-02, 2006-01-02T15:04:05Z07:00)", v)
	}
	if t.Year() < 1 || t.Year() > 9999 {
		return time.Time{}, fmt.Errorf("invalid date %v: year out of range", v)
	}
	return t, nil
}

// zoneOffset finds a numeric zone offset at the end of a date; Go's
// parser folds minutes past 59 into the hour instead of rejecting them.
var zoneOffset = regexp.MustCompile(`\d([+-])(\d{2}):?(\d{2})(?:\s+[A-Za-z]+)?$`)

func parseDateString(s string, loc *time.Location) (time.Time, error) {
	if m := zoneOffset.FindStringSubmatch(s); m != nil {
		if h, _ := strconv.Atoi(m[2]); h > 23 {
			return time.Time{}, fmt.Errorf("invalid date %q: time zone offset hour out of range", s)
		}
		if mm, _ := strconv.Atoi(m[3]); mm > 59 {
			return time.Time{}, fmt.Errorf("invalid date %q: time zone offset minute out of range", s)
		}
	}
	var firstErr error
	for _, l := range zonedLayouts {
		t, err := time.Parse(l, s)
		if err == nil {
			return t, nil
		}
		if firstErr == nil || isRangeError(err) {
			firstErr = err
		}
	}
	for _, l := range localLayouts {
		t, err := time.ParseInLocation(l, s, loc)
		if err == nil {
			return t, nil
		}
		if isRangeError(err) {
			firstErr = err
		}
	}
	if firstErr != nil && isRangeError(firstErr) {
		return time.Time{}, fmt.Errorf("invalid date %q: %s", s, rangeMessage(firstErr))
	}
	return time.Time{}, fmt.Errorf("unrecognised date %q (want e.g. 2006-01-02, 2006-01-02T15:04:05Z07:00)", s)
}

func isRangeError(err error) bool { return strings.Contains(err.Error(), "out of range") }

func rangeMessage(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		return msg[i+2:]
	}
	return msg
}

// linkDateKeys hold a post's path or link, where many sites keep its date
// when no date key is written: Zola's path ("2024/04/09/Rust-1.77.2"),
// then a url or permalink ("/2024/04/09/name/"), then a slug
// ("2024-04-09-name").
var linkDateKeys = []string{"path", "url", "permalink", "slug"}

// segmentDate is a YYYY/MM/DD or YYYY-MM-DD date at the start of a path
// segment, month and day with or without a leading zero, ending the
// segment or followed by a separator.
var segmentDate = regexp.MustCompile(`(?:^|/)(\d{4})(?:/(\d{1,2})/(\d{1,2})|-(\d{1,2})-(\d{1,2}))(?:[/\-_.]|$)`)

// dateInLinks finds a date in the first of linkDateKeys that holds a
// valid one, and the key it came from.
func (m meta) dateInLinks(loc *time.Location) (time.Time, string, bool) {
	for _, k := range linkDateKeys {
		s, ok := m[k].(string)
		if !ok {
			continue
		}
		if u, err := url.Parse(strings.TrimSpace(s)); err == nil {
			s = u.Path // a link's date is in its path, not its host or query
		}
		mm := segmentDate.FindStringSubmatch(s)
		if mm == nil {
			continue
		}
		month, day := mm[2], mm[3]
		if month == "" {
			month, day = mm[4], mm[5]
		}
		if t, err := time.ParseInLocation("2006-1-2", mm[1]+"-"+month+"-"+day, loc); err == nil {
			return t, k, true
		}
	}
	return time.Time{}, "", false
}

// zolaLink is the link Zola gives a page with a path key: relative to the
// site, ending in "/" unless the path already does or names a file
// ("feed.xml", "old/post.html"). A last segment such as "Rust-1.77.2"
// names no file: an extension has a letter in it.
func zolaLink(p string) string {
	p = strings.TrimLeft(strings.TrimSpace(p), "/")
	if p == "" || strings.HasSuffix(p, "/") || hasFileExtension(path.Base(p)) {
		return p
	}
	return p + "/"
}

// hasFileExtension reports a name ending in "." and one to eight letters
// or digits, at least one a letter.
func hasFileExtension(name string) bool {
	ext := path.Ext(name)
	if len(ext) < 2 || len(ext) > 9 || len(ext) == len(name) {
		return false
	}
	letter := false
	for _, c := range []byte(ext[1:]) {
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
			letter = true
		case '0' <= c && c <= '9':
		default:
			return false
		}
	}
	return letter
}

var (
	// fileDate: Jekyll's post names, month and day with or without a
	// leading zero as Jekyll accepts them. Only the zero-padded form
	// (paddedFileDate) is cut from slugs: slugs make links, and a post
	// dated by its front matter had published its link with the
	// unpadded prefix in it before these were read as dates.
	fileDate       = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})-(.+)$`)
	paddedFileDate = regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})-(.+)$`)
	folderDate     = regexp.MustCompile(`(?:^|/)(\d{4})/(\d{2})/(\d{2})(?:/|$)`)
)

// dateFromPath finds a Jekyll-style file name date or YYYY/MM/DD folders.
func dateFromPath(rel string, loc *time.Location) (time.Time, bool) {
	base := path.Base(rel)
	if m := fileDate.FindStringSubmatch(base); m != nil {
		if t, err := time.ParseInLocation("2006-1-2", m[1]+"-"+m[2]+"-"+m[3], loc); err == nil {
			return t, true
		}
	}
	if m := folderDate.FindStringSubmatch(path.Dir(rel)); m != nil {
		if t, err := time.ParseInLocation("2006/01/02", m[1]+"/"+m[2]+"/"+m[3], loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// slugFromPath names a post after its file, or after its folder when it is
// a page bundle's index.md, without a Jekyll date prefix.
func slugFromPath(rel string) string {
	base := path.Base(rel)
	name := strings.TrimSuffix(base, path.Ext(base))
	if name == "index" || name == "_index" {
		if dir := path.Base(path.Dir(rel)); dir != "." && dir != "/" {
			name = dir
		}
	}
	if m := paddedFileDate.FindStringSubmatch(name); m != nil {
		name = m[4]
	}
	return name
}

// authors reads author, authors, by and author_name.
func (m meta) authors() []Author {
	var out []Author
	add := func(v any) {
		switch x := v.(type) {
		case string:
			out = append(out, splitAuthors(x)...)
		case map[string]any:
			a := Author{
				Name:  PlainText(str(firstOf(x, "name", "display_name", "displayName"))),
				Email: strings.TrimSpace(str(firstOf(x, "email", "mail"))),
				URL:   strings.TrimSpace(str(firstOf(x, "url", "uri", "link", "website"))),
			}
			if a.Name == "" {
				a.Name = a.Email
			}
			if a.Name != "" {
				out = append(out, a)
			}
		case []any:
			for _, e := range x {
				switch e.(type) {
				case string, map[string]any:
				default:
					e = str(e)
				}
				sub := meta{"a": e}.authorsOf("a")
				out = append(out, sub...)
			}
		case nil:
		default:
			if s := str(x); s != "" {
				out = append(out, Author{Name: s})
			}
		}
	}
	for _, k := range []string{"author", "authors", "by", "author_name"} {
		if v, ok := m[k]; ok && !isEmpty(v) {
			add(v)
			if len(out) > 0 {
				break
			}
		}
	}
	// De-duplicate by name.
	seen := map[string]bool{}
	uniq := out[:0]
	for _, a := range out {
		k := strings.ToLower(a.Name)
		if !seen[k] {
			seen[k] = true
			uniq = append(uniq, a)
		}
	}
	return uniq
}

func (m meta) authorsOf(k string) []Author {
	return meta{"author": m[k]}.authors()
}

func firstOf(m map[string]any, keys ...string) any {
	for _, k := range keys {
		if v, ok := m[k]; ok && !isEmpty(v) {
			return v
		}
	}
	return nil
}

// splitAuthors reads "Jane Doe <jane@example.org>" as a name and an e-mail.
func splitAuthors(s string) []Author {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	if strings.Contains(s, "@") {
		if a, err := mail.ParseAddress(s); err == nil {
			name := a.Name
			if name == "" {
				name = a.Address
			}
			return []Author{{Name: PlainText(name), Email: a.Address}}
		}
	}
	return []Author{{Name: PlainText(s)}}
}

// resolveLink makes a front matter link absolute against the site URL.
func resolveLink(site *url.URL, raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("bad link %q: %w", raw, err)
	}
	if u.IsAbs() {
		if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
			return "", fmt.Errorf("link %q is not an absolute http(s) URL", raw)
		}
		return u.String(), nil
	}
	if site == nil {
		return "", fmt.Errorf("relative link %q needs site.url", raw)
	}
	// A root-relative path is relative to the site, which may live below
	// its host's root ("/notes/x/" under https://example.org/blog/ is
	// https://example.org/blog/notes/x/), unless it already names the
	// site's folder.
	if u.Host == "" && strings.HasPrefix(u.Path, "/") && !strings.HasPrefix(u.Path, "//") {
		if dir := sitePath(site); dir != "/" && !strings.HasPrefix(u.Path, dir) {
			u.Path, u.RawPath = strings.TrimPrefix(u.Path, "/"), ""
		}
	}
	return site.ResolveReference(u).String(), nil
}

// sitePath is the site's folder, ending in a slash.
func sitePath(site *url.URL) string {
	p := site.Path
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i+1]
	}
	return "/"
}

// expandPermalink fills :year, :month, :day, :slug and :title.
func expandPermalink(pattern string, p *Post) string {
	t := p.Published
	r := strings.NewReplacer(
		":year", fmt.Sprintf("%04d", t.Year()),
		":month", fmt.Sprintf("%02d", int(t.Month())),
		":day", fmt.Sprintf("%02d", t.Day()),
		":slug", url.PathEscape(p.Slug),
		":title", url.PathEscape(p.Slug),
	)
	return r.Replace(pattern)
}

var uuidRe = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// markupLike matches what a browser would read as a tag or comment: "<"
// followed by a letter, "/", "!" or "?", up to the next ">" (or the end).
var markupLike = regexp.MustCompile(`<[A-Za-z/!?][^>]*(>|$)`)

// wordpressPostID reads easyPress's post_id ("4569", or a number): a
// positive decimal integer, else nothing.
func wordpressPostID(v any) string {
	s := strings.TrimSpace(str(v))
	n, err := strconv.ParseUint(s, 10, 63)
	if err != nil || n == 0 {
		return ""
	}
	return strconv.FormatUint(n, 10)
}
