package source

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// slowYAML is yamlToMap without the fast path.
func slowYAML(data []byte) (map[string]any, error) {
	var m map[string]any
	err := yamlNodesToMap(data, &m)
	return m, err
}

func checkFastYAML(t *testing.T, name string, block []byte) (fast bool) {
	t.Helper()
	got, ok := fastYAML(block)
	if !ok {
		return false
	}
	want, err := slowYAML(block)
	if err != nil {
		t.Errorf("%s: fast path accepted front matter yaml.v3 rejects (%v):\n%s", name, err, block)
		return true
	}
	if len(got) == 0 && len(want) == 0 {
		return true
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: fast path differs from yaml.v3\nfast: %#v\nyaml: %#v\n%s", name, got, want, block)
	}
	return true
}

// yamlBlock returns the text between a file's --- lines.
func yamlBlock(data []byte) ([]byte, bool) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !bytes.HasPrefix(data, []byte("---\n")) {
		return nil, false
	}
	rest := data[4:]
	end := bytes.Index(rest, []byte("\n---"))
	if end < 0 {
		return nil, false
	}
	return rest[:end+1], true
}

func TestFastYAMLMatchesYAMLv3OnFixtures(t *testing.T) {
	var files []string
	for _, root := range []string{"testdata", "../example/content"} {
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".md") || strings.HasSuffix(p, ".markdown")) {
				files = append(files, p)
			}
			return nil
		})
	}
	fast := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		data, err = clean(data) // as the scanner does before parsing
		if err != nil {
			continue
		}
		if block, ok := yamlBlock(data); ok && checkFastYAML(t, f, block) {
			fast++
		}
	}
	if fast == 0 {
		t.Fatalf("the fast path took none of %d fixtures", len(files))
	}
	t.Logf("fast path decoded %d of %d fixture files", fast, len(files))
}

func TestFastYAMLCases(t *testing.T) {
	cases := []struct {
		name string
		in   string
		fast bool
	}{
		{"easyPress", "title: \"A \\\"quoted\\\" title\"\npublished: \"2023-07-07T12:21:44+00:00\"\ntags:\n  - \"a\"\n  - \"b\"\n", true},
		{"plain", "title: Hello world\ndraft: false\nweight: 10\ndate: 2024-05-01\n", true},
		{"flow list", "tags: [go, \"rust\", 'c''s']\n", true},
		{"empty list", "tags: []\n", true},
		{"null", "summary:\nx: ~\n", true},
		{"comment", "# c\ntitle: x # trailing\n", false},
		{"nested map", "author:\n  name: x\n", false},
		{"block scalar", "summary: |\n  text\n", false},
		{"anchor", "a: &x 1\nb: *x\n", false},
		{"float", "v: 1.5\n", false},
		{"octal-looking", "v: 007\n", false},
		{"duplicate", "a: 1\na: 2\n", false},
		{"escape", "a: \"\\x41\"\n", false},
		{"colon in value", "a: b: c\n", false},
		{"multi-line plain", "a: b\n  c\n", false},
		{"list of maps", "authors:\n  - name: x\n", false},
		{"tab", "a:\tb\n", false},
		{"unicode escape", "a: \"\\u00e9\"\n", true},
		{"single quoted", "a: 'it''s'\n", true},
		{"url", "canonical: https://example.org/a/\n", true},
		{"bools", "a: True\nb: FALSE\nc: yes\n", true},
		{"sharp", "tag: C#\n", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := checkFastYAML(t, c.name, []byte(c.in)); got != c.fast {
				t.Errorf("fast path taken = %v, want %v", got, c.fast)
			}
		})
	}
}

func FuzzFastYAML(f *testing.F) {
	f.Add([]byte("title: \"x\"\ntags:\n  - a\n"))
	f.Add([]byte("tags: [a, 'b', \"c\"]\ndate: 2024-01-02\nn: 12\n"))
	f.Add([]byte("a: 'x''y'\nb: \"\\u0041\\n\"\n"))
	f.Fuzz(func(t *testing.T, block []byte) {
		block, err := clean(block) // the scanner never parses uncleaned text
		if err != nil {
			return
		}
		checkFastYAML(t, "fuzz", block)
	})
}
