package source

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A hostile content folder: a post, or the folder holding it, replaced by
// something that would block a read (a FIFO, a device) or lead a read out
// of the content folder (a symlink, a folder swapped for a symlink) after
// the scan has listed it. Every scan and render must finish, report the
// file, publish the others and never read anything outside the folder.

// secretTitle is the title of the post outside the content folder; it must
// never reach a result.
const secretTitle = "SECRET outside the content folder"

// hostileSite is a content folder with two posts that are never touched
// and two victims, one at the top and one in a sub-folder, and a folder
// outside it holding a post with the secret title at the victims' paths.
type hostileSite struct {
	root, outside string
	keep          []string // paths of the posts never touched
	victims       []string
}

func newHostileSite(t *testing.T) *hostileSite {
	t.Helper()
	post := func(title string) string {
		return fm("title: "+title, dateLine) + title + " " + strings.Repeat("Text. ", 500) + "\n"
	}
	// The secret posts have the victims' sizes and times, so that a file
	// read in their place looks unchanged to every check by size and time.
	secret := post(secretTitle)
	victim := func(title string) string { return post(title) + strings.Repeat("\n", len(secret)-len(post(title))) }
	h := &hostileSite{
		root: writeTree(t, map[string]string{
			"a.md":        post("A"),
			"keep/b.md":   post("B"),
			"victim.md":   victim("Victim"),
			"sub/deep.md": victim("Deep victim"),
		}),
		outside: writeTree(t, map[string]string{
			"victim.md":   secret,
			"sub/deep.md": secret,
		}),
		keep:    []string{"a.md", "keep/b.md"},
		victims: []string{"victim.md", "sub/deep.md"},
	}
	when := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, rel := range h.victims {
		for _, dir := range []string{h.root, h.outside} {
			if err := os.Chtimes(filepath.Join(dir, filepath.FromSlash(rel)), when, when); err != nil {
				t.Fatal(err)
			}
		}
	}
	return h
}

// hostileKind replaces the victim at rel with something hostile; restore
// puts a regular post back.
type hostileKind struct {
	name  string
	apply func(h *hostileSite, rel string) error
}

var hostileKinds = []hostileKind{
	{"FIFO", func(h *hostileSite, rel string) error {
		p := h.path(rel)
		os.Remove(p)
		return unix.Mkfifo(p, 0o644)
	}},
	{"device", func(h *hostileSite, rel string) error {
		p := h.path(rel)
		os.Remove(p)
		return unix.Mknod(p, unix.S_IFCHR|0o644, int(unix.Mkdev(1, 3))) // /dev/null's numbers
	}},
	{"symlink to /dev/null", func(h *hostileSite, rel string) error {
		p := h.path(rel)
		os.Remove(p)
		return os.Symlink("/dev/null", p)
	}},
	{"symlink out of the folder", func(h *hostileSite, rel string) error {
		p := h.path(rel)
		os.Remove(p)
		return os.Symlink(filepath.Join(h.outside, filepath.FromSlash(rel)), p)
	}},
	{"folder swapped for a symlink", func(h *hostileSite, rel string) error {
		dir := filepath.Dir(h.path(rel))
		if dir == h.root {
			// A top-level post: swap it for a symlinked folder named
			// like the post, which a read would have to enter.
			p := h.path(rel)
			os.Remove(p)
			return os.Symlink(h.outside, p)
		}
		os.RemoveAll(dir)
		return os.Symlink(filepath.Join(h.outside, filepath.Base(dir)), dir)
	}},
}

func (h *hostileSite) path(rel string) string { return filepath.Join(h.root, filepath.FromSlash(rel)) }

// restore makes rel a regular post again (its folder a real folder).
func (h *hostileSite) restore(t testing.TB, rel string) {
	p := h.path(rel)
	if dir := filepath.Dir(p); dir != h.root {
		if info, err := os.Lstat(dir); err == nil && info.Mode()&os.ModeSymlink != 0 {
			os.Remove(dir)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Error(err)
		}
	}
	os.RemoveAll(p)
	tmp := filepath.Join(filepath.Dir(p), ".restore-"+filepath.Base(p))
	if err := os.WriteFile(tmp, []byte(fm("title: Restored "+rel, dateLine)), 0o644); err != nil {
		t.Error(err)
	}
	if err := os.Rename(tmp, p); err != nil {
		t.Error(err)
	}
}

// finish runs f and fails the test if it has not returned within a bound
// far beyond any scan of a few files: the test is about hangs, not speed.
func finish(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		buf := make([]byte, 1<<16)
		buf = buf[:runtime.Stack(buf, true)]
		t.Fatalf("%s did not finish (a read blocked):\n%s", what, buf)
	}
}

// checkHostileResult: the untouched posts are published and rendered, no
// post holds anything from outside the folder, and every victim is either
// published (it was a regular file inside the folder when read), reported
// by path, or was not there when the folder was listed.
func (h *hostileSite) check(t *testing.T, res *Result, renderErrs []*FileError) {
	t.Helper()
	published := map[string]*Post{}
	for _, p := range res.Posts {
		published[p.Path] = p
		if strings.Contains(p.Title, "SECRET") || strings.Contains(p.ContentHTML, "SECRET") {
			t.Errorf("%s: read from outside the content folder: %q", p.Path, p.Title)
		}
	}
	for _, rel := range h.keep {
		if p := published[rel]; p == nil {
			t.Errorf("%s not published (skipped: %v)", rel, res.Skipped)
		}
	}
	for _, e := range append(append([]*FileError(nil), res.Skipped...), renderErrs...) {
		if !slicesContains(h.victims, e.Path) {
			t.Errorf("an untouched file was reported: %v", e)
		}
		if e.Err == nil || e.Err.Error() == "" {
			t.Errorf("%s reported without a reason", e.Path)
		}
	}
	for _, e := range renderErrs {
		if p := published[e.Path]; p != nil && p.Rendered() {
			t.Errorf("%s reported by Render and rendered", e.Path)
		}
	}
}

func slicesContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestHostileSwapBeforeRead replaces each victim after the folder was
// surveyed and before it is read, and after it was scanned and before it
// is rendered: the two moments a file's type was checked by path and
// then trusted. (Before reads opened with O_NONBLOCK, the FIFO case
// blocked in open(2) for ever.)
func TestHostileSwapBeforeRead(t *testing.T) {
	for _, kind := range hostileKinds {
		for _, victim := range []string{"victim.md", "sub/deep.md"} {
			t.Run(kind.name+"/"+victim+"/scan", func(t *testing.T) {
				h := newHostileSite(t)
				sc, sv := surveyNow(t, h.root, testConfig())
				if err := kind.apply(h, victim); err != nil {
					t.Skipf("cannot make a %s here: %v", kind.name, err)
				}
				var res *Result
				var err error
				finish(t, "Scan", func() { res, err = sc.Scan(context.Background(), ScanOptions{Survey: sv}) })
				if err != nil {
					t.Fatal(err)
				}
				h.check(t, res, nil)
				var reported *FileError
				for _, e := range res.Skipped {
					if e.Path == victim {
						reported = e
					}
				}
				if reported == nil {
					t.Fatalf("%s not reported; skipped %v, posts %d", victim, res.Skipped, len(res.Posts))
				}
				t.Logf("reported: %v", reported)
			})
			t.Run(kind.name+"/"+victim+"/render", func(t *testing.T) {
				h := newHostileSite(t)
				sc, err := NewScanner(h.root, testConfig())
				if err != nil {
					t.Fatal(err)
				}
				res, err := sc.Scan(context.Background(), ScanOptions{})
				if err != nil || len(res.Posts) != 4 {
					t.Fatalf("scan: %v, %d posts", err, len(res.Posts))
				}
				if err := kind.apply(h, victim); err != nil {
					t.Skipf("cannot make a %s here: %v", kind.name, err)
				}
				var errs []*FileError
				finish(t, "Render", func() { errs = sc.Render(context.Background(), res.Posts) })
				h.check(t, res, errs)
				if len(errs) != 1 || errs[0].Path != victim {
					t.Fatalf("render errors %v, want one for %s", errs, victim)
				}
				t.Logf("reported: %v", errs[0])
			})
		}
	}
}

// TestHostileSwapRace swaps victims between posts and every hostile kind
// at random moments while scans and renders run, many times: every scan
// must finish, publish the untouched posts and never read outside the
// folder. The number of trials is fixed; nothing is timed.
func TestHostileSwapRace(t *testing.T) {
	trials := 60
	if testing.Short() {
		trials = 10
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range trials {
		h := newHostileSite(t)
		seed := rng.Uint64()
		stop := make(chan struct{})
		var wg sync.WaitGroup
		stopped := false
		halt := func() {
			if !stopped {
				stopped = true
				close(stop)
				wg.Wait()
			}
		}
		defer halt()
		wg.Go(func() {
			r := rand.New(rand.NewPCG(seed, 0))
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				victim := h.victims[r.IntN(len(h.victims))]
				if i%2 == 0 {
					kind := hostileKinds[r.IntN(len(hostileKinds))]
					kind.apply(h, victim) // a kind this system cannot make is just skipped
				} else {
					h.restore(t, victim)
				}
				runtime.Gosched()
			}
		})
		for range 5 {
			sc, err := NewScanner(h.root, testConfig())
			if err != nil {
				t.Fatal(err)
			}
			var res *Result
			var errs []*FileError
			finish(t, fmt.Sprintf("trial %d: Scan and Render", trial), func() {
				res, err = sc.Scan(context.Background(), ScanOptions{})
				if err == nil {
					errs = sc.Render(context.Background(), res.Posts)
				}
			})
			if err != nil {
				t.Fatalf("trial %d: %v", trial, err)
			}
			h.check(t, res, errs)
		}
		halt()
	}
}

// TestReadHonoursContext: a cancelled context stops scans, reads and
// renders.
func TestReadHonoursContext(t *testing.T) {
	h := newHostileSite(t)
	sc, err := NewScanner(h.root, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	res, err := sc.Scan(context.Background(), ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := sc.Scan(ctx, ScanOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Scan with a cancelled context: %v", err)
	}
	if _, _, err := sc.load(ctx, "a.md"); !errors.Is(err, context.Canceled) {
		t.Errorf("load with a cancelled context: %v", err)
	}
	errs := sc.Render(ctx, res.Posts)
	if len(errs) != 1 || !errors.Is(errs[0], context.Canceled) {
		t.Errorf("Render with a cancelled context: %v", errs)
	}
}
