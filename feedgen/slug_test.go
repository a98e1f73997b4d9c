package feedgen

import (
	"bytes"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"

	"github.com/syndicate/syndicate/source"
)

var hashSlug = regexp.MustCompile(`^[0-9a-f]{8}$`)

func TestSlugify(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"lower case", "Go", "go"},
		{"words", "Hello World", "hello-world"},
		{"outer and inner space", "  spaced \t out  ", "spaced-out"},
		{"digits", "Web 2.0", "web-2-0"},
		{"year", "2024", "2024"},
		{"dot", "node.js", "node-js"},
		{"slash", "a/b", "a-b"},
		{"backslash", `a\b`, "a-b"},
		{"traversal", "../../etc", "etc"},
		{"punctuation runs", "Q&A -- FAQ!", "q-a-faq"},
		{"C++", "C++", "c"},
		{"C#", "C#", "c"},
		{"Japanese", "日本語", "日本語"},
		{"Russian", "Россия", "россия"},
		{"Greek", "Ελλάδα", "ελλάδα"},
		{"Greek final sigma", "ΟΔΟΣ", "οδοσ"},
		{"Devanagari with combining marks", "हिन्दी", "हिन्दी"},
		{"Devanagari words", "हिन्दी भाषा", "हिन्दी-भाषा"},
		{"Arabic", "العربية", "العربية"},
		{"Arabic words", "اللغة العربية", "اللغة-العربية"},
		{"Hebrew", "עברית", "עברית"},
		{"Korean", "한국어", "한국어"},
		{"Thai with marks", "ภาษาไทย", "ภาษาไทย"},
		{"accents", "Ünïcödé Café", "ünïcödé-café"},
		{"decomposed accent composes (NFKC)", "Cafe\u0301", "café"},
		{"ligature (NFKC)", "ﬁle", "file"},
		{"full width (NFKC)", "ＦＵＬＬ", "full"},
		{"Turkish dotted I (simple case mapping)", "İzmir", "izmir"},
		{"emoji dropped", "I ❤ Go", "i-go"},
		{"leading mark dropped", "\u0301abc", "abc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Slugify(tc.in); got != tc.want {
				t.Errorf("Slugify(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// unsafeNames are names a slug must never turn into a way out of its
// folder, nor into an empty or hidden name.
var unsafeNames = []string{
	"", ".", "..", "...", "/", "//", `\`, `\\`, "../../etc", "..\\..\\etc", "a/b", "a/../b",
	"/etc/passwd", "~", "-", "--", "!!!", " ", "\x00", "\u200b", "\u0301", "C:\\Windows",
	"%2e%2e%2f", ".hidden", "feed.rss", "\u2024\u2024", "\uff0e\uff0e\uff0f", // one-dot leader, full-width ./
}

func checkSlug(t *testing.T, name, s string) {
	t.Helper()
	switch {
	case s == "":
		t.Errorf("Slugify(%q) is empty", name)
	case strings.ContainsAny(s, `/\.`):
		t.Errorf("Slugify(%q) = %q holds a '/', '\\' or '.'", name, s)
	case !utf8.ValidString(s):
		t.Errorf("Slugify(%q) = %q is not UTF-8", name, s)
	case len(s) > maxSlugBytes+1+8:
		t.Errorf("Slugify(%q) = %q is %d bytes long", name, s, len(s))
	case strings.HasPrefix(s, "-") || strings.HasSuffix(s, "-"):
		t.Errorf("Slugify(%q) = %q starts or ends with '-'", name, s)
	case s != strings.ToLower(s):
		t.Errorf("Slugify(%q) = %q is not lower case", name, s)
	case !filepath.IsLocal(s) || filepath.Base(s) != s:
		t.Errorf("Slugify(%q) = %q is not a local file name", name, s)
	case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || r == utf8.RuneError }):
		t.Errorf("Slugify(%q) = %q holds a control character", name, s)
	}
	if again := Slugify(name); again != s {
		t.Errorf("Slugify(%q) is not deterministic: %q, then %q", name, s, again)
	}
}

func TestSlugifyNeverEscapes(t *testing.T) {
	seen := map[string]string{}
	for _, name := range unsafeNames {
		s := Slugify(name)
		checkSlug(t, name, s)
		// Names with nothing left become a hash of themselves: distinct
		// names, distinct slugs.
		if prev, ok := seen[s]; ok && tagKey(prev) != tagKey(name) && hashSlug.MatchString(s) {
			t.Errorf("%q and %q both hash to %q", prev, name, s)
		}
		seen[s] = name
	}
	for _, name := range []string{".", "..", "", "/", `\`, "!!!"} {
		if s := Slugify(name); !hashSlug.MatchString(s) {
			t.Errorf("Slugify(%q) = %q, want an 8-digit hash", name, s)
		}
	}
}

func TestSlugifyTruncates(t *testing.T) {
	for _, tc := range []struct{ name, unit string }{
		{"ASCII", "abc"},
		{"two bytes", "жж"},
		{"three bytes", "日本"},
		{"four bytes", "𠀀𐐀"},     // CJK Extension B, Deseret
		{"with marks", "हिन्दी"}, // letters and combining marks
		{"words", "ab cd "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := strings.Repeat(tc.unit, 100)
			s := Slugify(name)
			checkSlug(t, name, s)
			if len(s) > maxSlugBytes {
				t.Errorf("%d bytes, want at most %d", len(s), maxSlugBytes)
			}
			full := Slugify(name + "x")
			if !strings.HasPrefix(Slugify(strings.Repeat(tc.unit, 1000)), s) || !strings.HasPrefix(full, s[:len(s)/2]) {
				t.Errorf("truncation is not a prefix of the full slug: %q", s)
			}
			if len(s) < maxSlugBytes-8 {
				t.Errorf("cut too short: %d bytes", len(s))
			}
		})
	}
}

func FuzzSlugify(f *testing.F) {
	for _, s := range unsafeNames {
		f.Add(s)
	}
	for _, s := range []string{"Go", "C++", "日本語", "Россия", "Ελλάδα", "हिन्दी", "العربية", strings.Repeat("日本", 60)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		checkSlug(t, name, Slugify(name))
	})
}

func tagFeeds(p *Plan) map[string]string {
	out := map[string]string{}
	for _, f := range p.Feeds {
		if f.Kind == TagFeed {
			out[f.Name] = f.Slug
		}
	}
	return out
}

func TestSlugClashes(t *testing.T) {
	post := func(path string, tags ...string) *source.Post { return simplePost(path, t0, tags...) }
	t.Run("C++ and C", func(t *testing.T) {
		posts := []*source.Post{post("a.md", "C++"), post("b.md", "C")}
		plan := mustPlan(t, testSite(), Options{Limit: 5}, posts)
		got := tagFeeds(plan)
		want := map[string]string{"C": "c", "C++": "c-" + nameHash("c++")}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("tag feeds %v, want %v", got, want)
		}
		if len(plan.Notices) != 1 || !strings.Contains(plan.Notices[0].Message, `"c++"`) || !strings.Contains(plan.Notices[0].Message, "tags/"+want["C++"]+"/") {
			t.Errorf("notices %v, want one naming c++ and its folder", plan.Notices)
		}
		if f := feedByPath(t, plan, "tags/"+want["C++"]+"/"); len(f.Posts) != 1 || f.Posts[0].Path != "a.md" {
			t.Errorf("C++ feed lists %q", paths(f.Posts))
		}
		// The same whatever the order.
		again := mustPlan(t, testSite(), Options{Limit: 5}, []*source.Post{posts[1], posts[0]})
		if fmt.Sprint(tagFeeds(again)) != fmt.Sprint(got) || fmt.Sprint(again.Notices) != fmt.Sprint(plan.Notices) {
			t.Errorf("order changed the slugs: %v %v", tagFeeds(again), again.Notices)
		}
	})
	t.Run("C++ and C# without C", func(t *testing.T) {
		plan := mustPlan(t, testSite(), Options{Limit: 5}, []*source.Post{post("a.md", "C++"), post("b.md", "C#")})
		want := map[string]string{"C#": "c", "C++": "c-" + nameHash("c++")} // "c#" < "c++"
		if got := tagFeeds(plan); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("tag feeds %v, want %v", got, want)
		}
		if len(plan.Notices) != 1 {
			t.Errorf("notices %v", plan.Notices)
		}
	})
	t.Run("Go and go are one tag", func(t *testing.T) {
		plan := mustPlan(t, testSite(), Options{Limit: 5}, []*source.Post{post("a.md", "Go"), post("b.md", "go"), post("c.md", "GO", "go")})
		got := tagFeeds(plan)
		if len(got) != 1 || got["Go"] != "go" && got["go"] != "go" && got["GO"] != "go" {
			t.Errorf("tag feeds %v, want one with slug go", got)
		}
		if f := feedByPath(t, plan, "tags/go/"); len(f.Posts) != 3 {
			t.Errorf("go lists %q", paths(f.Posts))
		}
		if len(plan.Notices) != 0 {
			t.Errorf("notices %v", plan.Notices)
		}
	})
	t.Run("the most used spelling names the feed", func(t *testing.T) {
		plan := mustPlan(t, testSite(), Options{Limit: 5}, []*source.Post{post("a.md", "golang"), post("b.md", "GoLang"), post("c.md", "GoLang")})
		if got := tagFeeds(plan); got["GoLang"] != "golang" || len(got) != 1 {
			t.Errorf("tag feeds %v", got)
		}
	})
	t.Run("a hashed slug that is taken", func(t *testing.T) {
		taken := "c-" + nameHash("c++")
		plan := mustPlan(t, testSite(), Options{Limit: 5}, []*source.Post{post("a.md", "C++"), post("b.md", "C"), post("c.md", taken)})
		got := tagFeeds(plan)
		if len(got) != 3 {
			t.Fatalf("tag feeds %v, want 3", got)
		}
		slugs := map[string]bool{}
		for _, s := range got {
			slugs[s] = true
		}
		if len(slugs) != 3 || got[taken] != taken {
			t.Errorf("tag feeds %v: slugs must be distinct and a name that is its own slug keeps it", got)
		}
	})
	t.Run("names with nothing left", func(t *testing.T) {
		plan := mustPlan(t, testSite(), Options{Limit: 5}, []*source.Post{post("a.md", ".", "..", "/", "", "  ")})
		got := tagFeeds(plan)
		if len(got) != 3 {
			t.Errorf("tag feeds %v, want one each for '.', '..' and '/' (empty names are no tags)", got)
		}
		for name, s := range got {
			checkSlug(t, name, s)
		}
	})
	t.Run("tags and categories do not clash", func(t *testing.T) {
		x := post("a.md", "Notes")
		x.Categories = []string{"notes"}
		plan := mustPlan(t, testSite(), Options{Limit: 5}, []*source.Post{x})
		feedByPath(t, plan, "tags/notes/")
		feedByPath(t, plan, "categories/notes/")
		if len(plan.Notices) != 0 {
			t.Errorf("notices %v", plan.Notices)
		}
	})
}

// TestFeedPathsStayInside builds feeds for hostile tag names and checks
// that every document path is a local path under its kind's folder.
func TestFeedPathsStayInside(t *testing.T) {
	x := simplePost("a.md", t0, unsafeNames...)
	x.Categories = unsafeNames
	_, snap := mustBuild(t, testSite(), Options{Limit: 5}, []*source.Post{x})
	for _, p := range snap.Paths {
		parts := strings.Split(p, "/")
		ok := filepath.IsLocal(filepath.FromSlash(p)) &&
			(len(parts) == 1 || len(parts) == 3 && (parts[0] == "tags" || parts[0] == "categories") && !strings.HasPrefix(parts[1], "."))
		if !ok {
			t.Errorf("document path %q", p)
		}
	}
}

func TestSelfLinksPercentEncode(t *testing.T) {
	x := simplePost("a.md", t0, "日本語", "Россия")
	_, snap := mustBuild(t, testSite(), Options{Limit: 5}, []*source.Post{x})
	for _, tc := range []struct{ dir, escaped string }{
		{"tags/日本語/", "tags/%E6%97%A5%E6%9C%AC%E8%AA%9E/"},
		{"tags/россия/", "tags/%D1%80%D0%BE%D1%81%D1%81%D0%B8%D1%8F/"},
	} {
		for _, format := range Formats {
			doc := snap.Docs[tc.dir+format.FileName()]
			if doc == nil {
				t.Fatalf("no %s%s in %q", tc.dir, format.FileName(), snap.Paths)
			}
			f, err := gofeed.NewParser().Parse(bytes.NewReader(doc.Body))
			if err != nil {
				t.Fatal(err)
			}
			if want := "https://example.org/feeds/" + tc.escaped + format.FileName(); f.FeedLink != want {
				t.Errorf("%s: self link %q, want %q", doc.Path, f.FeedLink, want)
			}
			if want := "https://example.org/" + tc.escaped; f.Link != want {
				t.Errorf("%s: alternate link %q, want %q", doc.Path, f.Link, want)
			}
			if bytes.Contains(doc.Body, []byte("feeds/"+tc.dir)) {
				t.Errorf("%s: a raw non-ASCII URL", doc.Path)
			}
		}
	}
}

// TestSlugsAreStable pins a few slugs so that a change to the rules,
// which would move feeds readers subscribe to, is a deliberate one.
func TestSlugsAreStable(t *testing.T) {
	for name, want := range map[string]string{"..": "5ec1f7e7", ".": "cdb4ee2a", "Café au lait": "café-au-lait"} {
		if got := Slugify(name); got != want {
			t.Errorf("Slugify(%q) = %q, want %q", name, got, want)
		}
	}
	plan := mustPlan(t, testSite(), Options{Limit: 5}, []*source.Post{simplePost("a.md", t0, "C++", "C", "C#")})
	want := map[string]string{"C": "c", "C#": "c-951a4d36", "C++": "c-cedb1bac"}
	if got := tagFeeds(plan); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("tag feeds %v, want %v", got, want)
	}
}
