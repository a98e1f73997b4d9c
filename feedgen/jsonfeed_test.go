package feedgen

import (
	"encoding/json"
	"testing"

	"github.com/syndicate/syndicate/source"
)

// TestJSONFeedAuthors: JSON Feed 1.1 makes top-level authors the
// default of items that name none, and readers (Miniflux) join them to
// items' own, so they are written only when no item names an author.
func TestJSONFeedAuthors(t *testing.T) {
	withAuthor := simplePost("a.md", t0, "Both", "Named")
	withAuthor.Authors = []source.Author{{Name: "Maria García"}}
	without := simplePost("b.md", t0.Add(-1), "Both", "Anonymous")
	_, snap := mustBuild(t, testSite(), Options{Limit: 10}, []*source.Post{withAuthor, without})
	for doc, want := range map[string]int{
		"tags/named/feed.json":     0,
		"tags/both/feed.json":      0,
		"tags/anonymous/feed.json": 1,
	} {
		var f struct {
			Authors []struct{ Name string } `json:"authors"`
		}
		if err := json.Unmarshal(snap.Docs[doc].Body, &f); err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		if len(f.Authors) != want || want == 1 && f.Authors[0].Name != "Site Owner" {
			t.Errorf("%s: feed authors %v, want %d", doc, f.Authors, want)
		}
	}
}
