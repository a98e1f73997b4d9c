package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc64"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/sync/errgroup"
	"golang.org/x/text/language"
)

// Config holds the site-wide defaults posts fall back on.
type Config struct {
	// SiteURL is the site's home page, an absolute http(s) URL; relative
	// links resolve against it. It names a folder: "https://example.org/blog"
	// is read as "https://example.org/blog/", and a front matter link
	// "/notes/x/" lands below it unless it already starts with "/blog/".
	SiteURL string
	// Permalink builds a post's link when its front matter names none.
	// Default "/:year/:month/:day/:slug/".
	Permalink string
	// Location reads dates written without a zone. Default UTC.
	Location *time.Location
	Author   string
	Language string
	// Now decides which posts are still in the future. Default time.Now.
	Now func() time.Time
	// Workers bounds parallel parsing. Default GOMAXPROCS.
	Workers int
	// MaxFileSize rejects larger files. Default 32 MiB.
	MaxFileSize int64
	// MaxTerms bounds a post's tags, and separately its categories: each
	// name is a feed, and each feed of the post lists all of its names,
	// so what a post costs grows with the square of its names. Names
	// beyond it are dropped with a warning. Default 100.
	MaxTerms int
	// Cache, when set, keeps per-file results between scans (see Cache).
	Cache *Cache
	// CacheKey names everything outside this Config that a cached result
	// depends on, such as the program's version; a cache made under
	// another key is emptied.
	CacheKey string
	// SiteTitle and Params are the site variables template directives
	// may use (Liquid site.title and site.X, Hugo param); see package
	// directive.
	SiteTitle string
	Params    map[string]any
}

// Result is what a scan found.
type Result struct {
	// Posts are the publishable posts, newest first (ties by path).
	Posts []*Post
	// Read counts Markdown files looked at; each is then a post, a draft,
	// a page, a future post or skipped, so Read == len(Posts) + Drafts +
	// Pages + Future + len(Skipped).
	Read int
	// Drafts, Pages and Future count files read but not published.
	Drafts, Pages, Future int
	// Unreadable counts files that could not be read (rather than
	// parsed): a later scan may succeed although nothing changed.
	Unreadable int
	// NextPublish is when the earliest future post becomes due (zero when
	// there is none): a scan before then finds the same posts published,
	// if no file changed.
	NextPublish time.Time
	// Skipped lists files that could not be used, one error each.
	Skipped []*FileError
	// Warnings are problems that did not stop a post from publishing.
	Warnings []*FileError
}

// Scanner reads a content directory.
type Scanner struct {
	root string
	cfg  Config
	site *url.URL
	// reads counts files opened, so tests can tell what the cache saved.
	reads atomic.Int64
	// links are the last scan's published posts, which references from
	// one post to another resolve to (see directives.go).
	links atomic.Pointer[links]
}

// NewScanner checks cfg once so that each file does not have to.
func NewScanner(root string, cfg Config) (*Scanner, error) {
	if cfg.Permalink == "" {
		cfg.Permalink = "/:year/:month/:day/:slug/"
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.MaxFileSize <= 0 {
		cfg.MaxFileSize = 32 << 20
	}
	if cfg.MaxTerms <= 0 {
		cfg.MaxTerms = DefaultMaxTerms
	}
	s := &Scanner{root: root, cfg: cfg}
	if cfg.SiteURL != "" {
		u, err := url.Parse(cfg.SiteURL)
		if err != nil || !u.IsAbs() || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, fmt.Errorf("site url %q is not an absolute http(s) URL", cfg.SiteURL)
		}
		// The home page is a folder: links resolve below it, so
		// "https://example.org/blog" means "https://example.org/blog/".
		if !strings.HasSuffix(u.Path, "/") {
			u.Path += "/"
			if u.RawPath != "" {
				u.RawPath += "/"
			}
		}
		u.RawQuery, u.Fragment, u.RawFragment = "", "", ""
		s.site = u
	}
	if cfg.Cache != nil {
		cfg.Cache.reset(s.cacheKey())
	}
	return s, nil
}

// cacheKey covers every setting that changes what a file yields.
func (s *Scanner) cacheKey() string {
	site := ""
	if s.site != nil {
		site = s.site.String()
	}
	return fmt.Sprintf("v%d|%s|%s|%s|%s|%s|%s|%d|%q|%v|%d", cacheFormat, s.cfg.CacheKey, site,
		s.cfg.Permalink, s.cfg.Location, s.cfg.Author, s.cfg.Language, s.cfg.MaxFileSize,
		s.cfg.SiteTitle, s.cfg.Params, s.cfg.MaxTerms)
}

// ScanOptions say what a scan may take from earlier work. The zero value
// walks the folder and reads every file (through the cache, if any).
type ScanOptions struct {
	// Survey is the folder as Scanner.Survey found it, so that a rebuild
	// that surveyed first does not walk the folder twice; nil walks it.
	// Files changed since the survey are read as they are now (or at the
	// next scan, if the cache still holds them as surveyed).
	Survey *Survey
	// Index, when set, is kept for the next scan. A zero Index is filled
	// with every file read. A filled one is brought up to date: only the
	// files that changed since it was filled are statted and read, and the
	// posts of the others are kept as they are, which a plan made from the
	// last one (feedgen.Options.Incremental) relies on. The files that
	// changed are those whose path, size or times differ from Survey's, or, without a
	// Survey, those Changed names and those the index holds as Pending.
	// ErrRescan means the changes are of a kind an index does not take (see
	// ErrRescan), and also, with a Survey, that it skipped other files than
	// the index's survey did; the index is then left as it was, and should
	// be replaced by a zero one. An index must only be given back to
	// Scanners of its own folder and configuration.
	Index *Index
	// Changed names the files that may have changed since Index was filled
	// (slash-separated, relative to the content folder; from a Watcher),
	// when there is no Survey. Files that are not Markdown, or hidden, are
	// ignored.
	Changed []string
}

// Scan reads the content folder's posts' front matter, reading again only
// what opts say may have changed. Per-file problems are collected in the
// result; the error is only for problems with the folder itself,
// cancellation, and ErrRescan (see ScanOptions.Index).
func (s *Scanner) Scan(ctx context.Context, opts ScanOptions) (*Result, error) {
	if s.cfg.Cache != nil {
		s.cfg.Cache.settle() // a scanner's earlier scan's files, to look up
	}
	ix, sv := opts.Index, opts.Survey
	if ix != nil && ix.files != nil {
		changed := opts.Changed
		if sv != nil {
			var err error
			if changed, err = s.changedSince(ix, sv); err != nil {
				return nil, err
			}
		}
		return s.rescan(ctx, ix, changed)
	}
	if sv == nil {
		var err error
		// An index keeps every file's stamp, and a cache compares its
		// entries' with the files': the walk must stat them. An empty
		// cache has nothing to compare, and takes a new entry's stamp
		// from the file as it is read.
		withInfo := ix != nil || (s.cfg.Cache != nil && s.cfg.Cache.Len() > 0)
		if sv, err = s.walk(withInfo); err != nil {
			return nil, err
		}
	}
	if ix != nil {
		return s.fill(ctx, ix, sv)
	}
	return s.readSurvey(ctx, sv)
}

// Survey lists the content folder's Markdown files with their sizes and
// times, opening none: comparing its Stamp with the last one tells a
// scheduled rebuild whether it has anything to do.
func (s *Scanner) Survey() (*Survey, error) {
	return s.walk(true)
}

// readSurvey reads every file a survey found, keeping no index.
func (s *Scanner) readSurvey(ctx context.Context, sv *Survey) (*Result, error) {
	outs, err := s.readAll(ctx, sv.files)
	if err != nil {
		return nil, err
	}
	files := sv.files
	res := &Result{Read: len(files) + len(sv.skipped), Skipped: append([]*FileError(nil), sv.skipped...)}
	now := s.cfg.Now()
	for _, o := range outs {
		res.Warnings = append(res.Warnings, o.warns...)
		if o.unreadable {
			res.Unreadable++
		}
		switch {
		case o.err != nil:
			res.Skipped = append(res.Skipped, o.err)
		case o.post.Page:
			res.Pages++
		case o.post.Draft:
			res.Drafts++
		case o.post.Published.After(now):
			res.Future++
			if res.NextPublish.IsZero() || o.post.Published.Before(res.NextPublish) {
				res.NextPublish = o.post.Published
			}
		default:
			res.Posts = append(res.Posts, o.post)
		}
	}
	SortNewestFirst(res.Posts)
	s.setLinks(res.Posts)
	for _, p := range s.stale(res.Posts) {
		p.unrender() // this scan's own copy
	}
	sort.SliceStable(res.Skipped, func(i, j int) bool { return res.Skipped[i].Path < res.Skipped[j].Path })
	sort.SliceStable(res.Warnings, func(i, j int) bool { return res.Warnings[i].Path < res.Warnings[j].Path })
	return res, nil
}

// outcome is what reading one file came to: a post (which may be a draft,
// a page or a future post), or an error; warnings either way.
type outcome struct {
	post       *Post
	warns      []*FileError
	err        *FileError
	unreadable bool // the file could not be read (rather than parsed)
}

// readAll reads the surveyed files in parallel, through the cache, which
// it then prunes of files not surveyed.
func (s *Scanner) readAll(ctx context.Context, files []surveyed) ([]outcome, error) {
	outs := make([]outcome, len(files))
	err := s.parallel(ctx, len(files), func(ctx context.Context, i int) {
		outs[i] = s.readOutcome(ctx, files[i].rel, files[i].st)
	})
	if err != nil {
		return nil, err
	}
	if s.cfg.Cache != nil {
		s.cfg.Cache.prune()
	}
	return outs, nil
}

// parallel calls f(ctx, i) for every i from 0 to n-1 on at most
// Config.Workers goroutines at once, and returns once all calls have
// returned. When ctx is done first, the calls not yet started are not
// made and its error is returned.
func (s *Scanner) parallel(ctx context.Context, n int, f func(ctx context.Context, i int)) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(s.cfg.Workers)
	for i := range n {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			f(ctx, i)
			return nil
		})
	}
	return g.Wait()
}

func (s *Scanner) readOutcome(ctx context.Context, rel string, st fileStamp) outcome {
	p, warns, err, unreadable := s.readPost(ctx, rel, st)
	return outcome{post: p, warns: warns, err: err, unreadable: unreadable}
}

// SortNewestFirst orders posts by publication date, newest first, with
// ties broken by path so every build orders them alike.
func SortNewestFirst(posts []*Post) {
	// Stable, as posts read from nowhere may share a date and an empty
	// path; slices.SortStableFunc is much cheaper than sort.SliceStable.
	slices.SortStableFunc(posts, newerFirst)
}

// newerFirst orders posts as SortNewestFirst does.
func newerFirst(a, b *Post) int {
	if c := b.Published.Compare(a.Published); c != 0 {
		return c
	}
	return strings.Compare(a.Path, b.Path)
}

// walk lists Markdown files, skipping hidden names and symlinks that lead
// outside the content directory. Symlinked folders are not followed (so
// loops cannot happen); a symlinked file is read when it stays inside.
func (s *Scanner) walk(withInfo bool) (*Survey, error) {
	info, err := os.Stat(s.root)
	if err != nil {
		return nil, fmt.Errorf("content directory: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("content directory %s is not a directory", s.root)
	}
	// Walk the real folder: WalkDir would not enter a symlinked root.
	realRoot, err := filepath.EvalSymlinks(s.root)
	if err != nil {
		return nil, fmt.Errorf("content directory: %w", err)
	}
	files, skipped, symlinks, err := walkTree(realRoot, withInfo, s.cfg.Workers)
	if err != nil {
		return nil, fmt.Errorf("content directory: %w", err)
	}
	if len(files) == 0 && len(skipped) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNoContent, s.root)
	}
	// files stay in the order the parallel walk found them: posts are
	// ordered by date and path later, warnings by path.
	sort.Slice(skipped, func(i, j int) bool { return skipped[i].Path < skipped[j].Path })
	sv := &Survey{files: files, skipped: skipped, Symlinks: symlinks}
	if withInfo {
		sv.stamp()
	}
	return sv, nil
}

func within(root, p string) bool {
	r, err := filepath.Rel(root, p)
	return err == nil && filepath.IsLocal(r)
}

// headSize is how much of a file a scan reads at first. Front matter
// rarely runs longer, and a body is read again only when a feed lists
// its post, so most bodies are never read in full by a scan.
const headSize = 2048

// open opens one file after the checks every read makes: the open never
// blocks nor leaves the content folder (openPost), and what was opened,
// not what the path named when the folder was listed, must be a regular
// file.
func (s *Scanner) open(ctx context.Context, rel string) (*os.File, os.FileInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	s.reads.Add(1)
	f, err := openPost(s.root, rel)
	if err != nil {
		return nil, nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, nil, fmt.Errorf("not a regular file (%s)", fileKind(info.Mode()))
	}
	if limit := s.cfg.MaxFileSize; info.Size() > limit {
		f.Close()
		return nil, nil, fmt.Errorf("file is %d bytes, larger than the %d-byte limit", info.Size(), limit)
	}
	return f, info, nil
}

// fileKind names what a file that is not a regular file is.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return m.Type().String()
}

// ctxReader stops reading once its context is done, so a read of a slow
// file (a network file system) ends with the build that asked for it.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// load reads and cleans one file.
func (s *Scanner) load(ctx context.Context, rel string) ([]byte, os.FileInfo, error) {
	f, info, err := s.open(ctx, rel)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	limit := s.cfg.MaxFileSize
	data := make([]byte, 0, info.Size()+1)
	buf := bytes.NewBuffer(data)
	if _, err := buf.ReadFrom(io.LimitReader(ctxReader{ctx, f}, limit+1)); err != nil {
		return nil, nil, err
	}
	if int64(buf.Len()) > limit {
		return nil, nil, fmt.Errorf("file grew past the %d-byte limit while being read", limit)
	}
	data, err = clean(buf.Bytes())
	return data, info, err
}

// readHead reads and cleans the whole lines within a file's first
// headSize bytes; whole says whether that is the entire file. A cut at a
// line end never splits a character or a CRLF, so the cleaned head is a
// prefix of the cleaned file and offsets into it hold for the file too.
func (s *Scanner) readHead(ctx context.Context, rel string) (data []byte, info os.FileInfo, whole bool, err error) {
	f, info, err := s.open(ctx, rel)
	if err != nil {
		return nil, nil, false, err
	}
	defer f.Close()
	buf := make([]byte, headSize)
	n, err := io.ReadFull(f, buf)
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		whole = true
	case err != nil:
		return nil, nil, false, err
	}
	data = buf[:n]
	if !whole {
		data = data[:bytes.LastIndexByte(data, '\n')+1]
	}
	data, err = clean(data)
	return data, info, whole, err
}

func fileError(rel string, err error) *FileError {
	fe := &FileError{Path: rel, Err: err}
	var le *lineError
	if errors.As(err, &le) {
		fe.Line = le.line
	}
	return fe
}

// readPost parses one file's front matter into a Post (no HTML yet);
// info, when known, is the file's as surveyed.
func (s *Scanner) readPost(ctx context.Context, rel string, st fileStamp) (p *Post, warns []*FileError, ferr *FileError, unreadable bool) {
	c := s.cfg.Cache
	if c == nil {
		p, warns, ferr, info, _, _ := s.parseData(ctx, rel)
		return p, warns, ferr, info == nil
	}
	if !st.ok && c.has(rel) {
		if info, err := os.Stat(s.root + string(filepath.Separator) + filepath.FromSlash(rel)); err == nil {
			st = stampOf(info)
		}
	}
	if st.ok {
		confirm := func() (uint64, error) {
			data, _, err := s.load(ctx, rel)
			return crc64.Checksum(data, crcTable), err
		}
		if e, ok := c.lookup(rel, st, confirm); ok {
			if e.post != nil {
				return c.postOf(e), e.warns, nil, false
			}
			return nil, e.warns, e.err, false
		}
	}
	p, warns, ferr, info, data, whole := s.parseData(ctx, rel)
	if info == nil {
		return p, warns, ferr, true // unreadable: ask again next time
	}
	e := cacheEntry{
		size: info.Size(), mtime: info.ModTime().UnixNano(), ctime: stampOf(info).ctime,
		trusted: time.Since(info.ModTime()) > racyWindow,
		err:     ferr, warns: warns, post: p,
	}
	if !e.trusted {
		// The mtime may not change with the next edit: keep a hash of the
		// whole text to compare then.
		if !whole {
			full, finfo, err := s.load(ctx, rel)
			if err != nil || finfo.Size() != info.Size() || !finfo.ModTime().Equal(info.ModTime()) {
				return p, warns, ferr, false // changing under us: ask again next time
			}
			data = full
		}
		e.hash = crc64.Checksum(data, crcTable)
	}
	c.add(rel, e)
	return p, warns, ferr, false
}

// parseData reads one file's front matter into a Post (no HTML yet),
// from the file's head when the front matter ends there. It also returns
// the file's info when it could be read, and the text read, which is the
// entire file when whole is set.
func (s *Scanner) parseData(ctx context.Context, rel string) (p *Post, warns []*FileError, ferr *FileError, info os.FileInfo, data []byte, whole bool) {
	data, info, whole, err := s.readHead(ctx, rel)
	if err == nil && !whole {
		// The head must hold the whole front matter and some of the body
		// after it; anything else, errors included, is decided on the
		// entire file, so that messages and offsets never depend on
		// where the head was cut.
		if p, warns, err := s.parseText(rel, data, info); err == nil && p != nil &&
			len(bytes.TrimSpace(data[p.bodyOffset:])) > 0 {
			return p, warns, nil, info, data, false
		}
		data, info, err = s.load(ctx, rel)
		whole = true
	}
	if err != nil {
		return nil, nil, fileError(rel, err), info, data, whole
	}
	p, warns, err = s.parseText(rel, data, info)
	if err != nil {
		return nil, warns, fileError(rel, err), info, data, whole
	}
	return p, warns, nil, info, data, whole
}

// parseText parses cleaned text that holds at least the front matter.
func (s *Scanner) parseText(rel string, data []byte, info os.FileInfo) (*Post, []*FileError, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil, errors.New("file is empty")
	}
	fm, offset, err := splitFrontMatter(data)
	if err != nil {
		return nil, nil, err
	}
	p, warns, err := s.normalise(rel, meta(fm))
	if err != nil {
		var ke *keyError
		if errors.As(err, &ke) {
			err = &lineError{line: keyLine(data[:offset], ke.key), err: err}
		}
		return nil, warns, err
	}
	p.bodyOffset = int64(offset)
	p.size = info.Size()
	p.modTime = info.ModTime()
	return p, warns, nil
}

// keyError blames a front matter key, so the file's line can be found.
type keyError struct {
	key string
	err error
}

func (e *keyError) Error() string { return e.key + ": " + e.err.Error() }
func (e *keyError) Unwrap() error { return e.err }

// normalise maps the many dialects' names onto one Post.
func (s *Scanner) normalise(rel string, m meta) (*Post, []*FileError, error) {
	var warns []*FileError
	warn := func(format string, a ...any) {
		warns = append(warns, &FileError{Path: rel, Err: fmt.Errorf(format, a...)})
	}
	p := &Post{Path: rel}

	// Exclusions first: a page or a draft needs no valid date or title.
	for _, k := range []string{"type", "layout"} {
		if strings.EqualFold(strings.TrimSpace(str(m[k])), "page") {
			p.Page = true
		}
	}
	if strings.HasPrefix(slugFromPath(rel), "_index") || path.Base(rel) == "_index.md" {
		p.Page = true
	}
	if v, ok := truthy(m["draft"]); ok && v {
		p.Draft = true
	}
	// WordPress-style "published: false" (a bool, or a string saying so)
	// is a flag, not a date.
	if v, ok := truthy(m["published"]); ok && !v {
		p.Draft = true
	}
	if st := strings.TrimSpace(str(m["status"])); st != "" && !strings.EqualFold(st, "publish") && !strings.EqualFold(st, "published") {
		p.Draft = true
	}
	if strings.TrimSpace(str(m["password"])) != "" || strings.TrimSpace(str(m["post_password"])) != "" {
		p.Draft = true
	}

	_, tv := m.first(titleKeys)
	p.Title = PlainText(str(tv))

	// Dates.
	loc := s.cfg.Location
	var pubKey string
	for _, k := range publishedKeys {
		v, ok := m[k]
		if !ok || isEmpty(v) {
			continue
		}
		if _, isFlag := truthy(v); isFlag && k == "published" {
			continue // published: true/false is a flag, not a date
		}
		t, err := parseDate(v, loc)
		if err != nil {
			if p.Draft || p.Page {
				break
			}
			return nil, warns, &keyError{k, err}
		}
		p.Published, pubKey = t, k
		break
	}
	if p.Published.IsZero() {
		p.Published, pubKey, _ = m.dateInLinks(loc)
	}
	if pathDate, ok := dateFromPath(rel, loc); ok {
		if p.Published.IsZero() {
			p.Published = pathDate
		} else if y, mo, d := p.Published.In(loc).Date(); fileDate.MatchString(path.Base(rel)) &&
			(y != pathDate.Year() || mo != pathDate.Month() || d != pathDate.Day()) {
			warn("%s %s disagrees with the file name's date %s; using %s",
				pubKey, p.Published.Format("2006-01-02"), pathDate.Format("2006-01-02"), pubKey)
		}
	}
	if p.Page || p.Draft {
		return p, warns, nil
	}
	if p.Title == "" {
		return nil, warns, ErrNoTitle
	}
	if p.Published.IsZero() {
		return nil, warns, ErrNoDate
	}
	p.Updated = p.Published
	for _, k := range updatedKeys {
		v, ok := m[k]
		if !ok || isEmpty(v) {
			continue
		}
		t, err := parseDate(v, loc)
		if err != nil {
			warn("%s: %v; using the publication date", k, err)
			break
		}
		if t.Before(p.Published) {
			warn("%s %s is before the publication date; using the publication date", k, t.Format(time.RFC3339))
			break
		}
		p.Updated = t
		break
	}

	p.Slug = strings.TrimSpace(str(m["slug"]))
	if p.Slug == "" {
		p.Slug = slugFromPath(rel)
	}
	if clean := cleanSlug(p.Slug); clean != p.Slug {
		if clean == "" {
			return nil, warns, fmt.Errorf("slug %q has no printable characters; set slug in the front matter", p.Slug)
		}
		warn("slug %q has control characters or bytes that are not UTF-8; using %q", p.Slug, clean)
		p.Slug = clean
	}

	// Link and id.
	if k, v := m.first(linkKeys); v != nil {
		link, err := resolveLink(s.site, str(v))
		if err != nil {
			return nil, warns, &keyError{k, err}
		}
		if why := s.offSite(k, str(v), link); why != "" {
			warn("%s %q %s; using the link made from the permalink pattern", k, strings.TrimSpace(str(v)), why)
		} else {
			p.Link = link
		}
	} else if zp := strings.TrimSpace(str(m["path"])); zp != "" && s.site != nil {
		// Zola's path, relative to the site.
		link, err := resolveLink(s.site, zolaLink(zp))
		if err != nil {
			return nil, warns, &keyError{"path", err}
		}
		if why := s.offSite("path", zp, link); why != "" {
			warn("path %q %s; using the link made from the permalink pattern", zp, why)
		} else {
			p.Link = link
		}
	}
	if p.Link == "" {
		if s.site == nil {
			return nil, warns, errors.New("no canonical link in front matter and no site.url to build one")
		}
		link, err := resolveLink(s.site, strings.TrimPrefix(expandPermalink(s.cfg.Permalink, p), "/"))
		if err != nil {
			return nil, warns, err
		}
		p.Link = link
	}
	p.ID = p.Link
	if k, v := m.first(idKeys); v != nil {
		if id := explicitID(str(v)); id != "" {
			p.ID, p.ExplicitID = id, true
		} else {
			warn("%s %q is not a UUID nor an http, https, tag or urn URI; the link is the id", k, strings.TrimSpace(str(v)))
		}
	}
	if _, v := m.first([]string{"canonical", "canonical_url"}); v != nil {
		p.ID, p.ExplicitID = p.Link, true // the canonical link is the strongest identity
	}
	p.PostID = wordpressPostID(m["post_id"])

	p.Authors = m.authors()
	if len(p.Authors) == 0 && s.cfg.Author != "" {
		p.Authors = splitAuthors(s.cfg.Author)
	}
	tax, _ := m["taxonomies"].(map[string]any)
	p.Tags = s.capTerms(list(firstValue(m, tax, tagKeys)), "tags", warn)
	p.Categories = s.capTerms(list(firstValue(m, tax, categoryKeys)), "categories", warn)
	lk, lv := m.first(languageKeys)
	p.Language = strings.TrimSpace(str(lv))
	if p.Language != "" {
		if tag, err := language.Parse(p.Language); err != nil {
			warn("%s %q is not a BCP 47 language tag; ignored", lk, p.Language)
			p.Language = ""
		} else {
			p.Language = tag.String()
		}
	}
	if p.Language == "" {
		p.Language = s.cfg.Language
	}
	p.SiteName = PlainText(str(m["site_name"]))
	if _, v := m.first(summaryKeys); v != nil {
		p.frontSummary = strings.TrimSpace(str(v))
	}
	return p, warns, nil
}

// DefaultMaxTerms is Config.MaxTerms's default.
const DefaultMaxTerms = 100

// capTerms keeps the first MaxTerms names (see Config.MaxTerms).
func (s *Scanner) capTerms(names []string, what string, warn func(string, ...any)) []string {
	if n := s.cfg.MaxTerms; len(names) > n {
		warn("%d %s, more than the limit of %d per post (limits.terms_per_post); only the first %d are used", len(names), what, n, n)
		return names[:n:n]
	}
	return names
}

// firstValue looks in the front matter, then in a Zola [taxonomies] table.
func firstValue(m meta, tax map[string]any, keys []string) any {
	if _, v := m.first(keys); v != nil {
		return v
	}
	if tax != nil {
		if _, v := meta(tax).first(keys); v != nil {
			return v
		}
	}
	return nil
}

// explicitID accepts ids that are already URIs of the schemes ids are
// made of (http, https, tag, urn), and bare UUIDs as urn:uuid: never a
// javascript:, data:, vbscript: or file: URI a reader might act on.
func explicitID(s string) string {
	s = strings.TrimSpace(s)
	if uuidRe.MatchString(s) {
		return "urn:uuid:" + strings.ToLower(s)
	}
	u, err := url.Parse(s)
	if err != nil || strings.ContainsFunc(s, unicode.IsSpace) {
		return ""
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		if u.Host != "" {
			return s
		}
	case "tag", "urn":
		if u.Opaque != "" {
			return s
		}
	}
	return ""
}

// offSite says why a link from the front matter key k (raw as written,
// link as resolved) is refused, or "" when it is taken. A link is off the
// site when its host is not site.url's, "www." aside. A post's permalink
// or url (or Zola's path) says where it lives on this site, so it must be
// on the site; a canonical link may name another site (that is what
// canonical links of cross-posted articles are for), but not as a
// scheme-relative "//host/..." link, which reads as a path on this site
// and is not one.
// Without site.url nothing can be judged and every link is taken.
func (s *Scanner) offSite(k, raw, link string) string {
	if s.site == nil {
		return ""
	}
	u, err := url.Parse(link)
	if err != nil || sameHost(u.Hostname(), s.site.Hostname()) {
		return ""
	}
	if strings.HasPrefix(strings.TrimSpace(raw), "//") {
		return "is scheme-relative and leads off the site (" + s.site.Hostname() + ")"
	}
	if k == "permalink" || k == "url" || k == "path" {
		return "leads off the site (" + s.site.Hostname() + ")"
	}
	return ""
}

// sameHost compares host names ignoring case and a leading "www.".
func sameHost(a, b string) bool {
	trim := func(h string) string { return strings.TrimPrefix(strings.ToLower(h), "www.") }
	return trim(a) == trim(b)
}

// cleanSlug drops control characters and bytes that are not UTF-8 from
// a slug (a file name may hold both; a link must not).
func cleanSlug(slug string) string {
	if utf8.ValidString(slug) && !strings.ContainsFunc(slug, unicode.IsControl) {
		return slug
	}
	var b strings.Builder
	for i, r := range slug {
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(slug[i:]); n <= 1 {
				continue // an invalid byte, not a real U+FFFD
			}
		}
		if !unicode.IsControl(r) {
			b.WriteRune(r)
		}
	}
	return strings.TrimSpace(b.String())
}
