package source

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"
)

// ErrRescan says the changes cannot be taken into an Index file by file (a
// symlink, something other than a regular file, a file the survey had to
// skip, an Index of another folder or configuration); survey and scan the
// folder instead.
var ErrRescan = errors.New("changes need a full scan")

// Index is what a scan found in every file, kept (ScanOptions.Index) so
// that a later scan that is told which files changed, by a Watcher or a
// survey, reads only those and reuses the rest; reading every file, even
// through the cache, costs more than a survey (BENCHMARKS.md). The zero
// Index is empty: a scan fills it.
//
// An Index is not safe for concurrent use. Its posts are shared with the
// Results it returns; a build may fill in their HTML and RenderSum.
type Index struct {
	key   string // the Scanner's root and cacheKey
	files map[string]indexed
	// walkSkipped are the files the survey could not take (see walker);
	// a change to one of them needs a survey again.
	walkSkipped []*FileError
	// timeline holds the posts that are neither drafts, pages nor
	// skipped, future ones included, newest first (SortNewestFirst).
	timeline []*Post
	// problems names the files with warnings or errors.
	problems map[string]bool
	// retry names files to look at again on every scan even without
	// an event: those that could not be read, and those modified within
	// racyWindow of being statted (see Cache).
	retry map[string]bool

	drafts, pages, unreadable int
	sums                      stampSums
}

type indexed struct {
	st fileStamp
	outcome
}

// candidate says whether the outcome belongs in the timeline.
func (x *indexed) candidate() bool { return x.err == nil && !x.post.Page && !x.post.Draft }

func (s *Scanner) indexKey() string { return s.root + "\x00" + s.cacheKey() }

// fill reads every file a survey found into ix, which must be zero. The
// survey must have statted its files (Scanner.Survey does).
func (s *Scanner) fill(ctx context.Context, ix *Index, sv *Survey) (*Result, error) {
	outs, err := s.readAll(ctx, sv.files)
	if err != nil {
		return nil, err
	}
	*ix = Index{
		key:         s.indexKey(),
		files:       make(map[string]indexed, len(sv.files)),
		walkSkipped: sv.skipped,
		problems:    map[string]bool{},
		retry:       map[string]bool{},
	}
	recent := time.Now().Add(-racyWindow).UnixNano()
	for i, f := range sv.files {
		x := indexed{st: f.st, outcome: outs[i]}
		ix.files[f.rel] = x
		ix.count(f.rel, &x, 1, recent)
		if x.candidate() {
			ix.timeline = append(ix.timeline, x.post)
		}
	}
	SortNewestFirst(ix.timeline)
	res := ix.result(s.cfg.Now())
	s.setLinks(res.Posts)
	for _, p := range s.stale(res.Posts) {
		p.unrender() // read by this scan: no Result has it yet
	}
	return res, nil
}

// count adds (n = 1) or takes away (n = -1) one file's share of the
// index's counts, sums and lists.
func (ix *Index) count(rel string, x *indexed, n int, recent int64) {
	if n > 0 {
		ix.sums.add(rel, x.st)
		if x.err != nil || len(x.warns) > 0 {
			ix.problems[rel] = true
		}
		if x.unreadable || x.st.mtime >= recent {
			ix.retry[rel] = true
		}
	} else {
		ix.sums.remove(rel, x.st)
		delete(ix.problems, rel)
		delete(ix.retry, rel)
	}
	if x.unreadable {
		ix.unreadable += n
	}
	switch {
	case x.err != nil:
	case x.post.Page:
		ix.pages += n
	case x.post.Draft:
		ix.drafts += n
	}
}

// Stamp is the Survey.Stamp a survey of the folder would have now, if
// the index is up to date.
func (ix *Index) Stamp() [32]byte { return ix.sums.stamp(len(ix.files), ix.walkSkipped) }

// Settled is Survey.Settled for the files as indexed.
func (ix *Index) Settled() bool {
	for rel := range ix.retry {
		if !ix.files[rel].unreadable {
			return false
		}
	}
	return true
}

// Pending says whether a scan would look at some file even without a
// change: one that could not be read, or was modified too recently to be
// taken as final.
func (ix *Index) Pending() bool { return len(ix.retry) > 0 }

// HasIncludes says whether some indexed post's HTML was made from files
// other than Markdown (those a template directive includes, such as
// present's code): a change to one raises no watch event and leaves a
// survey's stamp as it was, so only a scan with the index, which checks
// them, finds it.
func (ix *Index) HasIncludes() bool {
	for _, p := range ix.timeline {
		for _, d := range p.deps {
			if d.key[0] == 'F' {
				return true
			}
		}
	}
	return false
}

// rescan brings a filled index up to date after the files named in
// changed, and those Pending, may have changed (see ScanOptions), and
// returns what a scan would find now.
func (s *Scanner) rescan(ctx context.Context, ix *Index, changed []string) (*Result, error) {
	if ix.key != s.indexKey() {
		return nil, ErrRescan
	}
	todo := map[string]bool{}
	for _, rel := range changed {
		if scannable(rel) {
			todo[rel] = true
		}
	}
	for rel := range ix.retry {
		todo[rel] = true
	}
	type update struct {
		rel  string
		x    indexed
		gone bool
	}
	var ups []*update
	for rel := range todo {
		for _, e := range ix.walkSkipped {
			if e.Path == rel {
				return nil, ErrRescan
			}
		}
		info, err := os.Lstat(s.root + string(filepath.Separator) + filepath.FromSlash(rel))
		switch {
		case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
			if _, had := ix.files[rel]; had {
				ups = append(ups, &update{rel: rel, gone: true})
			}
			continue
		case err != nil, !info.Mode().IsRegular():
			return nil, ErrRescan
		}
		st := stampOf(info)
		if old, had := ix.files[rel]; had && old.st == st && !ix.retry[rel] {
			continue
		}
		ups = append(ups, &update{rel: rel, x: indexed{st: st}})
	}
	err := s.parallel(ctx, len(ups), func(ctx context.Context, i int) {
		if u := ups[i]; !u.gone {
			u.x.outcome = s.readOutcome(ctx, u.rel, u.x.st)
		}
	})
	if err != nil {
		return nil, err
	}

	// Nothing fails from here on.
	recent := time.Now().Add(-racyWindow).UnixNano()
	gone := map[*Post]bool{}
	var added []*Post
	for _, u := range ups {
		if old, had := ix.files[u.rel]; had {
			ix.count(u.rel, &old, -1, recent)
			if old.candidate() {
				gone[old.post] = true
			}
		}
		if u.gone {
			delete(ix.files, u.rel)
			if s.cfg.Cache != nil {
				s.cfg.Cache.forget(u.rel)
			}
			continue
		}
		ix.files[u.rel] = u.x
		ix.count(u.rel, &u.x, 1, recent)
		if u.x.candidate() {
			added = append(added, u.x.post)
		}
	}
	if len(gone) > 0 || len(added) > 0 {
		ix.timeline = mergeTimeline(ix.timeline, gone, added)
	}
	res := ix.result(s.cfg.Now())
	s.setLinks(res.Posts)
	if stale := s.stale(res.Posts); len(stale) > 0 {
		// Their HTML links to a post whose link changed, or includes a
		// file that did: each is a changed post, as if its file had
		// changed (the old ones are shared with earlier Results).
		gone, added := map[*Post]bool{}, []*Post(nil)
		for _, p := range stale {
			cp := clonePost(p)
			cp.unrender()
			x := ix.files[p.Path]
			x.post = cp
			ix.files[p.Path] = x
			gone[p] = true
			added = append(added, cp)
		}
		ix.timeline = mergeTimeline(ix.timeline, gone, added)
		res = ix.result(s.cfg.Now())
		s.setLinks(res.Posts)
	}
	return res, nil
}

// changedSince names the files whose path, size or times differ between
// a filled index and a survey taken since; ErrRescan when the survey
// skipped other files than the index's did.
func (s *Scanner) changedSince(ix *Index, sv *Survey) ([]string, error) {
	if ix.key != s.indexKey() || !sameErrors(ix.walkSkipped, sv.skipped) {
		return nil, ErrRescan
	}
	var changed []string
	known := 0 // surveyed files the index has
	for _, f := range sv.files {
		x, ok := ix.files[f.rel]
		if ok {
			known++
		}
		if !ok || x.st != f.st {
			changed = append(changed, f.rel)
		}
	}
	if known < len(ix.files) {
		// Some indexed files are gone: find them.
		surveyed := make(map[string]struct{}, len(sv.files))
		for _, f := range sv.files {
			surveyed[f.rel] = struct{}{}
		}
		for rel := range ix.files {
			if _, ok := surveyed[rel]; !ok {
				changed = append(changed, rel)
			}
		}
	}
	return changed, nil
}

func sameErrors(a, b []*FileError) bool {
	return slices.EqualFunc(a, b, func(x, y *FileError) bool { return x.Path == y.Path && x.Error() == y.Error() })
}

// mergeTimeline is a new timeline: old without the posts in gone, with
// added, newest first. old is left as it is, as Results share it.
func mergeTimeline(old []*Post, gone map[*Post]bool, added []*Post) []*Post {
	SortNewestFirst(added)
	out := make([]*Post, 0, len(old)-len(gone)+len(added))
	i := 0
	for _, p := range old {
		if gone[p] {
			continue
		}
		for i < len(added) && newerFirst(added[i], p) < 0 {
			out = append(out, added[i])
			i++
		}
		out = append(out, p)
	}
	return append(out, added[i:]...)
}

// result is what a scan at now finds in the index.
func (ix *Index) result(now time.Time) *Result {
	res := &Result{
		Read:       len(ix.files) + len(ix.walkSkipped),
		Drafts:     ix.drafts,
		Pages:      ix.pages,
		Unreadable: ix.unreadable,
		Skipped:    slices.Clone(ix.walkSkipped),
	}
	// Future posts are the newest: they come first in the timeline.
	tl := ix.timeline
	k := sort.Search(len(tl), func(i int) bool { return !tl[i].Published.After(now) })
	res.Posts = tl[k:len(tl):len(tl)]
	res.Future = k
	if k > 0 {
		res.NextPublish = tl[k-1].Published
	}
	if len(ix.problems) > 0 {
		rels := make([]string, 0, len(ix.problems))
		for rel := range ix.problems {
			rels = append(rels, rel)
		}
		slices.Sort(rels)
		for _, rel := range rels {
			x := ix.files[rel]
			res.Warnings = append(res.Warnings, x.warns...)
			if x.err != nil {
				res.Skipped = append(res.Skipped, x.err)
			}
		}
		sort.SliceStable(res.Skipped, func(i, j int) bool { return res.Skipped[i].Path < res.Skipped[j].Path })
	}
	return res
}

// scannable says whether a scan reads the file at rel: a Markdown file
// in no hidden folder.
func scannable(rel string) bool {
	ext := strings.ToLower(path.Ext(rel))
	if ext != ".md" && ext != ".markdown" {
		return false
	}
	for part := range strings.SplitSeq(rel, "/") {
		if part == "" || strings.HasPrefix(part, ".") {
			return false
		}
	}
	return true
}
