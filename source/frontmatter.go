package source

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
	"github.com/adrg/frontmatter"
	"gopkg.in/yaml.v3"
)

// formats are the front matter dialects we accept. adrg/frontmatter's
// defaults decode YAML with yaml.v2 (map[interface{}]interface{}, zone-less
// dates forced to UTC), so YAML goes through yamlToMap instead.
var formats = []*frontmatter.Format{
	frontmatter.NewFormat("---", "---", yamlToMap),
	frontmatter.NewFormat("+++", "+++", tomlToMap),
	frontmatter.NewFormat(";;;", ";;;", json.Unmarshal),
	{Start: "{", End: "}", Unmarshal: json.Unmarshal, UnmarshalDelims: true, RequiresNewLine: true},
}

// splitFrontMatter decodes the front matter of a cleaned file into a map
// and returns the byte offset where the body starts.
//
// adrg/frontmatter treats a file whose block never closes, or that starts
// with something it does not recognise, as having no front matter at all;
// both would turn metadata into body text, so they are caught here first.
func splitFrontMatter(data []byte) (map[string]any, int, error) {
	first, _, _ := bytes.Cut(bytes.TrimLeft(data, " \t\n"), []byte("\n"))
	delim := string(bytes.TrimSpace(first))
	var end string
	switch delim {
	case "---", "+++", ";;;":
		end = delim
	case "{":
		end = "}"
	default:
		if strings.HasPrefix(delim, "{") {
			end = "}" // a one-line JSON object: let the JSON decoder judge it
			break
		}
		return nil, 0, ErrNoFrontMatter
	}
	if end != "}" && !hasClosingLine(data, delim) {
		return nil, 0, fmt.Errorf("%w: no closing %q line", ErrUnclosedFrontMatter, end)
	}
	var m map[string]any
	rest, err := frontmatter.Parse(bytes.NewReader(data), &m, formats...)
	if err != nil {
		return nil, 0, frontMatterError(delim, err)
	}
	if m == nil {
		if end == "}" {
			return nil, 0, fmt.Errorf("%w: JSON front matter must be an object followed by an empty line", ErrUnclosedFrontMatter)
		}
		return nil, 0, fmt.Errorf("front matter is empty")
	}
	return m, len(data) - len(rest), nil
}

func hasClosingLine(data []byte, delim string) bool {
	lines := bytes.Split(data, []byte("\n"))
	opened := false
	for _, l := range lines {
		t := string(bytes.TrimSpace(l))
		if !opened {
			if t == "" {
				continue
			}
			opened = true
			continue
		}
		if t == delim {
			return true
		}
	}
	return false
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// lineError carries a line number (within the file) out of a decoder.
type lineError struct {
	line int
	err  error
}

func (e *lineError) Error() string { return e.err.Error() }
func (e *lineError) Unwrap() error { return e.err }

func frontMatterError(delim string, err error) error {
	kind := map[string]string{"---": "YAML", "+++": "TOML", ";;;": "JSON", "{": "JSON"}[delim]
	if kind == "" {
		kind = "JSON"
	}
	// The block starts on line 2 of the file (after the delimiter).
	var te toml.ParseError
	if errors.As(err, &te) {
		return &lineError{line: te.Position.Line + 1, err: fmt.Errorf("front matter (%s): %s", kind, te.Message)}
	}
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return &lineError{line: n + 1, err: fmt.Errorf("front matter (%s): %s", kind, msg[len(m[0]):])}
	}
	return fmt.Errorf("front matter (%s): %w", kind, err)
}

// yamlToMap decodes YAML keeping timestamps as their source text, so a date
// without a zone can be read in the site's time zone instead of UTC.
func yamlToMap(data []byte, v any) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return err
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil // empty block
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("yaml: line %d: front matter must be a mapping of keys to values, not a %s", root.Line, kindName(root))
	}
	m, err := yamlValue(root, 0)
	if err != nil {
		return err
	}
	*(v.(*map[string]any)) = m.(map[string]any)
	return nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "single value"
	}
	return "document"
}

const maxYAMLDepth = 64

func yamlValue(n *yaml.Node, depth int) (any, error) {
	if depth > maxYAMLDepth {
		return nil, fmt.Errorf("yaml: line %d: nested too deeply", n.Line)
	}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, nil
		}
		return yamlValue(n.Alias, depth+1)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
				continue
			}
			x, err := yamlValue(val, depth+1)
			if err != nil {
				return nil, err
			}
			m[k.Value] = x
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			x, err := yamlValue(c, depth+1)
			if err != nil {
				return nil, err
			}
			s = append(s, x)
		}
		return s, nil
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return nil, nil
		case "!!bool", "!!int", "!!float":
			var x any
			if err := n.Decode(&x); err != nil {
				return n.Value, nil
			}
			return x, nil
		}
		return n.Value, nil // strings and timestamps as written
	}
	return nil, nil
}

func tomlToMap(data []byte, v any) error {
	return toml.Unmarshal(data, v)
}

// clean prepares raw file bytes for parsing: it drops a UTF-8 byte order
// mark, turns CRLF into LF, and removes the control characters XML forbids
// (YAML rejects them too). It reports whether the text is valid UTF-8.
func clean(data []byte) ([]byte, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		off := 0
		for off < len(data) {
			r, n := utf8.DecodeRune(data[off:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			off += n
		}
		line := 1 + bytes.Count(data[:off], []byte("\n"))
		return nil, &lineError{line: line, err: fmt.Errorf("not valid UTF-8 (byte offset %d); save the file as UTF-8", off)}
	}
	needs := false
	for _, b := range data {
		if b < 0x20 && b != '\t' && b != '\n' || b == '\r' {
			needs = true
			break
		}
	}
	if !needs {
		return data, nil
	}
	out := make([]byte, 0, len(data))
	for i, b := range data {
		switch {
		case b == '\r':
			if i+1 < len(data) && data[i+1] == '\n' {
				continue
			}
			out = append(out, '\n') // old Mac line ending
		case b < 0x20 && b != '\t' && b != '\n':
			// XML 1.0 forbids it; drop.
		default:
			out = append(out, b)
		}
	}
	return out, nil
}
