package source

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/syndicate/syndicate/directive"
)

// A post's rendered HTML may depend on more than its own file: the links
// of the posts it references and the files its directives include. Each
// such input is a dep, recorded when the post is rendered and checked on
// every later scan (staleRefs): a post whose deps no longer hold is
// rendered again, so a change of another post's link reaches every
// document that lists a post linking to it.
type dep struct {
	// key names the input: "L" + kind + NUL + target for a reference,
	// "F" + path for an included file.
	key string
	// val is what the render found: the link ("" when the reference was
	// dangling), or the file's stamp ("" when it could not be read).
	val string
}

// links is the link table of one scan's published posts, built the first
// time a render or a check needs it.
type links struct {
	posts []*Post
	once  sync.Once
	// byPath maps a source path to its post's link; byName a file name
	// without its extension to the paths that have it.
	byPath map[string]string
	byName map[string][]string
}

// setLinks makes posts the ones references resolve to, from now on.
func (s *Scanner) setLinks(posts []*Post) {
	s.links.Store(&links{posts: posts})
}

func (l *links) table() *links {
	l.once.Do(func() {
		l.byPath = make(map[string]string, len(l.posts))
		l.byName = make(map[string][]string, len(l.posts))
		for _, p := range l.posts {
			l.byPath[p.Path] = p.Link
			name := strings.TrimSuffix(path.Base(p.Path), path.Ext(p.Path))
			l.byName[name] = append(l.byName[name], p.Path)
		}
		for _, paths := range l.byName {
			slices.Sort(paths)
		}
	})
	return l
}

// resolve finds the link of the post a reference from the post at from
// names, as the reference's dialect would.
func (l *links) resolve(from string, kind directive.RefKind, target string) (string, bool) {
	if l == nil || target == "" {
		return "", false
	}
	t := l.table()
	dir := path.Dir(from)
	try := func(rel string) (string, bool) {
		rel = path.Clean(strings.TrimPrefix(rel, "/"))
		link, ok := t.byPath[rel]
		return link, ok
	}
	switch kind {
	case directive.RefPath:
		if strings.HasPrefix(target, "/") {
			return try(target)
		}
		return try(path.Join(dir, target))
	case directive.RefHugo:
		var bases []string
		if !strings.HasPrefix(target, "/") {
			bases = append(bases, path.Join(dir, target))
		}
		bases = append(bases, target)
		for _, b := range bases {
			for _, suffix := range []string{"", ".md", "/index.md", "/_index.md", ".markdown"} {
				if l, ok := try(b + suffix); ok {
					return l, true
				}
			}
		}
		// A bare file name names the one post of that name anywhere.
		name := strings.TrimSuffix(path.Base(target), path.Ext(target))
		if ps := t.byName[name]; len(ps) == 1 && !strings.Contains(strings.Trim(target, "/"), "/") {
			return t.byPath[ps[0]], true
		}
	case directive.RefPostURL:
		name := path.Base(target)
		sub := path.Dir(strings.Trim(target, "/"))
		for _, p := range t.byName[name] {
			if sub == "." || strings.HasSuffix(path.Dir(p), sub) {
				return t.byPath[p], true
			}
		}
	case directive.RefSitePath:
		// From the site's root; the content folder may be that root or a
		// folder below it (such as _posts).
		rel := path.Clean(strings.TrimPrefix(target, "/"))
		for {
			if l, ok := try(rel); ok {
				return l, true
			}
			i := strings.IndexByte(rel, '/')
			if i < 0 {
				break
			}
			rel = rel[i+1:]
		}
	}
	return "", false
}

// expand applies the template directives of a post's body and front
// matter summary (see package directive) and resolves their Markdown
// links to other posts' source files; data is the whole file. It returns
// the body and summary to render, the problems found, each with its line
// in the file where known, and what the result depends on besides the
// file. A post with nothing to expand costs a look for '{' and for ']'.
func (s *Scanner) expand(p *Post, data []byte) ([]byte, string, []*FileError, []dep) {
	body := data[p.bodyOffset:]
	first := 1 + bytes.Count(data[:p.bodyOffset], []byte("\n")) // the body's first line
	summary := p.frontSummary
	out, warns, deps := s.expandText(p, data, body, first)
	if summary != "" {
		sum, w, d := s.expandText(p, data, []byte(summary), 0)
		summary = string(sum)
		warns = append(warns, w...)
		deps = append(deps, d...)
	}
	return out, summary, warns, deps
}

// expandText is expand for one text of the post, whose first line is the
// file's line first (0 when unknown).
func (s *Scanner) expandText(p *Post, data, body []byte, first int) ([]byte, []*FileError, []dep) {
	mayTemplate := directive.Uses(body, true)
	mayLink := len(mdLinkTargets(body, 1)) > 0
	if !mayTemplate && !mayLink {
		return body, nil, nil
	}
	var (
		deps     []dep
		warns    []*FileError
		fm       meta
		included int64 // bytes read by File
	)
	line := func(l int) int {
		if first == 0 {
			return 0
		}
		return first + l - 1
	}
	front := func() meta {
		if fm == nil {
			m, _, err := splitFrontMatter(data)
			if err != nil || m == nil {
				m = map[string]any{}
			}
			fm = meta(m)
		}
		return fm
	}
	lk := s.links.Load()
	seen := map[string]bool{}
	link := func(kind directive.RefKind, target string) (string, bool) {
		l, ok := lk.resolve(p.Path, kind, target)
		if key := "L" + strconv.Itoa(int(kind)) + "\x00" + target; !seen[key] {
			seen[key] = true // a post linking to one post ten times depends on it once
			deps = append(deps, dep{key: key, val: l})
		}
		return l, ok
	}
	if mayTemplate {
		v, _ := truthy(front()["template"])
		env := &directive.Env{
			Template: v,
			Page: func(key string) (string, bool) {
				if key == "title" {
					return p.Title, true
				}
				return lookup(front(), key)
			},
			Site: s.siteValue,
			Link: link,
			File: func(name string) ([]byte, error) {
				rel := path.Join(path.Dir(p.Path), name)
				data, st, err := s.include(rel)
				if key := "F" + rel; !seen[key] {
					seen[key] = true
					deps = append(deps, dep{key: key, val: st})
				}
				// A post may include, in all, as much as a post may hold:
				// the same large file a thousand times must not fill memory.
				if included += int64(len(data)); err == nil && included > s.cfg.MaxFileSize {
					return nil, fmt.Errorf("the post's includes pass the %d-byte limit", s.cfg.MaxFileSize)
				}
				return data, err
			},
		}
		if directive.Uses(body, env.Template) {
			var probs []directive.Problem
			body, probs = directive.Expand(body, env)
			for _, pr := range probs {
				warns = append(warns, &FileError{Path: p.Path, Line: line(pr.Line), Err: errors.New(pr.Msg)})
			}
		}
	}
	if mayLink {
		dangling := map[string]bool{}
		body = rewriteLinks(body, func(off int, target string) (string, bool) {
			l, ok := link(directive.RefPath, target)
			if !ok && !dangling[target] {
				dangling[target] = true
				warns = append(warns, &FileError{Path: p.Path, Line: line(1 + bytes.Count(body[:off], []byte("\n"))),
					Err: fmt.Errorf("link to %q names no published post", target)})
			}
			return l, ok
		})
	}
	slices.SortStableFunc(warns, func(a, b *FileError) int { return a.Line - b.Line })
	return body, warns, deps
}

// siteValue is a site variable: site.params first, then the site's url
// (scheme and host), baseurl (its path) and title.
func (s *Scanner) siteValue(key string) (string, bool) {
	if v, ok := lookup(s.cfg.Params, key); ok {
		return v, true
	}
	switch key {
	case "url":
		if s.site != nil {
			return s.site.Scheme + "://" + s.site.Host, true
		}
	case "baseurl", "baseURL":
		if s.site != nil {
			return strings.TrimSuffix(s.site.Path, "/"), true
		}
	case "title":
		if s.cfg.SiteTitle != "" {
			return s.cfg.SiteTitle, true
		}
	}
	return "", false
}

// lookup finds a dotted key in nested tables, trying Hugo's "params"
// table and keys in any case as well.
func lookup(m map[string]any, key string) (string, bool) {
	if m == nil || key == "" {
		return "", false
	}
	var find func(m map[string]any, parts []string) (any, bool)
	find = func(m map[string]any, parts []string) (any, bool) {
		v, ok := m[parts[0]]
		if !ok {
			for k, x := range m {
				if strings.EqualFold(k, parts[0]) {
					v, ok = x, true
					break
				}
			}
		}
		if !ok {
			return nil, false
		}
		if len(parts) == 1 {
			return v, true
		}
		sub, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		return find(sub, parts[1:])
	}
	parts := strings.Split(key, ".")
	v, ok := find(m, parts)
	if !ok {
		if params, isMap := m["params"].(map[string]any); isMap {
			v, ok = find(params, parts)
		}
	}
	if !ok {
		return "", false
	}
	if _, isMap := v.(map[string]any); isMap {
		return "", false
	}
	return str(v), true
}

// include reads a file a directive names (rel, from the content folder):
// never outside that folder (os.OpenInRoot refuses paths and symlinks
// that leave it), a regular file within the size limit. It returns the
// file's stamp, which its dep records.
func (s *Scanner) include(rel string) ([]byte, string, error) {
	if !path.IsAbs(rel) && !strings.HasPrefix(rel, "../") && rel != ".." {
		f, err := os.OpenInRoot(s.root, rel)
		if err != nil {
			return nil, "", err
		}
		defer f.Close()
		info, err := f.Stat()
		if err != nil {
			return nil, "", err
		}
		if !info.Mode().IsRegular() {
			return nil, "", fmt.Errorf("%s is not a regular file", rel)
		}
		if info.Size() > s.cfg.MaxFileSize {
			return nil, "", fmt.Errorf("%s is larger than the %d-byte limit", rel, s.cfg.MaxFileSize)
		}
		data, err := io.ReadAll(io.LimitReader(f, s.cfg.MaxFileSize))
		if err != nil {
			return nil, "", err
		}
		return data, stampString(info), nil
	}
	return nil, "", fmt.Errorf("%s is outside the content folder", rel)
}

func stampString(info os.FileInfo) string {
	st := stampOf(info)
	return fmt.Sprintf("%d/%d/%d", st.size, st.mtime, st.ctime)
}

// holds says whether a dep recorded at render time still holds.
func (s *Scanner) holds(from string, d dep, lk *links) bool {
	switch d.key[0] {
	case 'L':
		kind, target, _ := strings.Cut(d.key[1:], "\x00")
		k, _ := strconv.Atoi(kind)
		l, _ := lk.resolve(from, directive.RefKind(k), target)
		return l == d.val
	case 'F':
		rel := d.key[1:]
		st := ""
		if f, err := os.OpenInRoot(s.root, rel); err == nil {
			if info, err := f.Stat(); err == nil {
				st = stampString(info)
			}
			f.Close()
		}
		return st == d.val
	}
	return false
}

// stale lists the posts among posts whose HTML, made before this scan,
// depends on something that has changed since (see dep).
func (s *Scanner) stale(posts []*Post) []*Post {
	var out []*Post
	lk := s.links.Load()
	for _, p := range posts {
		if len(p.deps) == 0 || !p.Rendered() && p.RenderSum == [16]byte{} {
			continue
		}
		for _, d := range p.deps {
			if !s.holds(p.Path, d, lk) {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// unrender forgets a post's HTML, so that it is rendered again.
func (p *Post) unrender() {
	p.ContentHTML, p.SummaryHTML, p.SummaryText = "", "", ""
	p.RenderSum = [16]byte{}
	p.RenderWarnings, p.deps = nil, nil
}

// mdLinkTargets finds up to limit (all when limit <= 0) Markdown link
// destinations, of inline links and of link reference definitions, that
// name a relative .md or .markdown file: the spans of their paths, without
// a fragment. It looks only at the text after each ']', so a post costs a
// look for ']' per link it has (bytes.Index for ".md" costs far more, as
// prose is full of '.').
func mdLinkTargets(body []byte, limit int) [][2]int {
	var out [][2]int
	for i := 0; ; {
		j := bytes.IndexByte(body[i:], ']')
		if j < 0 || i+j+1 >= len(body) {
			return out
		}
		i += j + 1
		switch body[i] {
		case '(':
		case ':':
			// A definition: its line starts with "[" (after up to 3
			// spaces), and its label is at most 999 characters long, so
			// the look back is bounded.
			lo := max(0, i-1010)
			nl := bytes.LastIndexByte(body[lo:i], '\n')
			if nl < 0 && lo > 0 {
				continue
			}
			ls := lo + nl + 1
			if k := len(body[ls:i]) - len(bytes.TrimLeft(body[ls:i], " ")); k > 3 || body[ls+k] != '[' {
				continue
			}
		default:
			continue
		}
		k := i + 1
		for k < len(body) && (body[k] == ' ' || body[k] == '\t') {
			k++
		}
		if k < len(body) && body[k] == '<' {
			k++
		}
		start := k
		for k < len(body) && !isLinkEnd(body[k]) {
			k++
		}
		dest := body[start:k]
		if h := bytes.IndexByte(dest, '#'); h >= 0 {
			dest = dest[:h]
		}
		isMD := bytes.HasSuffix(dest, []byte(".md")) || bytes.HasSuffix(dest, []byte(".markdown"))
		if !isMD || bytes.IndexByte(dest, ':') >= 0 || bytes.HasPrefix(dest, []byte("//")) {
			continue
		}
		out = append(out, [2]int{start, start + len(dest)})
		if limit > 0 && len(out) >= limit {
			return out
		}
		i = k // spans never overlap
	}
}

func isLinkEnd(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ')' || c == '>' || c == '"' || c == '\'' || c == '[' || c == ']'
}

// rewriteLinks replaces the targets of Markdown links to other posts'
// source files with their links; resolve reports a dangling one. Links
// inside fenced code blocks are left alone.
func rewriteLinks(body []byte, resolve func(off int, target string) (string, bool)) []byte {
	ts := mdLinkTargets(body, 0)
	if ts == nil {
		return body
	}
	fences := directive.FencedBlocks(body)
	var out []byte
	done := 0
	for _, t := range ts {
		if inFence(fences, t[0]) {
			continue
		}
		target := string(body[t[0]:t[1]])
		if u, err := url.PathUnescape(target); err == nil {
			target = u
		}
		l, ok := resolve(t[0], target)
		if !ok {
			continue
		}
		if out == nil {
			out = make([]byte, 0, len(body)+64)
		}
		out = append(out, body[done:t[0]]...)
		out = append(out, l...)
		done = t[1]
	}
	if out == nil {
		return body
	}
	return append(out, body[done:]...)
}

func inFence(fences [][2]int, off int) bool {
	for _, f := range fences {
		if f[0] <= off && off < f[1] {
			return true
		}
	}
	return false
}
