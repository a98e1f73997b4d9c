package feedgen

import (
	"bytes"
	"testing"

	"github.com/mmcdole/gofeed/atom"

	"github.com/syndicate/syndicate/source"
)

func TestFeedAuthorWhenPostsHaveNone(t *testing.T) {
	for _, tc := range []struct{ siteAuthor, want string }{
		{"Site Owner", "Site Owner"},
		{"", "Example Blog"}, // a feed without any author is invalid Atom
	} {
		site := testSite()
		site.Author = tc.siteAuthor
		x := simplePost("a.md", t0)
		x.Authors = nil
		_, snap := mustBuild(t, site, Options{Limit: 5}, []*source.Post{x})
		af, err := (&atom.Parser{}).Parse(bytes.NewReader(snap.Docs["feed.atom"].Body))
		if err != nil {
			t.Fatal(err)
		}
		if len(af.Authors) != 1 || af.Authors[0].Name != tc.want {
			t.Errorf("site author %q: feed authors %v, want %q", tc.siteAuthor, af.Authors, tc.want)
		}
		if len(af.Entries[0].Authors) != 0 {
			t.Errorf("entry authors %v, want none", af.Entries[0].Authors)
		}
		jb := snap.Docs["feed.json"].Body
		if has := bytes.Contains(jb, []byte(`"authors"`)); has != (tc.siteAuthor != "") {
			t.Errorf("site author %q: JSON authors present = %v:\n%s", tc.siteAuthor, has, jb)
		}
	}
}
