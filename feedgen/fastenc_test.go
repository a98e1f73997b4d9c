package feedgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/feeds"

	"github.com/syndicate/syndicate/source"
)

// checkSame fails when the fast encoding of w differs from the
// reference's, or one fails and the other does not.
func checkSame(t *testing.T, name string, w wire) {
	t.Helper()
	want, werr := w.marshalRef()
	// Something before the item must be kept as it is.
	got, gerr := appendWire([]byte("prefix"), w)
	if (werr != nil) != (gerr != nil) {
		t.Fatalf("%s: reference error %v, fast error %v", name, werr, gerr)
	}
	if werr != nil {
		return
	}
	if !bytes.HasPrefix(got, []byte("prefix")) {
		t.Fatalf("%s: fast encoder overwrote what came before", name)
	}
	if got = got[len("prefix"):]; !bytes.Equal(got, want) {
		t.Fatalf("%s: fast encoding differs from the reference:\n%s", name, firstDiff(want, got))
	}
}

// oddStrings are values that encoding/xml and encoding/json escape, or
// that sit at the edges of what they accept.
var oddStrings = []string{
	"",
	" ",
	"plain",
	`& < > " '`,
	"]]>",
	"]]]]>>]]",
	"a]]>b]]>",
	"]",
	"tab\tnew\nline\rcr\r\n",
	"\x00\x01\x08\x0b\x0c\x1f\x7f",
	"\u0080\u0085\u009f",
	"\uFFFD\uFFFE\uFFFF",
	"\u2028\u2029 separators",
	"\\ backslash \\\" quote",
	"日本語 Ελληνικά العربية",
	"😀 𝄞 non-BMP",
	"\xff\xfe invalid \xc3 \xe2\x82 utf-8 \xed\xa0\x80 surrogate",
	"<p>Hello &amp; <em>world</em>.</p>\n<pre>x ]]> y</pre>",
	strings.Repeat("long & <text> ", 500),
}

// testPosts are posts with every field set and unset, odd characters in
// each and several authors and categories, besides the fixtures and the
// benchmark's generated corpus.
func testPosts() []*source.Post {
	rng := rand.New(rand.NewPCG(7, 11))
	pick := func() string { return oddStrings[rng.IntN(len(oddStrings))] }
	zones := []*time.Location{time.UTC, berlin, time.FixedZone("", -(9*60+30)*60), time.FixedZone("odd", 23*3600+59*60)}
	posts := append(fixturePosts(), generatePosts(200, 40, 5)...)
	for i := range 400 {
		published := t0.Add(-time.Duration(rng.IntN(1e6)) * time.Second).Add(time.Duration(rng.IntN(1e9))).In(zones[rng.IntN(len(zones))])
		x := &source.Post{
			Path:      fmt.Sprintf("odd/%d.md", i),
			Published: published,
		}
		if rng.IntN(2) == 0 {
			x.ID = "tag:example.org,2024:" + pick()
		}
		if rng.IntN(4) > 0 {
			x.Link = "https://example.org/odd/" + fmt.Sprint(i) + "/" + pick()
		}
		if rng.IntN(4) > 0 {
			x.Title = pick() + pick()
		}
		if rng.IntN(2) == 0 {
			x.Updated = published.Add(time.Duration(rng.IntN(2e5)-1e5) * time.Second)
		}
		for range rng.IntN(4) {
			a := source.Author{Name: pick()}
			if rng.IntN(2) == 0 {
				a.Email = []string{"a@example.org", "bad address", "", "x&y@example.org"}[rng.IntN(4)]
			}
			if rng.IntN(2) == 0 {
				a.URL = []string{"https://example.org/a?b=1&c=<2>", "/relative", ""}[rng.IntN(3)]
			}
			x.Authors = append(x.Authors, a)
		}
		for range rng.IntN(5) {
			x.Tags = append(x.Tags, pick()+fmt.Sprint(rng.IntN(3)))
		}
		for range rng.IntN(3) {
			x.Categories = append(x.Categories, pick())
		}
		x.Language = []string{"", "en-US", "de", pick()}[rng.IntN(4)]
		if rng.IntN(4) > 0 {
			x.ContentHTML = pick() + pick() + pick()
		}
		if rng.IntN(2) == 0 {
			x.SummaryHTML = pick()
		}
		if rng.IntN(2) == 0 {
			x.SummaryText = pick()
		}
		posts = append(posts, x)
	}
	return posts
}

// TestFastEncoding compares the fast encoders with the reference for
// every item of the fixtures, the generated corpus and odd posts, in
// every format, with and without full content.
func TestFastEncoding(t *testing.T) {
	posts := testPosts()
	for _, opts := range []Options{{Limit: 1000}, {Limit: 1000, SummaryOnly: true}} {
		plan := mustPlan(t, testSite(), opts, posts)
		if len(plan.Needed) < 400 {
			t.Fatalf("only %d posts listed", len(plan.Needed))
		}
		for _, x := range plan.Needed {
			text := plan.postText(x)
			for _, f := range Formats {
				w := plan.wireItem(x, text, f)
				name := fmt.Sprintf("%s %T summary-only=%v", x.Path, w, opts.SummaryOnly)
				// What feedgen builds must never take the slow way.
				if !w.fast() {
					t.Fatalf("%s: falls back to the reference encoder", name)
				}
				checkSame(t, name, w)
			}
		}
	}
}

// TestFastHeads compares the fast encoders of document heads with the
// reference for every feed of the odd posts, under sites with odd or
// missing values.
func TestFastHeads(t *testing.T) {
	odd := testSite()
	odd.Title, odd.Description, odd.Author = oddStrings[3]+oddStrings[9], oddStrings[16], oddStrings[10]
	odd.Language, odd.Generator, odd.GeneratorVersion = oddStrings[8], " "+oddStrings[15], oddStrings[4]
	bare := testSite()
	bare.Description, bare.Language, bare.Author, bare.TagURL, bare.CategoryURL = "", "", "", "", ""
	bare.Generator, bare.GeneratorVersion, bare.GeneratorURI = "", "", "relative/uri"
	posts := testPosts()
	for i, site := range []Site{testSite(), odd, bare} {
		plan := mustPlan(t, site, Options{Limit: 3}, posts)
		if len(plan.Feeds) < 100 {
			t.Fatalf("only %d feeds", len(plan.Feeds))
		}
		for _, f := range append(plan.Feeds, &Feed{Kind: TagFeed, Name: oddStrings[7], Slug: "x"}) {
			var when time.Time
			if len(f.Posts) > 0 {
				when = updatedOf(f.Posts[0])
			}
			for _, w := range []wire{plan.rssHeadOf(f, when, when), plan.atomHeadOf(f, when), plan.jsonHeadOf(f)} {
				name := fmt.Sprintf("site %d %q %T", i, f.Dir(), w)
				if !w.fast() {
					t.Fatalf("%s: falls back to the reference encoder", name)
				}
				checkSame(t, name, w)
			}
		}
	}
}

// TestGoldenItemsFast checks every item of the golden documents against
// the reference encoders, so that the goldens, written by the fast ones,
// stay what encoding/xml and encoding/json write.
func TestGoldenItemsFast(t *testing.T) {
	for _, tc := range goldenCases {
		plan := mustPlan(t, testSite(), tc.opts, tc.posts())
		for _, x := range plan.Needed {
			for _, f := range Formats {
				got, err := plan.encodeText(x, plan.postText(x), f)
				if err != nil {
					t.Fatal(err)
				}
				want, err := plan.wireItem(x, plan.postText(x), f).marshalRef()
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s %s %s: item differs from the reference:\n%s", tc.file, x.Path, f, firstDiff(want, got))
				}
			}
		}
	}
}

// fuzzWire builds one wire struct of each format from arbitrary values:
// the bits of mask choose which optional fields are set and how many
// authors and categories there are, and the strings are used in turn.
func fuzzWire(s []string, mask uint64, sec int64, nsec int32, offset int32) []wire {
	next := 0
	str := func() string {
		next++
		return s[next%len(s)]
	}
	bit := func() bool {
		b := mask&1 != 0
		mask = mask>>1 | mask<<63
		return b
	}
	count := func() int {
		n := int(mask & 3)
		mask = mask>>2 | mask<<62
		return n
	}
	ts := time.Unix(sec, int64(nsec)).In(time.FixedZone("", int(offset)))

	r := &rssItem{}
	r.Title, r.Link, r.Description = rssText(str()), str(), str()
	if bit() {
		r.Content = &feeds.RssContent{Content: str()}
	}
	if bit() {
		r.Author = rssText(str())
	}
	if bit() {
		r.Guid = &feeds.RssGuid{Id: str()}
		if bit() {
			r.Guid.IsPermaLink = str()
		}
	}
	if bit() {
		r.PubDate = str()
	}
	if bit() {
		r.RssItem.Category = str() // shadowed: never written
	}
	for range count() {
		r.Category = append(r.Category, rssText(str()))
	}
	for range count() {
		r.Creator = append(r.Creator, str())
	}
	if bit() {
		r.Updated = str()
	}
	if bit() {
		r.Comments = str() // not written by the fast encoder
	}

	a := &atomEntry{}
	a.Title, a.Updated, a.Id = str(), str(), str()
	if bit() {
		a.Lang = str()
	}
	if bit() {
		a.Content = &feeds.AtomContent{Content: str(), Type: str()}
	}
	if bit() {
		a.Published = str()
	}
	for range count() {
		l := feeds.AtomLink{Href: str()}
		if bit() {
			l.Rel = str()
		}
		if bit() {
			l.Type = str()
		}
		if bit() {
			l.Length = str()
		}
		a.Links = append(a.Links, l)
	}
	if bit() {
		a.Summary = &feeds.AtomSummary{Content: str(), Type: str()}
	}
	for range count() {
		if bit() {
			a.Author = append(a.Author, nil)
			continue
		}
		au := &feeds.AtomAuthor{}
		if bit() {
			au.Name = str()
		}
		if bit() {
			au.Uri = str()
		}
		if bit() {
			au.Email = str()
		}
		a.Author = append(a.Author, au)
	}
	for range count() {
		c := atomCategory{Term: str()}
		if bit() {
			c.Label = str()
		}
		a.Category = append(a.Category, c)
	}
	if bit() {
		a.AtomEntry.Category = str() // shadowed
	}
	if bit() {
		a.Rights = str() // not written by the fast encoder
	}

	j := &jsonItem{}
	j.Id = str()
	if bit() {
		j.Url = str()
	}
	if bit() {
		j.Title = str()
	}
	if bit() {
		j.ContentHTML = str()
	}
	if bit() {
		j.Summary = str()
	}
	if bit() {
		j.PublishedDate = &ts
	}
	if bit() {
		m := ts.Add(time.Duration(sec%1e6) * time.Second)
		j.ModifiedDate = &m
	}
	for range count() {
		if bit() {
			j.Authors = append(j.Authors, nil)
			continue
		}
		au := &feeds.JSONAuthor{}
		if bit() {
			au.Name = str()
		}
		if bit() {
			au.Url = str()
		}
		if bit() {
			au.Avatar = str()
		}
		j.Authors = append(j.Authors, au)
	}
	if n := count(); n > 0 {
		j.Tags = []string{}
		for range n - 1 {
			j.Tags = append(j.Tags, str())
		}
	}
	if bit() {
		j.Language = str()
	}
	if bit() {
		j.ContentText = str() // not written by the fast encoder
	}
	rd := &rssDocument{Version: str(), NSContent: str(), NSAtom: str(), NSDC: str(), Channel: &rssChannel{}}
	ch := rd.Channel
	ch.Title, ch.Link, ch.Description = rssText(str()), str(), rssText(str())
	for _, v := range []*string{&ch.Language, &ch.PubDate, &ch.LastBuildDate, &ch.Generator, &ch.Docs} {
		if bit() {
			*v = str()
		}
	}
	ch.AtomLink = rssAtomLink{Href: str(), Rel: str(), Type: str()}
	if bit() {
		ch.Ttl = 5 // not written by the fast encoder
	}

	af := &atomFeed{}
	af.Xmlns, af.Title, af.Id, af.Updated = str(), str(), str(), str()
	if bit() {
		af.Lang = str()
	}
	if bit() {
		af.Subtitle = str()
	}
	for range count() {
		af.Link = append(af.Link, feeds.AtomLink{Href: str(), Rel: str()})
	}
	if bit() {
		af.AtomFeed.Link = &feeds.AtomLink{Href: str()} // shadowed
	}
	if bit() {
		af.Author = &feeds.AtomAuthor{AtomPerson: feeds.AtomPerson{Name: str()}}
		if bit() {
			af.Author.Email = str()
		}
	}
	if bit() {
		af.Generator = &atomGenerator{Name: str()}
		if bit() {
			af.Generator.URI = str()
		}
		if bit() {
			af.Generator.Version = str()
		}
	}
	if bit() {
		af.Icon = str() // not written by the fast encoder
	}

	jf := &jsonFeed{}
	jf.Version, jf.Title = str(), str()
	for _, v := range []*string{&jf.Language, &jf.HomePageUrl, &jf.FeedUrl, &jf.Description} {
		if bit() {
			*v = str()
		}
	}
	for range count() {
		jf.Authors = append(jf.Authors, &feeds.JSONAuthor{Name: str()})
	}
	if bit() {
		jf.Items = []json.RawMessage{}
	}
	if bit() {
		jf.NextUrl = str() // not written by the fast encoder
	}
	return []wire{r, a, j, rd, af, jf}
}

// FuzzFastEncoding compares the fast encoders with the reference for
// arbitrary field values, including invalid UTF-8 and characters XML
// cannot hold, which the encoders must replace as the reference does.
func FuzzFastEncoding(f *testing.F) {
	for i, x := range fixturePosts() {
		f.Add(x.Title, x.ContentHTML, x.SummaryHTML, x.Link, uint64(i)*0x9E3779B97F4A7C15, x.Published.Unix(), int32(i), int32(3600*i))
	}
	for i := 0; i+3 < len(oddStrings); i++ {
		f.Add(oddStrings[i], oddStrings[i+1], oddStrings[i+2], oddStrings[i+3], ^uint64(0)>>i, int64(i)*1e9, int32(i*1e7), int32(-i*1800))
	}
	f.Add("a", "b", "c", "d", uint64(0x5555555555555555), int64(253402300800), int32(0), int32(0)) // year 10000
	f.Add("a", "b", "c", "d", uint64(0xAAAAAAAAAAAAAAAA), int64(-62135596801), int32(1), int32(0)) // year 0
	f.Add("a", "b", "c", "d", ^uint64(0), int64(1e9), int32(999999999), int32(24*3600))            // offset 24h
	f.Add("a", "b", "c", "d", ^uint64(0), int64(1e9), int32(5), int32(-24*3600+1))                 // offset -23:59:59
	f.Fuzz(func(t *testing.T, s1, s2, s3, s4 string, mask uint64, sec int64, nsec int32, offset int32) {
		for _, w := range fuzzWire([]string{s1, s2, s3, s4}, mask, sec, nsec, offset) {
			checkSame(t, fmt.Sprintf("%T", w), w)
		}
	})
}
