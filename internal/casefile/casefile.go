// Package casefile reads and writes the case files of table tests whose
// inputs and expected outputs are long text (source's summaries,
// directive's expansions), in the shape goldmark's extension tests use:
//
//	### N: name
//	--- section
//	lines of the section
//	--- another section
//	...
//
// A test names the sections it reads; a section's text is its lines
// joined by "\n", without the last line break. It is the one copy of this
// reader for the packages whose tests use case files; production code
// does not import it.
package casefile

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// Case is one case of a file.
type Case struct {
	Num  int
	Name string
	// Order lists the sections' names as they stand in the file; Write
	// writes them in this order.
	Order    []string
	Sections map[string]string
}

// Read returns the cases of the file at path, failing t if it cannot be
// read or a case header is not "### N: name".
func Read(t testing.TB, path string) []Case {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []Case
	var cur *Case
	section := ""
	var buf []string
	flush := func() {
		if cur != nil && section != "" {
			cur.Sections[section] = strings.Join(buf, "\n")
			cur.Order = append(cur.Order, section)
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
			cases = append(cases, Case{Num: n, Name: name, Sections: map[string]string{}})
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
		t.Fatalf("%s: %v", path, err)
	}
	return cases
}

// Write writes cases to the file at path (for a test's -update), each
// case's sections in its Order, failing t if it cannot.
func Write(t testing.TB, path string, cases []Case) {
	t.Helper()
	var b strings.Builder
	for _, c := range cases {
		fmt.Fprintf(&b, "### %d: %s\n", c.Num, c.Name)
		for _, s := range c.Order {
			fmt.Fprintf(&b, "--- %s\n%s\n", s, c.Sections[s])
		}
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
