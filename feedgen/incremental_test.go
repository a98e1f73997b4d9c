package feedgen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/syndicate/syndicate/outtree"
	"github.com/syndicate/syndicate/source"
)

// change is one edit of a site between two builds.
type change struct {
	name string
	site func(*Site)
	opts func(*Options)
	// posts edits a deep copy of the posts.
	posts func([]*source.Post) []*source.Post
}

func incrementalChanges() []change {
	return []change{
		{name: "nothing"},
		{name: "one post's content", posts: func(ps []*source.Post) []*source.Post {
			ps[7].ContentHTML += "<p>edited</p>"
			return ps
		}},
		{name: "a post no feed lists", posts: func(ps []*source.Post) []*source.Post {
			ps[len(ps)-1].Title += " (edited)"
			return ps
		}},
		{name: "a new post", posts: func(ps []*source.Post) []*source.Post {
			x := simplePost("new.md", ps[0].Published.Add(time.Hour), "brand new", ps[0].Tags[0])
			return append(ps, x)
		}},
		{name: "a post removed", posts: func(ps []*source.Post) []*source.Post {
			return append(ps[:3:3], ps[4:]...)
		}},
		{name: "a tag gone", posts: func(ps []*source.Post) []*source.Post {
			// The rarest tag in the corpus disappears with its feed.
			for _, x := range ps {
				x.Tags = slicesDelete(x.Tags, "rare tag")
			}
			return ps
		}},
		{name: "site title", site: func(s *Site) { s.Title += " (new)" }},
		{name: "summary only", opts: func(o *Options) { o.SummaryOnly = true }},
		{name: "fewer formats", opts: func(o *Options) { o.Formats = []Format{Atom} }},
	}
}

func slicesDelete(list []string, s string) []string {
	var out []string
	for _, v := range list {
		if v != s {
			out = append(out, v)
		}
	}
	return out
}

func incrementalCorpus() []*source.Post {
	posts := generatePosts(300, 40, 5)
	posts[100].Tags = append(posts[100].Tags, "rare tag")
	return posts
}

// apply makes the plan after the change, from fresh copies of posts.
func (c change) apply(t testing.TB, posts []*source.Post) *Plan {
	t.Helper()
	site, opts := benchSite(), Options{Limit: 10}
	if c.site != nil {
		c.site(&site)
	}
	if c.opts != nil {
		c.opts(&opts)
	}
	ps := clonePosts(posts)
	if c.posts != nil {
		ps = c.posts(ps)
	}
	return mustPlan(t, site, opts, ps)
}

// TestBuildIncremental builds, changes one thing and builds again from
// the first snapshot: the result equals a build from scratch; documents
// whose fingerprints did not change are the previous snapshot's, the
// very same pointers; and only posts listed by changed documents are
// encoded.
func TestBuildIncremental(t *testing.T) {
	posts := incrementalCorpus()
	ctx := context.Background()
	for _, c := range incrementalChanges() {
		t.Run(c.name, func(t *testing.T) {
			prev, err := mustPlan(t, benchSite(), Options{Limit: 10}, clonePosts(posts)).Build(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			full, err := c.apply(t, posts).Build(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			plan := c.apply(t, posts)
			n := itemsEncoded.Load()
			inc, err := plan.Build(ctx, prev)
			if err != nil {
				t.Fatal(err)
			}
			encodings := itemsEncoded.Load() - n

			if fmt.Sprint(inc.Paths) != fmt.Sprint(full.Paths) {
				t.Fatalf("paths\n%q\nwant\n%q", inc.Paths, full.Paths)
			}
			changed, wantEncodings := 0, 0
			listed := map[string]bool{}
			for _, pd := range plan.Documents() {
				d, f := inc.Docs[pd.Path], full.Docs[pd.Path]
				if !bytes.Equal(d.Body, f.Body) || d.ETag != f.ETag || !d.Modified.Equal(f.Modified) || d.Fingerprint != f.Fingerprint {
					t.Errorf("%s differs from a build from scratch", pd.Path)
				}
				if old := prev.Docs[pd.Path]; old != nil && old.Fingerprint == pd.Fingerprint {
					if d != old {
						t.Errorf("%s: unchanged, but not the previous snapshot's document", pd.Path)
					}
					continue
				} else if old == d {
					t.Errorf("%s: changed, but the previous document was kept", pd.Path)
				}
				changed++
				for _, x := range pd.Feed.Posts {
					if k := string(pd.Format) + "\x00" + x.Path; !listed[k] {
						listed[k] = true
						wantEncodings++
					}
				}
			}
			if inc.Encoded != changed {
				t.Errorf("Encoded = %d, want %d", inc.Encoded, changed)
			}
			if encodings != int64(wantEncodings) {
				t.Errorf("%d items encoded, want %d (each post listed by a changed document, once per format)", encodings, wantEncodings)
			}
			if c.name == "nothing" && changed != 0 {
				t.Errorf("%d documents encoded again when nothing changed", changed)
			}
			if c.name == "one post's content" && (changed == 0 || changed > 3*7) {
				t.Errorf("%d documents encoded again for one post", changed)
			}
			t.Logf("%d of %d documents encoded, %d items", changed, len(inc.Paths), encodings)
		})
	}
}

// TestBuildIgnoresUnfingerprintedPrevious: a previous document without a
// fingerprint (made by hand) is never reused.
func TestBuildIgnoresUnfingerprintedPrevious(t *testing.T) {
	plan := mustPlan(t, testSite(), Options{Limit: 5}, fixturePosts())
	s, err := plan.Build(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	fake := &Document{Path: "feed.rss", Format: RSS, Body: []byte("old"), ETag: `"old"`}
	prev := &Snapshot{Docs: map[string]*Document{"feed.rss": fake}, Paths: []string{"feed.rss"}}
	again, err := mustPlan(t, testSite(), Options{Limit: 5}, fixturePosts()).Build(context.Background(), prev)
	if err != nil {
		t.Fatal(err)
	}
	if again.Docs["feed.rss"] == fake || !bytes.Equal(again.Docs["feed.rss"].Body, s.Docs["feed.rss"].Body) {
		t.Error("a previous document without a fingerprint was reused")
	}
	if again.Encoded != len(again.Paths) {
		t.Errorf("Encoded = %d, want all %d", again.Encoded, len(again.Paths))
	}
}

// inodes maps each file under dir to its inode number.
func inodes(t *testing.T, dir string) map[string]uint64 {
	t.Helper()
	out := map[string]uint64{}
	for _, rel := range tree(t, dir) {
		info, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			t.Fatal(err)
		}
		st, ok := info.Sys().(*syscall.Stat_t)
		if !ok {
			t.Skip("no inode numbers here")
		}
		out[rel] = st.Ino
	}
	return out
}

// checkManifest: the folder's manifest lists exactly the snapshot's
// documents with their fingerprints, ETags, sizes and times.
func checkManifest(t *testing.T, dir string, s *Snapshot) {
	t.Helper()
	m, err := outtree.ReadManifest(dir)
	if err != nil {
		t.Fatalf("manifest: %v", err)
	}
	if len(m.Entries) != len(s.Paths) {
		t.Fatalf("manifest lists %d documents, want %d", len(m.Entries), len(s.Paths))
	}
	for i, e := range m.Entries {
		d := s.Docs[s.Paths[i]]
		if e.Path != d.Path || Fingerprint(e.Key) != d.Fingerprint || e.ETag != d.ETag || e.Size != int64(len(d.Body)) || !e.Modified.Equal(d.Modified) {
			t.Errorf("manifest entry %+v, want %s %s %s %d %v", e, d.Path, d.Fingerprint, d.ETag, len(d.Body), d.Modified)
		}
	}
}

// TestPlanWriteTree writes a plan's documents straight to a folder and
// then again after each change, against a build from scratch in memory:
// the same files, bytes and times, a manifest that describes them,
// unchanged documents linked from the previous tree, and nothing written
// at all when nothing changed.
func TestPlanWriteTree(t *testing.T) {
	posts := incrementalCorpus()
	ctx := context.Background()
	for _, c := range incrementalChanges() {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "public")
			first := mustPlan(t, benchSite(), Options{Limit: 10}, clonePosts(posts))
			st, err := first.WriteTree(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			if st.Written != st.Documents || st.Linked+st.Copied != 0 || st.Unchanged {
				t.Errorf("first write: %+v", st)
			}
			firstSnap, err := first.Build(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			checkTree(t, dir, firstSnap)
			checkManifest(t, dir, firstSnap)
			before := inodes(t, dir)
			dirInfo, _ := os.Stat(dir)

			plan := c.apply(t, posts)
			want, err := plan.Build(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			n := itemsEncoded.Load()
			st, err = plan.WriteTree(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			encodings := itemsEncoded.Load() - n
			checkTree(t, dir, want)
			checkManifest(t, dir, want)
			checkNoLeftovers(t, dir)
			after := inodes(t, dir)

			same := 0
			for _, p := range want.Paths {
				if old := firstSnap.Docs[p]; old != nil && old.Fingerprint == want.Docs[p].Fingerprint {
					same++
					if after[p] != before[p] {
						t.Errorf("%s: unchanged but written again", p)
					}
				} else if before[p] != 0 && after[p] == before[p] {
					t.Errorf("%s: changed but kept", p)
				}
			}
			if same == len(want.Paths) && len(firstSnap.Paths) == len(want.Paths) {
				dirNow, _ := os.Stat(dir)
				if !st.Unchanged || st.Written+st.Linked+st.Copied != 0 || encodings != 0 || !os.SameFile(dirInfo, dirNow) {
					t.Errorf("no document changed, yet: %+v, %d items encoded, folder replaced: %v", st, encodings, !os.SameFile(dirInfo, dirNow))
				}
			} else {
				if st.Unchanged {
					t.Error("a change was reported as unchanged output")
				}
				if st.Documents != len(want.Paths) || st.Linked != same || st.Written != len(want.Paths)-same || st.Copied != 0 {
					t.Errorf("stats %+v; want %d linked of %d", st, same, len(want.Paths))
				}
			}
			if c.name == "nothing" || c.name == "a post no feed lists" {
				if !st.Unchanged {
					t.Errorf("%s changed, yet the output was written: %+v", c.name, st)
				}
			}
			t.Logf("%+v, %d items encoded", st, encodings)
		})
	}
}

// TestWriteTreeDistrustsManifest: a damaged, foreign or outdated
// manifest, or a tree that no longer matches it, never makes a write
// keep a file it cannot vouch for.
func TestWriteTreeDistrustsManifest(t *testing.T) {
	posts := incrementalCorpus()
	ctx := context.Background()
	// markerText is the marker's first line, for people: all an older
	// syndicate's marker held.
	markerText := "This folder is written by syndicate and replaced as a whole on every build.\n"
	editMarker := func(f func(string) string) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			p := filepath.Join(dir, outtree.MarkerName)
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			mustWrite(t, p, f(string(b)))
		}
	}
	for _, tc := range []struct {
		name  string
		spoil func(t *testing.T, dir string)
		// linked is how many documents may still be linked: -1 for all
		// but one, 0 for none.
		linked int
	}{
		{"marker of an older syndicate", editMarker(func(string) string { return markerText }), 0},
		{"garbage", editMarker(func(s string) string { return markerText + "{not json" }), 0},
		{"truncated", editMarker(func(s string) string { return s[:len(s)/2] }), 0},
		{"other manifest version", editMarker(func(s string) string {
			return strings.Replace(s, `"syndicate_manifest":1`, `"syndicate_manifest":99`, 1)
		}), 0},
		{"unknown field", editMarker(func(s string) string {
			return strings.Replace(s, `"encoder":`, `"extra":1,"encoder":`, 1)
		}), 0},
		{"path outside the folder", editMarker(func(s string) string {
			return strings.Replace(s, `"path":"categories/`, `"path":"../categories/`, 1)
		}), 0},
		{"bad fingerprint", editMarker(func(s string) string {
			return strings.Replace(s, `"fingerprint":"`, `"fingerprint":"zz`, 1)
		}), 0},
		{"repeated path", editMarker(func(s string) string {
			i := strings.Index(s, `{"path"`)
			j := strings.Index(s[i+1:], `{"path"`) + i + 1
			return s[:j] + s[i:j] + s[j:]
		}), 0},
		{"a document edited", func(t *testing.T, dir string) {
			mustWrite(t, filepath.Join(dir, "feed.rss"), "edited by hand")
		}, -1},
		{"a document deleted", func(t *testing.T, dir string) {
			mustDo(t, os.Remove(filepath.Join(dir, "feed.json")))
		}, -1},
		{"a document replaced by a symlink", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "feed.atom")
			mustDo(t, os.Rename(p, p+".real"))
			mustDo(t, os.Symlink("feed.atom.real", p))
		}, -1},
		{"a file added", func(t *testing.T, dir string) {
			mustWrite(t, filepath.Join(dir, "tags", "stray.txt"), "stray")
		}, -2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "public")
			if _, err := mustPlan(t, benchSite(), Options{Limit: 10}, clonePosts(posts)).WriteTree(ctx, dir); err != nil {
				t.Fatal(err)
			}
			tc.spoil(t, dir)
			plan := mustPlan(t, benchSite(), Options{Limit: 10}, clonePosts(posts))
			st, err := plan.WriteTree(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := plan.Build(ctx, nil)
			checkTree(t, dir, want) // also: no stray or extra file is left
			checkManifest(t, dir, want)
			checkNoLeftovers(t, dir)
			switch {
			case st.Unchanged:
				t.Errorf("output reported unchanged: %+v", st)
			case tc.linked == 0 && st.Linked+st.Copied != 0:
				t.Errorf("%d documents kept on the word of a bad manifest", st.Linked+st.Copied)
			case tc.linked == -1 && (st.Written != 1 || st.Linked != st.Documents-1):
				t.Errorf("stats %+v, want the spoilt document alone written", st)
			case tc.linked == -2 && (st.Written != 0 || st.Linked != st.Documents):
				t.Errorf("stats %+v, want every document linked into a tree without the stray file", st)
			}
		})
	}
}

func mustWrite(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestWriteTreeCancelled: a cancelled write leaves the previous tree as
// it was and nothing beside it.
func TestWriteTreeCancelled(t *testing.T) {
	posts := incrementalCorpus()
	dir := filepath.Join(t.TempDir(), "public")
	first := mustPlan(t, benchSite(), Options{Limit: 10}, clonePosts(posts))
	if _, err := first.WriteTree(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	firstSnap, _ := first.Build(context.Background(), nil)
	ps := clonePosts(posts)
	ps[0].Title += " (edited)"
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := mustPlan(t, benchSite(), Options{Limit: 10}, ps).WriteTree(ctx, dir); !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	checkTree(t, dir, firstSnap)
	checkNoLeftovers(t, dir)
}

// TestSnapshotWriteTreeReuse: a snapshot written over a folder links the
// documents the folder's manifest vouches for by ETag, size and time,
// whichever way the folder was written, and writes nothing when they are
// all there. Documents without an ETag are always written.
func TestSnapshotWriteTreeReuse(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "public")
	plan := mustPlan(t, testSite(), Options{Limit: 5}, fixturePosts())
	if _, err := plan.WriteTree(ctx, dir); err != nil {
		t.Fatal(err)
	}
	snap, err := mustPlan(t, testSite(), Options{Limit: 5}, fixturePosts()).Build(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := snap.WriteTree(ctx, dir)
	if err != nil || !st.Unchanged {
		t.Errorf("snapshot over its own plan's folder: %+v %v", st, err)
	}
	// One document changed, by hand, without a fingerprint.
	changed := &Snapshot{Docs: map[string]*Document{}, Paths: snap.Paths}
	for p, d := range snap.Docs {
		changed.Docs[p] = d
	}
	d := *snap.Docs["feed.json"]
	d.Body = []byte(`{"version":"https://jsonfeed.org/version/1.1","title":"x","items":[]}` + "\n")
	d.ETag, d.Fingerprint = etagOf(d.Body), Fingerprint{}
	changed.Docs["feed.json"] = &d
	if st, err = changed.WriteTree(ctx, dir); err != nil || st.Unchanged || st.Written != 1 || st.Linked != st.Documents-1 {
		t.Errorf("one document changed: %+v %v", st, err)
	}
	checkTree(t, dir, changed)
	checkManifest(t, dir, changed)
	if st, err = changed.WriteTree(ctx, dir); err != nil || !st.Unchanged {
		t.Errorf("the same snapshot again: %+v %v", st, err)
	}
	noETag := &Snapshot{Docs: map[string]*Document{"feed.rss": {Path: "feed.rss", Body: []byte("x")}}, Paths: []string{"feed.rss"}}
	for range 2 {
		if st, err = noETag.WriteTree(ctx, dir); err != nil || st.Unchanged || st.Written != 1 {
			t.Errorf("a document without an ETag: %+v %v", st, err)
		}
	}
}

// TestPlanWriteTreeAtomicForReaders alternates between two plans that
// share most documents while readers read them: every read finds a
// whole document of one of the builds, linked or written.
func TestPlanWriteTreeAtomicForReaders(t *testing.T) {
	posts := incrementalCorpus()
	edited := clonePosts(posts)
	edited[0].Title += " (edited)"
	plans := []*Plan{
		mustPlan(t, benchSite(), Options{Limit: 10}, posts),
		mustPlan(t, benchSite(), Options{Limit: 10}, edited),
	}
	valid := map[string]map[string]bool{}
	for _, p := range plans {
		s, err := p.Build(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		for path, d := range s.Docs {
			if valid[path] == nil {
				valid[path] = map[string]bool{}
			}
			valid[path][string(d.Body)] = true
		}
	}
	var names []string
	for p := range valid {
		names = append(names, p)
	}
	sort.Strings(names)
	dir := filepath.Join(t.TempDir(), "public")
	if _, err := plans[0].WriteTree(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	var reads atomic.Int64
	for r := range 3 {
		wg.Go(func() {
			for i := r; !stop.Load(); i++ {
				name := names[i%len(names)]
				b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
				if err != nil {
					if !errors.Is(err, fs.ErrNotExist) { // a lookup into the deleted tree
						errs <- err.Error()
						return
					}
					continue
				}
				reads.Add(1)
				if !valid[name][string(b)] {
					errs <- name + ": read a document no build wrote whole"
					return
				}
			}
		})
	}
	for i := range 20 {
		if _, err := plans[(i+1)%2].WriteTree(context.Background(), dir); err != nil {
			t.Fatal(err)
		}
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if reads.Load() == 0 {
		t.Error("no reader read anything")
	}
}

// TestPostsToEncode: Build reads the HTML of exactly the posts that the
// documents it encodes list, and checks only those are rendered.
func TestPostsToEncode(t *testing.T) {
	posts := fpPosts()
	plan := mustPlan(t, testSite(), Options{Limit: 5}, posts)
	if got := plan.PostsToEncode(nil); len(got) != len(plan.Needed) {
		t.Fatalf("without a previous snapshot: %d posts, want all %d", len(got), len(plan.Needed))
	}
	prev, err := plan.Build(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	again := clonePosts(posts)
	for _, x := range again {
		x.RenderSum = [16]byte{1} // known by sum...
	}
	sumPlan := mustPlan(t, testSite(), Options{Limit: 5}, again)
	if got := sumPlan.PostsToEncode(prev); len(got) != len(sumPlan.Needed) {
		t.Fatalf("sums in place of HTML change every fingerprint: %d posts to encode, want %d", len(got), len(sumPlan.Needed))
	}
	same := mustPlan(t, testSite(), Options{Limit: 5}, clonePosts(posts))
	if got := same.PostsToEncode(prev); len(got) != 0 {
		t.Errorf("nothing changed, yet %d posts to encode", len(got))
	}
	many := generatePosts(300, 50, 6)
	plan1 := mustPlan(t, testSite(), Options{Limit: 5}, many)
	prev, err = plan1.Build(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	changed := clonePosts(many)
	edited := changed[slices.Index(many, plan1.Needed[len(plan1.Needed)-1])]
	edited.Title += " (edited)"
	plan2 := mustPlan(t, testSite(), Options{Limit: 5}, changed)
	todo := plan2.PostsToEncode(prev)
	if !slices.Contains(todo, edited) || len(todo) >= len(plan2.Needed)/2 {
		t.Fatalf("one edit: %d of %d posts to encode, edited one included: %v", len(todo), len(plan2.Needed), slices.Contains(todo, edited))
	}
	for _, x := range plan2.Needed {
		if !slices.Contains(todo, x) {
			x.ContentHTML, x.SummaryHTML, x.SummaryText = "", "", "" // not read
			x.RenderSum = [16]byte{}
		}
	}
	// The fingerprints were made before the HTML went, as in serve.
	if _, err := plan2.Build(context.Background(), prev); err != nil {
		t.Fatalf("Build with only the posts to encode rendered: %v", err)
	}
	todo[len(todo)-1].ContentHTML, todo[len(todo)-1].SummaryHTML = "", ""
	if _, err := plan2.Build(context.Background(), prev); err == nil {
		t.Error("Build encoded a document listing a post without HTML")
	}
}
