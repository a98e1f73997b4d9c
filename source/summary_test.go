package source

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var caseNum = flag.Int("case", 0, "run only this case of testdata/summary.txt")

// summaryCase is one entry of testdata/summary.txt:
//
//	### N: name
//	--- title      (optional; default "The title")
//	--- summary    (optional front matter summary)
//	--- body       (Markdown)
//	--- text       (expected SummaryText)
//	--- html       (optional expected SummaryHTML)
type summaryCase struct {
	num      int
	name     string
	sections map[string]string
}

func readSummaryCases(t *testing.T, path string) []summaryCase {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []summaryCase
	var cur *summaryCase
	var section string
	var buf []string
	flush := func() {
		if cur != nil && section != "" {
			cur.sections[section] = strings.Join(buf, "\n")
		}
		buf, section = nil, ""
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "### "):
			flush()
			num, name, ok := strings.Cut(strings.TrimPrefix(line, "### "), ": ")
			n, err := strconv.Atoi(num)
			if !ok || err != nil {
				t.Fatalf("%s: bad case header %q", path, line)
			}
			cases = append(cases, summaryCase{num: n, name: name, sections: map[string]string{}})
			cur = &cases[len(cases)-1]
		case strings.HasPrefix(line, "--- "):
			flush()
			section = strings.TrimPrefix(line, "--- ")
		default:
			buf = append(buf, line)
		}
	}
	flush()
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cases
}

// TestSummaries runs the Markdown -> summary cases of testdata/summary.txt;
// go test -run TestSummaries -case N runs one.
func TestSummaries(t *testing.T) {
	cases := readSummaryCases(t, filepath.Join("testdata", "summary.txt"))
	if len(cases) == 0 {
		t.Fatal("no cases")
	}
	for _, c := range cases {
		if *caseNum != 0 && c.num != *caseNum {
			continue
		}
		t.Run(fmt.Sprintf("%d %s", c.num, c.name), func(t *testing.T) {
			title, ok := c.sections["title"]
			if !ok {
				title = "The title"
			}
			p := &Post{Title: title, Link: testLink, frontSummary: c.sections["summary"]}
			renderBody(p, []byte(c.sections["body"]), p.frontSummary)
			if want := c.sections["text"]; p.SummaryText != want {
				t.Errorf("SummaryText\n got: %q\nwant: %q", p.SummaryText, want)
			}
			if want, ok := c.sections["html"]; ok && p.SummaryHTML != want {
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
