package pubstate

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/syndicate/syndicate/feedgen"
)

const site = "https://example.org/"

var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func mustOpen(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dir, site)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func item(n int, path string) feedgen.PublishedItem {
	return feedgen.PublishedItem{
		ID: fmt.Sprintf("https://example.org/p/%d/", n), Path: path, PostID: strconv.Itoa(n),
		Title: fmt.Sprintf("Post %d", n), Published: t0.Add(time.Duration(n) * time.Hour), BodyHash: fmt.Sprintf("body-%d", n),
	}
}

// TestRecordAndReopen: what a build records is there after the process
// reopens the state, for its own site only; a later build changes what
// it republished and forgets nothing.
func TestRecordAndReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := mustOpen(t, dir)
	b1 := Build{
		Time:  t0,
		Items: []feedgen.PublishedItem{item(1, "a.md"), item(2, "b.md")},
		Feeds: []feedgen.PublishedFeed{{Kind: feedgen.TagFeed, Name: "Go", Slug: "go"}, {Kind: feedgen.CategoryFeed, Name: "News", Slug: "news"}},
		Documents: []Document{
			{Path: "feed.rss", Fingerprint: "f1", ETag: `"e1"`, Changed: t0},
			{Path: "tags/go/feed.rss", Fingerprint: "f2", ETag: `"e2"`, Changed: t0},
		},
	}
	if err := s.Record(ctx, b1); err != nil {
		t.Fatal(err)
	}
	// A second build: b.md renamed to c.md keeps its id, a.md's body
	// unknown (kept), the tag no longer listed, one document changed.
	t1 := t0.Add(48 * time.Hour)
	renamed := item(2, "c.md")
	noBody := item(1, "a.md")
	noBody.BodyHash = ""
	b2 := Build{
		Time:  t1,
		Items: []feedgen.PublishedItem{noBody, renamed, item(3, "d.md")},
		Feeds: []feedgen.PublishedFeed{{Kind: feedgen.CategoryFeed, Name: "News", Slug: "news"}},
		Documents: []Document{
			{Path: "feed.rss", Fingerprint: "f3", ETag: `"e3"`, Changed: t1},
			{Path: "tags/go/feed.rss", Fingerprint: "f2", ETag: `"e2"`, Changed: t0},
		},
	}
	if err := s.Record(ctx, b2); err != nil {
		t.Fatal(err)
	}
	s.Close()

	// Another site in the same folder sees nothing of this one's.
	other, err := Open(ctx, dir, "https://other.example/")
	if err != nil {
		t.Fatal(err)
	}
	if len(other.Items()) != 0 || len(other.Feeds()) != 0 {
		t.Errorf("another site sees %d items, %d feeds", len(other.Items()), len(other.Feeds()))
	}
	other.Close()

	s = mustOpen(t, dir)
	items := s.Items()
	if len(items) != 3 {
		t.Fatalf("%d items, want 3: %v", len(items), items)
	}
	if it := items[renamed.ID]; it.Path != "c.md" || !it.FirstPublished.Equal(t0) || !it.LastPublished.Equal(t1) {
		t.Errorf("renamed item %+v", it)
	}
	if it := items[noBody.ID]; it.BodyHash != "body-1" || !it.Published.Equal(noBody.Published) {
		t.Errorf("item without body hash %+v, want the recorded body kept", it)
	}
	if d := s.Documents()["feed.rss"]; d.ETag != `"e3"` || !d.Changed.Equal(t1) {
		t.Errorf("feed.rss %+v", d)
	}
	if d := s.Documents()["tags/go/feed.rss"]; !d.Changed.Equal(t0) {
		t.Errorf("tags/go/feed.rss %+v", d)
	}
	if !s.HasBody(renamed.ID, "c.md") || s.HasBody(renamed.ID, "b.md") {
		t.Error("HasBody")
	}

	// Earlier: the tag feed is kept for keepEmpty after it last listed a
	// post, then gone.
	e := s.Earlier(t1, 30*24*time.Hour)
	if it, ok := e.Items.ByPath("c.md"); !ok || it.ID != renamed.ID {
		t.Errorf("ByPath(c.md) = %+v, %v", it, ok)
	}
	if _, ok := e.Items.ByPath("b.md"); ok {
		t.Error("ByPath(b.md): the renamed file's old path still names its item")
	}
	if got := e.Items.WithPostID("2"); len(got) != 1 || got[0].ID != renamed.ID {
		t.Errorf("WithPostID(2) = %+v", got)
	}
	if got := e.Items.WithTitleDate("Post 3", item(3, "").Published.In(time.FixedZone("X", 3600))); len(got) != 1 || got[0].Path != "d.md" {
		t.Errorf("WithTitleDate(Post 3) = %+v", got)
	}
	if got := e.Items.WithBody("body-1"); len(got) != 1 || got[0].ID != noBody.ID {
		t.Errorf("WithBody(body-1) = %+v", got)
	}
	if got := e.Items.WithBody(""); len(got) != 0 {
		t.Errorf("WithBody(\"\") = %+v", got)
	}
	if len(e.Feeds) != 2 || e.Feeds[1].Slug != "go" || !e.Feeds[1].LastPost.Equal(t0) || e.Feeds[1].Name != "Go" {
		t.Errorf("earlier feeds %+v", e.Feeds)
	}
	if d := e.Documents["feed.rss"]; d.ETag != `"e3"` || !d.Changed.Equal(t1) {
		t.Errorf("earlier documents %+v", e.Documents)
	}
	late := t0.Add(31 * 24 * time.Hour) // 31 days after the tag, 29 after the category
	if e := s.Earlier(late, 30*24*time.Hour); len(e.Feeds) != 1 || e.Feeds[0].Slug != "news" {
		t.Errorf("after keep_empty: %+v kept, want the category only", e.Feeds)
	}
	if gone := s.Gone(late, 30*24*time.Hour); len(gone) != 1 || gone[0] != "tags/go/" {
		t.Errorf("gone %v, want tags/go/", gone)
	}
	if gone := s.Gone(t1.Add(31*24*time.Hour), 30*24*time.Hour); len(gone) != 2 || gone[0] != "categories/news/" {
		t.Errorf("gone %v, want both", gone)
	}
	if gone := s.Gone(t1, 30*24*time.Hour); len(gone) != 0 {
		t.Errorf("gone too early: %v", gone)
	}
}

// TestRecordWritesOnlyChanges: a build that publishes what the state
// holds writes nothing, so rebuilds stay cheap.
func TestRecordWritesOnlyChanges(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t, t.TempDir())
	b := Build{Time: t0, Items: []feedgen.PublishedItem{item(1, "a.md")},
		Documents: []Document{{Path: "feed.rss", Fingerprint: "f", ETag: `"e"`, Changed: t0}}}
	if err := s.Record(ctx, b); err != nil {
		t.Fatal(err)
	}
	changes := func() int64 {
		var n int64
		if err := s.db.QueryRowContext(ctx, "SELECT total_changes()").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := changes()
	b.Time = t0.Add(time.Minute)
	if err := s.Record(ctx, b); err != nil {
		t.Fatal(err)
	}
	if n := changes() - before; n != 0 {
		t.Errorf("an unchanged build wrote %d rows", n)
	}
}

// TestRecordCancelled: a build whose context is already cancelled (serve
// abandons a stalled rebuild and starts another on the same Store) returns
// the cancellation before looking at the Store, even when it would have
// had nothing to write, and records nothing.
func TestRecordCancelled(t *testing.T) {
	s := mustOpen(t, t.TempDir())
	b := Build{Time: t0, Items: []feedgen.PublishedItem{item(1, "a.md")}}
	if err := s.Record(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for name, late := range map[string]Build{
		"nothing to write": b,
		"a new item":       {Time: t0.Add(time.Hour), Items: []feedgen.PublishedItem{item(1, "a.md"), item(2, "b.md")}},
	} {
		if err := s.Record(cancelled, late); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: Record with a cancelled context = %v, want context.Canceled", name, err)
		}
	}
	if _, ok := s.items[item(2, "b.md").ID]; ok {
		t.Error("the cancelled build was recorded")
	}
}

// TestOpenRefusesSecondProcess: while a process has the state open,
// another gets a clear error naming the folder, not a shared database.
func TestOpenRefusesSecondProcess(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir)
	_, err := Open(context.Background(), dir, site)
	if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), strconv.Itoa(os.Getpid())) {
		t.Fatalf("second Open: %v, want ErrInUse naming %s and pid %d", err, dir, os.Getpid())
	}
	s.Close()
	s2, err := Open(context.Background(), dir, site)
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	s2.Close()
}

// TestOpenDamaged: a file that is not a database, or a truncated one, is
// reported with its name and how to recover, and left as it was.
func TestOpenDamaged(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, path string)
	}{
		{"garbage", func(t *testing.T, path string) {
			if err := os.WriteFile(path, bytes.Repeat([]byte("not a database "), 500), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"header overwritten", func(t *testing.T, path string) {
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteAt([]byte("XXXXXXXXXXXXXXXX"), 0)
			f.Close()
		}},
		{"truncated", func(t *testing.T, path string) {
			info, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(path, info.Size()/2+100); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := mustOpen(t, dir)
			var items []feedgen.PublishedItem
			for i := range 2000 {
				items = append(items, item(i, fmt.Sprintf("p/%d.md", i)))
			}
			if err := s.Record(ctx, Build{Time: t0, Items: items}); err != nil {
				t.Fatal(err)
			}
			s.Close()
			path := filepath.Join(dir, FileName)
			os.Remove(path + "-wal")
			os.Remove(path + "-shm")
			tc.damage(t, path)
			before, _ := os.ReadFile(path)
			_, err := Open(ctx, dir, site)
			if err == nil {
				t.Fatal("a damaged state opened")
			}
			for _, want := range []string{path, "damaged", "restore it from a backup", "move it"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Error("the damaged file was changed")
			}
		})
	}
}

// TestOpenNewerSchema: a state written by a newer syndicate is refused,
// not migrated backwards or overwritten.
func TestOpenNewerSchema(t *testing.T) {
	dir := t.TempDir()
	mustOpen(t, dir).Close()
	db, err := sql.Open("sqlite", filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = Open(context.Background(), dir, site)
	if err == nil || !strings.Contains(err.Error(), "schema version 99") {
		t.Fatalf("Open: %v, want a schema error", err)
	}
}

// TestOpenLockedByAnotherProgram: a database another program holds
// write-locked (say, sqlite3 in a shell) fails the build loudly after the
// busy timeout, naming the file.
func TestOpenLockedByAnotherProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out the 5 s busy timeout")
	}
	dir := t.TempDir()
	mustOpen(t, dir).Close()
	db, err := sql.Open("sqlite", filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	_, err = Open(context.Background(), dir, site)
	if err == nil || !strings.Contains(err.Error(), "locked") || !strings.Contains(err.Error(), FileName) {
		t.Fatalf("Open of a locked state: %v", err)
	}
	conn.ExecContext(context.Background(), "ROLLBACK")
}

// TestOpenReadOnly: a state that cannot be written (an immutable file,
// which even root cannot write) fails Open, before anything is
// published.
func TestOpenReadOnly(t *testing.T) {
	dir := t.TempDir()
	mustOpen(t, dir).Close()
	path := filepath.Join(dir, FileName)
	if os.Geteuid() != 0 {
		if err := os.Chmod(path, 0o400); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o500); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(dir, 0o700)
	} else {
		if out, err := exec.Command("chattr", "+i", path).CombinedOutput(); err != nil {
			t.Skipf("chattr +i: %v %s", err, out)
		}
		defer exec.Command("chattr", "-i", path).Run()
	}
	s, err := Open(context.Background(), dir, site)
	if err == nil {
		s.Close()
		t.Fatal("a read-only state opened")
	}
	if !strings.Contains(err.Error(), dir) {
		t.Errorf("error %q does not name the state", err)
	}
}

// crashEnv makes the test binary a child that records builds into the
// state folder it names until it is killed (TestKillDuringRecord).
const crashEnv = "PUBSTATE_CRASH_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashEnv); dir != "" {
		os.Exit(crashChild(dir))
	}
	os.Exit(m.Run())
}

// crashChild records build after build: each renames every base item's
// file (same ids) and adds 200 items of its own, in one transaction, and
// prints the build's number once it is recorded.
func crashChild(dir string) int {
	ctx := context.Background()
	s, err := Open(ctx, dir, site)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for n := 1; ; n++ {
		b := Build{Time: t0.Add(time.Duration(n) * time.Minute)}
		for i := range 300 {
			b.Items = append(b.Items, item(i, fmt.Sprintf("base/%d-v%d.md", i, n)))
		}
		for k := range 200 {
			it := item(100000+k, fmt.Sprintf("build/%d/%d.md", n, k))
			it.ID = fmt.Sprintf("https://example.org/build/%d/%d", n, k)
			b.Items = append(b.Items, it)
		}
		b.Documents = []Document{{Path: "feed.rss", Fingerprint: strconv.Itoa(n), ETag: strconv.Itoa(n), Changed: b.Time}}
		if err := s.Record(ctx, b); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Println(n)
	}
}

// TestKillDuringRecord: a process killed (SIGKILL) at random points while
// it records builds leaves a state that opens, where every base item
// keeps its id, and every build is there whole or not at all.
func TestKillDuringRecord(t *testing.T) {
	trials := 25
	if testing.Short() {
		trials = 5
	}
	ctx := context.Background()
	dir := t.TempDir()
	s := mustOpen(t, dir)
	var base []feedgen.PublishedItem
	for i := range 300 {
		base = append(base, item(i, fmt.Sprintf("base/%d.md", i)))
	}
	if err := s.Record(ctx, Build{Time: t0, Items: base}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	rng := rand.New(rand.NewPCG(12, 34))
	for trial := range trials {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashEnv+"="+dir)
		var out, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(50+rng.IntN(400)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if strings.TrimSpace(stderr.String()) != "" {
			t.Fatalf("trial %d: child failed: %s", trial, stderr.String())
		}

		s, err := Open(ctx, dir, site)
		if err != nil {
			t.Fatalf("trial %d: state does not open after kill -9: %v", trial, err)
		}
		items := s.Items()
		for i, it := range base {
			got, ok := items[it.ID]
			if !ok || got.Title != it.Title || got.Path != it.Path && !strings.HasPrefix(got.Path, fmt.Sprintf("base/%d-v", i)) {
				t.Fatalf("trial %d: base item %s is now %+v", trial, it.ID, got)
			}
		}
		perBuild := map[string]int{}
		for id := range items {
			if rest, ok := strings.CutPrefix(id, "https://example.org/build/"); ok {
				n, _, _ := strings.Cut(rest, "/")
				perBuild[n]++
			}
		}
		for n, count := range perBuild {
			if count != 200 {
				t.Fatalf("trial %d: build %s recorded %d of its 200 items", trial, n, count)
			}
		}
		s.Close()
		if trial == 0 && len(perBuild) == 0 && out.Len() == 0 {
			t.Log("first trial killed before any build was recorded")
		}
	}
	s = mustOpen(t, dir)
	t.Logf("%d trials; %d items recorded in all", trials, len(s.Items()))
}

// TestIndexesMatchReload: the lookups a plan makes answer the same from
// the indexes Record keeps up to date as from a state read afresh, over
// builds that rename files, move ids between files, retitle and edit.
func TestIndexesMatchReload(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir, site)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	var paths, postIDs, bodies []string
	var titles []titleDate
	for n := range 30 {
		b := Build{Time: t0.Add(time.Duration(n) * time.Hour)}
		for range 10 {
			k := rng.IntN(25)
			it := item(k, fmt.Sprintf("p/%d.md", rng.IntN(15)))
			it.Title = fmt.Sprintf("T%d", rng.IntN(5))
			it.PostID = strconv.Itoa(rng.IntN(6))
			it.BodyHash = fmt.Sprintf("b%d", rng.IntN(8))
			it.Published = t0.Add(time.Duration(rng.IntN(3)) * time.Hour)
			b.Items = append(b.Items, it)
			paths, postIDs, bodies = append(paths, it.Path), append(postIDs, it.PostID), append(bodies, it.BodyHash)
			titles = append(titles, titleDate{it.Title, it.Published.UnixNano()})
		}
		if err := s.Record(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	// Last, every item moves to a file of its own: the files they leave
	// name no item, or an older one.
	b := Build{Time: t0.Add(100 * time.Hour)}
	for id, it := range s.Items() {
		if rng.IntN(2) == 0 {
			it.Path = "moved/" + strconv.Itoa(len(id)) + "/" + strconv.Itoa(rng.Int()) + ".md"
			b.Items = append(b.Items, it.PublishedItem)
		}
	}
	if err := s.Record(ctx, b); err != nil {
		t.Fatal(err)
	}
	type answers struct{ byPath, postID, title, body []string }
	ask := func(st *Store) answers {
		var a answers
		for _, p := range paths {
			it, ok := st.ByPath(p)
			a.byPath = append(a.byPath, fmt.Sprint(it.ID, ok))
		}
		for _, id := range postIDs {
			a.postID = append(a.postID, fmt.Sprint(st.WithPostID(id)))
		}
		for _, td := range titles {
			a.title = append(a.title, fmt.Sprint(st.WithTitleDate(td.title, unixTime(td.ns))))
		}
		for _, h := range bodies {
			a.body = append(a.body, fmt.Sprint(st.WithBody(h)))
		}
		return a
	}
	live := ask(s)
	s.Close()
	fresh := ask(mustOpen(t, dir))
	for i := range live.byPath {
		if live.byPath[i] != fresh.byPath[i] {
			t.Errorf("ByPath(%s): %s live, %s reloaded", paths[i], live.byPath[i], fresh.byPath[i])
		}
	}
	if fmt.Sprint(live.postID, live.title, live.body) != fmt.Sprint(fresh.postID, fresh.title, fresh.body) {
		t.Error("the post_id, title and date, or body indexes differ from a reload")
	}
}

// benchState is a state of n items, 3,000 of them (a site's feeds'
// worth) in the last build, and 1,000 feeds of 3 documents.
func benchState(b *testing.B, n int) (string, Build) {
	b.Helper()
	ctx := context.Background()
	dir := b.TempDir()
	s, err := Open(ctx, dir, site)
	if err != nil {
		b.Fatal(err)
	}
	var all []feedgen.PublishedItem
	for i := range n {
		all = append(all, item(i, fmt.Sprintf("posts/%06d.md", i)))
	}
	last := Build{Time: t0, Items: all[:min(n, 3000)]}
	for i := range 1000 {
		last.Feeds = append(last.Feeds, feedgen.PublishedFeed{Kind: feedgen.TagFeed, Name: fmt.Sprint("Tag ", i), Slug: fmt.Sprint("tag-", i)})
		for _, f := range []string{"feed.rss", "feed.atom", "feed.json"} {
			last.Documents = append(last.Documents, Document{Path: fmt.Sprintf("tags/tag-%d/%s", i, f), Fingerprint: "f", ETag: "e", Changed: t0})
		}
	}
	if err := s.Record(ctx, Build{Time: t0, Items: all}); err != nil {
		b.Fatal(err)
	}
	if err := s.Record(ctx, last); err != nil {
		b.Fatal(err)
	}
	s.Close()
	return dir, last
}

// BenchmarkOpen: reading a state of 100,000 items (serve and build do it
// once per process).
func BenchmarkOpen(b *testing.B) {
	dir, _ := benchState(b, 100000)
	for b.Loop() {
		s, err := Open(context.Background(), dir, site)
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}

// BenchmarkRebuildState: what the state adds to a rebuild after one edit
// on a site with 100,000 items published: Earlier for the plan, the plan's
// lookups of the 3,000 items its feeds list, and recording a build in
// which one item and three documents changed.
func BenchmarkRebuildState(b *testing.B) {
	ctx := context.Background()
	dir, last := benchState(b, 100000)
	s, err := Open(ctx, dir, site)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	n := 0
	for b.Loop() {
		n++
		now := t0.Add(time.Duration(n) * time.Minute)
		e := s.Earlier(now, 30*24*time.Hour)
		for _, it := range last.Items {
			if _, ok := e.Items.ByPath(it.Path); !ok {
				b.Fatal("lost", it.Path)
			}
		}
		build := last
		build.Time = now
		build.Items = slices.Clone(last.Items)
		build.Items[0].Title = fmt.Sprint("Edited ", n)
		build.Documents = slices.Clone(last.Documents)
		for i := range 3 {
			build.Documents[i].ETag = fmt.Sprint("e", n)
			build.Documents[i].Changed = now
		}
		if err := s.Record(ctx, build); err != nil {
			b.Fatal(err)
		}
	}
}
