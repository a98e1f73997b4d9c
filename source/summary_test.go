package source

import (
	"flag"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/syndicate/syndicate/internal/casefile"
)

var caseNum = flag.Int("case", 0, "run only this case of testdata/summary.txt")

// The cases of testdata/summary.txt (casefile.Case) have these sections:
//
//	--- title      (optional; default "The title")
//	--- summary    (optional front matter summary)
//	--- body       (Markdown)
//	--- text       (expected SummaryText)
//	--- html       (optional expected SummaryHTML)

// TestSummaries runs the Markdown -> summary cases of testdata/summary.txt;
// go test -run TestSummaries -case N runs one.
func TestSummaries(t *testing.T) {
	cases := casefile.Read(t, filepath.Join("testdata", "summary.txt"))
	if len(cases) == 0 {
		t.Fatal("no cases")
	}
	for _, c := range cases {
		if *caseNum != 0 && c.Num != *caseNum {
			continue
		}
		t.Run(fmt.Sprintf("%d %s", c.Num, c.Name), func(t *testing.T) {
			title, ok := c.Sections["title"]
			if !ok {
				title = "The title"
			}
			p := &Post{Title: title, Link: testLink, frontSummary: c.Sections["summary"]}
			renderBody(p, []byte(c.Sections["body"]), p.frontSummary)
			if want := c.Sections["text"]; p.SummaryText != want {
				t.Errorf("SummaryText\n got: %q\nwant: %q", p.SummaryText, want)
			}
			if want, ok := c.Sections["html"]; ok && p.SummaryHTML != want {
				t.Errorf("SummaryHTML\n got: %q\nwant: %q", p.SummaryHTML, want)
			}
			if n := len([]rune(p.SummaryText)); n > summaryTarget+summaryTarget/5+1 {
				t.Errorf("summary is %d characters long", n)
			}
			assertSafe(t, p.SummaryHTML)
			checkXMLText(t, p.SummaryHTML, true)
			checkXMLText(t, p.SummaryText, false)
		})
	}
}
