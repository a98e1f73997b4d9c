// Package source turns a content directory of Markdown files with front
// matter (easyPress/WordPress, Hugo, Jekyll, Eleventy, Zola) into posts.
//
// Reading happens in two steps so large sites stay cheap: Scan reads every
// file's front matter into Post metadata, and Render produces the HTML of
// only the posts some feed needs.
package source

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Post is one publishable entry, normalised from whichever front matter
// dialect its file used.
type Post struct {
	// Path is the file's path relative to the content directory, with
	// forward slashes; it names the post in errors and orders ties.
	Path string
	// ID is stable across edits: the canonical link, an explicit id, or
	// the computed link (see README, "Front matter").
	ID string
	// ExplicitID says the front matter names the post's identity
	// (canonical, id, guid, uuid); otherwise ID is the computed link,
	// which a date or slug edit changes, and feedgen keeps the id the post
	// was first published with when it knows it.
	ExplicitID bool
	// PostID is WordPress's post id (easyPress exports' post_id), empty
	// when absent: the number in WordPress's own item guids.
	PostID string
	Link   string
	Slug   string
	Title  string
	// Published and Updated are never zero for a post returned by Scan.
	Published  time.Time
	Updated    time.Time
	Authors    []Author
	Tags       []string
	Categories []string
	Language   string
	// SiteName is the export's site_name, used when the config names no site.
	SiteName string

	// Draft and Page mark files that are read but never syndicated.
	Draft bool
	Page  bool

	// Summary from front matter (HTML or Markdown); empty when absent.
	frontSummary string
	// Body location: the Markdown after the front matter.
	bodyOffset int64
	size       int64
	modTime    time.Time

	// Filled by Render.
	ContentHTML string
	SummaryHTML string
	SummaryText string
	// RenderSum identifies the three fields above as RenderBody made them
	// (a SHA-256 prefix), so that whoever fingerprints posts on every
	// build need not hash their HTML again. It is zero when they were set
	// some other way; whoever changes them must zero it.
	RenderSum [16]byte
	// RenderWarnings are the problems Render found that did not stop the
	// post, such as a template directive it could not resolve (see
	// package directive): whoever publishes the post reports them, once
	// per build.
	RenderWarnings []*FileError
	// deps are what the HTML depends on besides the post's own file.
	deps []dep
}

// Author is a person credited for a post.
type Author struct {
	Name  string
	Email string
	URL   string
}

// FieldWriter takes the fields Post.WriteFields hands it, each written
// its own way: a hash (a document's fingerprint) or an encoding (the
// cache file).
type FieldWriter interface {
	// Len precedes the items of a list.
	Len(n int)
	Str(s string)
	Time(t time.Time)
}

// WriteFields hands w, always in the same order, the fields of the post
// the feeds show: title, link, publication and update times, authors,
// tags, categories and language. It is the one walk over them, so a
// field added here reaches documents' fingerprints and the cache alike.
func (p *Post) WriteFields(w FieldWriter) {
	w.Str(p.Title)
	w.Str(p.Link)
	w.Time(p.Published)
	w.Time(p.Updated)
	w.Len(len(p.Authors))
	for _, a := range p.Authors {
		w.Str(a.Name)
		w.Str(a.Email)
		w.Str(a.URL)
	}
	for _, list := range [...][]string{p.Tags, p.Categories} {
		w.Len(len(list))
		for _, s := range list {
			w.Str(s)
		}
	}
	w.Str(p.Language)
}

// Rendered reports whether Render has filled the post's HTML.
func (p *Post) Rendered() bool { return p.SummaryHTML != "" || p.ContentHTML != "" }

// ReleaseHTML drops the post's rendered HTML and summary text, keeping its
// RenderSum (and RenderWarnings, and what the render depended on): a process that holds its documents encoded needs the HTML
// again only when a document listing the post is encoded again, and then
// renders the post again (Scanner.Render).
func (p *Post) ReleaseHTML() { p.ContentHTML, p.SummaryHTML, p.SummaryText = "", "", "" }

// FileError names the file a problem came from, so a person can fix it.
type FileError struct {
	Path string
	Line int // 0 when unknown
	Err  error
}

func (e *FileError) Error() string {
	path := e.Path
	if !utf8.ValidString(path) || strings.ContainsFunc(path, unicode.IsControl) {
		// A file name with a newline must not start a line of its own
		// in a log, nor bytes that are not text reach a terminal.
		path = strconv.Quote(path)
	}
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", path, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", path, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }

// Errors callers may test for with errors.Is.
var (
	// ErrNoFrontMatter: the file has no front matter block at all.
	ErrNoFrontMatter = errors.New(`no front matter (a post starts with a "---", "+++" or "{" block)`)
	// ErrUnclosedFrontMatter: a front matter block opens but never closes.
	ErrUnclosedFrontMatter = errors.New("front matter is not closed")
	// ErrNoTitle: a post needs a title to appear in any reader.
	ErrNoTitle = errors.New("missing or empty title")
	// ErrNoContent: the content folder holds no Markdown file at all,
	// which is far more often a missing volume or a wrong path than a
	// site with nothing to say; publishing empty feeds would drop every
	// subscriber's items.
	ErrNoContent = errors.New("content directory has no Markdown files (.md, .markdown)")
	// ErrNoDate: no date in front matter, file name or folders.
	ErrNoDate = errors.New("no publication date (front matter, YYYY-MM-DD- file name or YYYY/MM/DD folders)")
)
