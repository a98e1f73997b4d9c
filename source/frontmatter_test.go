package source

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"
)

// TestSplitYAMLMatchesLibrary holds the "---" fast path to adrg/frontmatter.
func TestSplitYAMLMatchesLibrary(t *testing.T) {
	for _, c := range splitYAMLCases {
		checkSplitYAML(t, []byte(c))
	}
}

func FuzzSplitYAML(f *testing.F) {
	for _, c := range splitYAMLCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkSplitYAML(t, data)
	})
}

func checkSplitYAML(t *testing.T, data []byte) {
	t.Helper()
	data, err := clean(data)
	if err != nil {
		return
	}
	lead := leadingBlankLines(data)
	first, _, _ := bytes.Cut(data[lead:], []byte("\n"))
	if string(bytes.TrimSpace(first)) != "---" || !hasClosingLine(data[lead:], "---") {
		return
	}
	base := 1 + bytes.Count(data[:lead], []byte("\n"))
	gm, goff, gerr := splitYAML(data, lead, base)
	wm, woff, werr := splitWithLibrary(data, "---", base)
	if fmt.Sprint(gerr) != fmt.Sprint(werr) || goff != woff || !reflect.DeepEqual(gm, wm) {
		t.Errorf("%q:\nfast    %v, %d, %v\nlibrary %v, %d, %v", data, gm, goff, gerr, wm, woff, werr)
	}
}

// splitYAMLCases are "---" files whose splitting must not depend on the
// path taken: blank and white-space lines, CR, Unicode spaces, empty and
// unusual blocks, closing lines with spaces, and bodies with "---" again.
var splitYAMLCases = []string{
	"---\ntitle: a\n---\nbody\n",
	"\n\n  \n---\ntitle: a\n---\nbody",
	"---  \ntitle: a\n  ---  \n\nbody\n---\nmore\n",
	"---\n---\nbody\n",
	"---\n\n---\n",
	"---\n# only a comment\n---\n",
	"---\ntitle: a\n---",
	"---\ntitle: [unclosed\n---\nbody\n",
	"---\ntitle: a\n\u00a0---\u00a0\nbody\n",
	"---\ntitle: a\n\u0085---\nbody\n",
	"---\n- a\n- b\n---\n",
	"---\ntitle: a\ntitle: b\n---\n",
	"---\nx: |\n  ---\n  y\n---\nz\n",
	"\u00a0\n---\ntitle: a\n---\n",
}
