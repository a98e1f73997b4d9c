// Command gencontent writes a deterministic corpus of Markdown posts in the
// "easyPress Markdown" export format (YAML front matter with double-quoted
// string values, files nested as YYYY/MM/slug.md), for trying syndicate at
// scale and for benchmarks and CI.
//
// The same flags always produce byte-identical output: dates are spread over
// roughly 15 years before a fixed base date (never time.Now), and every random
// choice comes from a PCG generator seeded with -seed.
//
// Usage:
//
//	gencontent -out DIR [-n 1000] [-seed 1] [-tags 2000] [-categories 30]
//	           [-scripts=true] [-min-size 2048] [-max-size 8192]
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

const (
	siteURL          = "https://example.org"
	siteName         = "Example Blog"
	siteLanguage     = "en-US"
	generatorName    = "easyPress Markdown"
	generatorVersion = "1.0.6"

	// dateLayout matches the sample export: numeric offset, "+00:00" for UTC.
	dateLayout = "2006-01-02T15:04:05-07:00"
)

// baseDate is the fixed "now" of the corpus. No post is published or modified
// later than baseDate minus one day, so that even with a +14:00 offset no
// local date reaches 2026-01-01.
var baseDate = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

const (
	spanYears = 15
	latest    = 24 * time.Hour // minimum distance to baseDate
)

// config holds the generator's parameters (one field per flag).
type config struct {
	Out        string
	N          int
	Seed       uint64
	Tags       int
	Categories int
	Scripts    bool
	MinSize    int
	MaxSize    int
}

func (c config) validate() error {
	switch {
	case c.Out == "":
		return errors.New("-out is required")
	case c.N < 0:
		return errors.New("-n must be >= 0")
	case c.Tags < 0:
		return errors.New("-tags must be >= 0")
	case c.Categories < 1:
		return errors.New("-categories must be >= 1")
	case c.MinSize < 0:
		return errors.New("-min-size must be >= 0")
	case c.MaxSize < c.MinSize:
		return errors.New("-max-size must be >= -min-size")
	}
	return nil
}

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gencontent:", err)
		os.Exit(2)
	}
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("gencontent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	fs.StringVar(&c.Out, "out", "", "output `directory` (required; created if missing)")
	fs.IntVar(&c.N, "n", 1000, "number of posts")
	fs.Uint64Var(&c.Seed, "seed", 1, "random seed; the same flags give byte-identical output")
	fs.IntVar(&c.Tags, "tags", 2000, "number of distinct tags (used with a Zipf distribution)")
	fs.IntVar(&c.Categories, "categories", 30, "number of distinct categories")
	fs.BoolVar(&c.Scripts, "scripts", true, "use non-Latin scripts and symbol/case-variant names for a share of tags and titles")
	fs.IntVar(&c.MinSize, "min-size", 2048, "minimum body size in bytes")
	fs.IntVar(&c.MaxSize, "max-size", 8192, "maximum body size in bytes")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: gencontent -out DIR [flags]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if err := c.validate(); err != nil {
		fs.Usage()
		return err
	}
	start := time.Now()
	if err := generate(c); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "gencontent: wrote %d posts to %s in %v\n", c.N, c.Out, time.Since(start).Round(time.Millisecond))
	return nil
}

// post is the front matter of one generated post.
type post struct {
	ID         int
	Title      string
	Slug       string
	Published  time.Time // in the post's local zone
	Modified   time.Time
	Author     string
	Categories []string
	Tags       []string
}

// dir is the post's folder relative to the output root: YYYY/MM.
func (p *post) dir() string { return p.Published.Format("2006/01") }

// path is the canonical path: /YYYY/MM/DD/slug/.
func (p *post) path() string { return "/" + p.Published.Format("2006/01/02") + "/" + p.Slug + "/" }

// generate writes c.N posts below c.Out.
func generate(c config) error {
	if err := c.validate(); err != nil {
		return err
	}
	posts := plan(c)

	if err := os.MkdirAll(c.Out, 0o755); err != nil {
		return err
	}
	made := map[string]bool{}
	for i := range posts {
		d := posts[i].dir()
		if !made[d] {
			made[d] = true
			if err := os.MkdirAll(filepath.Join(c.Out, filepath.FromSlash(d)), 0o755); err != nil {
				return err
			}
		}
	}

	// Bodies are generated and written in parallel. Each post has its own
	// generator seeded from (seed, index), so the output does not depend on
	// the number of workers or on scheduling.
	workers := min(runtime.GOMAXPROCS(0), max(1, len(posts)))
	var (
		next  = make(chan int, workers)
		errMu sync.Mutex
		first error
		wg    sync.WaitGroup
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for i := range next {
				r := rand.New(rand.NewPCG(c.Seed, 0x9e3779b97f4a7c15^uint64(i)))
				buf = appendFrontMatter(buf[:0], &posts[i])
				buf = appendBody(buf, r, c, posts, i)
				name := filepath.Join(c.Out, filepath.FromSlash(posts[i].dir()), posts[i].Slug+".md")
				if err := os.WriteFile(name, buf, 0o644); err != nil {
					errMu.Lock()
					if first == nil {
						first = err
					}
					errMu.Unlock()
				}
			}
		}()
	}
	for i := range posts {
		next <- i
	}
	close(next)
	wg.Wait()
	return first
}

// plan computes the front matter of all posts, sequentially (slugs must be
// unique, and posts are numbered in date order).
func plan(c config) []post {
	r := rand.New(rand.NewPCG(c.Seed, 0x5eed))
	tags := tagVocabulary(r, c.Tags, c.Scripts)
	cats := categoryVocabulary(c.Categories, c.Scripts)

	// Publication instants, oldest first.
	first := baseDate.AddDate(-spanYears, 0, 0)
	span := int64(baseDate.Add(-latest).Sub(first))
	instants := make([]time.Time, c.N)
	for i := range instants {
		instants[i] = first.Add(time.Duration(r.Int64N(span))).Truncate(time.Second)
	}
	slices.SortFunc(instants, func(a, b time.Time) int { return a.Compare(b) })

	var tagZipf, catZipf *rand.Zipf
	if len(tags) > 1 {
		tagZipf = rand.NewZipf(r, 1.1, 5, uint64(len(tags)-1))
	}
	if len(cats) > 1 {
		catZipf = rand.NewZipf(r, 1.4, 1, uint64(len(cats)-1))
	}
	// Terms are drawn by rank and listed sorted by name, case-insensitively,
	// as WordPress does; order[rank] is the rank's position in that order.
	sortOrder := func(vocab []string) []int {
		idx := make([]int, len(vocab))
		lower := make([]string, len(vocab))
		for i, v := range vocab {
			idx[i], lower[i] = i, strings.ToLower(v)
		}
		slices.SortFunc(idx, func(a, b int) int {
			if c := strings.Compare(lower[a], lower[b]); c != 0 {
				return c
			}
			return strings.Compare(vocab[a], vocab[b])
		})
		order := make([]int, len(vocab))
		for pos, i := range idx {
			order[i] = pos
		}
		return order
	}
	tagOrder, catOrder := sortOrder(tags), sortOrder(cats)
	pick := func(z *rand.Zipf, vocab []string, order []int, n int) []string {
		ranks := make([]int, 0, n)
		for tries := 0; len(ranks) < n && tries < 4*n; tries++ {
			rank := 0
			if z != nil {
				rank = int(z.Uint64())
			}
			if !slices.Contains(ranks, rank) {
				ranks = append(ranks, rank)
			}
		}
		slices.SortFunc(ranks, func(a, b int) int { return order[a] - order[b] })
		out := make([]string, len(ranks))
		for i, rank := range ranks {
			out[i] = vocab[rank]
		}
		return out
	}

	posts := make([]post, c.N)
	id := 1000
	for i := range posts {
		p := &posts[i]
		id += 1 + r.IntN(12)
		p.ID = id
		p.Published = instants[i].In(zones[weighted(r, zoneWeights)])
		switch x := r.IntN(10); {
		case x < 5: // never edited, like the sample
			p.Modified = p.Published
		case x < 9: // edited within days
			p.Modified = p.Published.Add(time.Duration(r.Int64N(int64(72 * time.Hour)))).Truncate(time.Second)
		default: // edited much later
			p.Modified = p.Published.Add(time.Duration(r.Int64N(int64(3 * 365 * 24 * time.Hour)))).Truncate(time.Second)
		}
		if limit := baseDate.Add(-latest); p.Modified.After(limit) {
			p.Modified = limit.In(p.Published.Location())
		}
		p.Author = authors[weighted(r, authorWeights)]
		p.Title = title(r, c.Scripts, tags)

		// Slugs are made unique afterwards, as WordPress does ("-2", "-3").
		p.Slug = slugify(p.Title)
		if p.Slug == "" {
			p.Slug = "post-" + strconv.Itoa(p.ID)
		}

		ncat := 1
		if r.IntN(5) == 0 {
			ncat = 2 + r.IntN(2)
		}
		p.Categories = pick(catZipf, cats, catOrder, min(ncat, len(cats)))
		if len(tags) > 0 && r.IntN(30) != 0 { // ~3% of posts have no tags
			p.Tags = pick(tagZipf, tags, tagOrder, min(1+r.IntN(8), len(tags)))
		}
	}
	uniqueSlugs(posts)
	return posts
}

// uniqueSlugs makes the slugs globally unique by appending "-2", "-3", ...
// (checking again, since a title may itself slugify to "foo-2").
func uniqueSlugs(posts []post) {
	seen := make(map[string]bool, len(posts))
	for i := range posts {
		s := posts[i].Slug
		for n := 2; seen[s]; n++ {
			s = posts[i].Slug + "-" + strconv.Itoa(n)
		}
		seen[s] = true
		posts[i].Slug = s
	}
}

var (
	zones = []*time.Location{
		time.UTC,
		time.FixedZone("", 2*3600),
		time.FixedZone("", -5*3600),
		time.FixedZone("", 5*3600+1800),
		time.FixedZone("", 9*3600),
		time.FixedZone("", -8*3600),
		time.FixedZone("", 1*3600),
	}
	zoneWeights = []int{60, 8, 10, 4, 6, 8, 4}

	authors       = []string{"penny2", "admin", "jdoe", "Maria García", "editor", "Ólafur", "k.tanaka"}
	authorWeights = []int{40, 20, 15, 10, 8, 4, 3}
)

// weighted returns an index into w chosen with probability proportional to w[i].
func weighted(r *rand.Rand, w []int) int {
	total := 0
	for _, x := range w {
		total += x
	}
	n := r.IntN(total)
	for i, x := range w {
		if n < x {
			return i
		}
		n -= x
	}
	return len(w) - 1
}

func oneOf[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

// appendFrontMatter renders p in the easyPress Markdown format.
func appendFrontMatter(b []byte, p *post) []byte {
	canonical := siteURL + p.path()
	base := strings.TrimSuffix(canonical, "/")
	field := func(b []byte, key, value string) []byte {
		b = append(b, key...)
		b = append(b, ": "...)
		b = appendYAMLString(b, value)
		return append(b, '\n')
	}
	list := func(b []byte, key string, values []string) []byte {
		b = append(b, key...)
		if len(values) == 0 {
			return append(b, ": []\n"...)
		}
		b = append(b, ":\n"...)
		for _, v := range values {
			b = append(b, "  - "...)
			b = appendYAMLString(b, v)
			b = append(b, '\n')
		}
		return b
	}
	b = append(b, "---\n"...)
	b = field(b, "title", p.Title)
	b = field(b, "type", "post")
	b = field(b, "post_id", strconv.Itoa(p.ID))
	b = field(b, "slug", p.Slug)
	b = field(b, "canonical", canonical)
	b = field(b, "markdown_url", base+".md")
	b = field(b, "json_url", base+".json")
	b = field(b, "txt_url", base+".txt")
	b = field(b, "published", p.Published.Format(dateLayout))
	b = field(b, "modified", p.Modified.Format(dateLayout))
	b = field(b, "author", p.Author)
	b = list(b, "categories", p.Categories)
	b = list(b, "tags", p.Tags)
	b = field(b, "site_name", siteName)
	b = field(b, "publisher", "")
	b = field(b, "language", siteLanguage)
	b = field(b, "generator", generatorName)
	b = field(b, "generator_version", generatorVersion)
	return append(b, "---\n"...)
}

// appendYAMLString appends s as a YAML double-quoted scalar. Backslash and
// double quote are escaped, as are characters outside YAML's printable set
// (C0/C1 controls, DEL, BOM, U+FFFE/U+FFFF) and the characters YAML treats as
// line breaks (NEL, LS, PS). Everything else, including non-ASCII text, is
// kept as is. Invalid UTF-8 is replaced by U+FFFD.
func appendYAMLString(b []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	b = append(b, '"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\uFFFD`...)
		case r == '\\':
			b = append(b, `\\`...)
		case r == '"':
			b = append(b, `\"`...)
		case r == '\n':
			b = append(b, `\n`...)
		case r == '\r':
			b = append(b, `\r`...)
		case r == '\t':
			b = append(b, `\t`...)
		case r == 0x85:
			b = append(b, `\N`...)
		case r == 0x2028:
			b = append(b, `\L`...)
		case r == 0x2029:
			b = append(b, `\P`...)
		case r < 0x20 || (r >= 0x7F && r < 0xA0):
			b = append(b, '\\', 'x', hex[r>>4], hex[r&0xF])
		case r == 0xFEFF || r == 0xFFFE || r == 0xFFFF:
			b = append(b, '\\', 'u', hex[r>>12], hex[r>>8&0xF], hex[r>>4&0xF], hex[r&0xF])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// slugify derives an ASCII WordPress-like slug from a title: HTML entities
// and apostrophes are dropped, common Latin accents are folded ("é" -> "e"),
// letters and digits are lower-cased and kept, and everything else becomes a
// hyphen. Titles entirely in non-Latin scripts give "" (the caller then falls
// back to "post-ID"; WordPress would percent-encode them).
func slugify(title string) string {
	var b strings.Builder
	dash := false
	for i := 0; i < len(title) && b.Len() < 80; {
		c, size := utf8.DecodeRuneInString(title[i:])
		if c == '&' {
			if j := strings.IndexByte(title[i:], ';'); j > 0 && j < 10 {
				i += j + 1
				continue
			}
		}
		i += size
		if c >= 0x80 {
			if f, ok := accentFold[c]; ok {
				c = f
			}
		}
		switch {
		case c == '\'', c == '’':
			continue
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
			fallthrough
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(c)
		default:
			dash = true
		}
	}
	s := b.String()
	if len(s) > 60 {
		if j := strings.LastIndexByte(s[:60], '-'); j > 20 {
			s = s[:j]
		} else {
			s = s[:60]
		}
	}
	return strings.Trim(s, "-")
}

var accentFold = map[rune]rune{
	'à': 'a', 'á': 'a', 'â': 'a', 'ä': 'a', 'ã': 'a', 'å': 'a',
	'ç': 'c', 'è': 'e', 'é': 'e', 'ê': 'e', 'ë': 'e',
	'ì': 'i', 'í': 'i', 'î': 'i', 'ï': 'i', 'ñ': 'n',
	'ò': 'o', 'ó': 'o', 'ô': 'o', 'ö': 'o', 'õ': 'o', 'ø': 'o',
	'ù': 'u', 'ú': 'u', 'û': 'u', 'ü': 'u', 'ý': 'y', 'ÿ': 'y',
	'É': 'e', 'Ó': 'o', 'Ü': 'u', 'Ö': 'o', 'Ä': 'a',
}
