package directive

import (
	"fmt"
	"testing"
)

// TestFencedBlocks: the spans of fenced code blocks, as source's link
// rewriting and the Liquid detection read them.
func TestFencedBlocks(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       string
	}{
		{"none", "text\n    indented\n`span`\n", "[]"},
		{"backticks", "a\n```go\nx\n```\nb\n", "[[2 13]]"},
		{"tildes, indented opener", "  ~~~\nx\n~~~\n", "[[0 11]]"},
		{"longer run closes only with its own", "````\n```\nx\n````\nafter\n", "[[0 15]]"},
		{"other marker does not close", "```\n~~~\n```\n", "[[0 11]]"},
		{"text after the run does not close", "```\n``` x\n", "[[0 10]]"},
		{"unclosed runs to the end", "a\n```\nx", "[[2 7]]"},
		{"two blocks", "```\na\n```\n~~~\nb\n~~~", "[[0 9] [10 19]]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := fmt.Sprint(FencedBlocks([]byte(tc.body))); got != tc.want {
				t.Errorf("FencedBlocks(%q) = %s, want %s", tc.body, got, tc.want)
			}
		})
	}
}
