package source

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
	"github.com/adrg/frontmatter"
	"gopkg.in/yaml.v3"
)

// formats are the delimited front matter dialects handed to
// adrg/frontmatter. Its defaults decode YAML with yaml.v2
// (map[interface{}]interface{}, zone-less dates forced to UTC), so YAML
// goes through yamlToMap instead. JSON objects opening with "{" are read by
// splitJSON: adrg/frontmatter only finds them when "{" and "}" stand on
// lines of their own and the "}" line is followed by an empty one.
var formats = []*frontmatter.Format{
	frontmatter.NewFormat("---", "---", yamlToMap),
	frontmatter.NewFormat("+++", "+++", tomlToMap),
	frontmatter.NewFormat(";;;", ";;;", jsonToMap),
}

// splitFrontMatter decodes the front matter of a cleaned file into a map
// and returns the byte offset where the body starts.
//
// adrg/frontmatter treats a file whose block never closes, or that starts
// with something it does not recognise, as having no front matter at all;
// both would turn metadata into body text, so they are caught here first.
func splitFrontMatter(data []byte) (map[string]any, int, error) {
	lead := leadingBlankLines(data)
	first, _, _ := bytes.Cut(data[lead:], []byte("\n"))
	delim := string(bytes.TrimSpace(first))
	// Decoders count lines from the one after the opening delimiter.
	base := 1 + bytes.Count(data[:lead], []byte("\n"))
	switch {
	case delim == "---" || delim == "+++" || delim == ";;;":
	case strings.HasPrefix(delim, "{"):
		return splitJSON(data, lead)
	default:
		return nil, 0, ErrNoFrontMatter
	}
	if !hasClosingLine(data[lead:], delim) {
		return nil, 0, &lineError{line: base, err: fmt.Errorf("%w: no closing %q line", ErrUnclosedFrontMatter, delim)}
	}
	if delim == "---" {
		return splitYAML(data, lead, base)
	}
	return splitWithLibrary(data, delim, base)
}

// splitWithLibrary has adrg/frontmatter find and decode the block.
func splitWithLibrary(data []byte, delim string, base int) (map[string]any, int, error) {
	var m map[string]any
	rest, err := frontmatter.Parse(bytes.NewReader(data), &m, formats...)
	if err != nil {
		return nil, 0, frontMatterError(delim, base, err)
	}
	if m == nil {
		return nil, 0, &lineError{line: base, err: errors.New("front matter is empty")}
	}
	return m, len(data) - len(rest), nil
}

// splitYAML is splitWithLibrary for "---" blocks, the common case, without
// the library's line-by-line copying of the whole text: it cuts the block
// exactly where adrg/frontmatter does (the first line that trims to the
// closing delimiter) and decodes it with the same function. It may only be
// called once the opening line and a closing line are known to exist;
// TestSplitYAMLMatchesLibrary and FuzzSplitYAML hold it to the library.
func splitYAML(data []byte, lead, base int) (map[string]any, int, error) {
	nl := bytes.IndexByte(data[lead:], '\n')
	if nl < 0 {
		return splitWithLibrary(data, "---", base)
	}
	start := lead + nl + 1
	for pos := start; pos < len(data); {
		line := data[pos:]
		next := len(data)
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line, next = line[:i], pos+i+1
		}
		if string(bytes.TrimSpace(line)) == "---" {
			var m map[string]any
			if err := yamlToMap(data[start:pos], &m); err != nil {
				return nil, 0, frontMatterError("---", base, err)
			}
			if m == nil {
				return nil, 0, &lineError{line: base, err: errors.New("front matter is empty")}
			}
			return m, next, nil
		}
		pos = next
	}
	return splitWithLibrary(data, "---", base)
}

// keyLine is the line of the file where a top-level front matter key is
// set, or 0 when it cannot tell; block is the file up to the body.
func keyLine(block []byte, key string) int {
	line := 0
	for len(block) > 0 {
		var l []byte
		l, block, _ = bytes.Cut(block, []byte("\n"))
		line++
		l = bytes.TrimLeft(l, " \t")
		if len(l) > 0 && (l[0] == '"' || l[0] == '\'') {
			q := l[0]
			if rest, ok := bytes.CutPrefix(l[1:], []byte(key)); ok && len(rest) > 0 && rest[0] == q {
				l = rest[1:]
			} else {
				continue
			}
		} else if rest, ok := bytes.CutPrefix(l, []byte(key)); ok {
			l = rest
		} else {
			continue
		}
		if l = bytes.TrimLeft(l, " \t"); len(l) > 0 && (l[0] == ':' || l[0] == '=') {
			return line
		}
	}
	return 0
}

// leadingBlankLines is the length of the lines, blank or white space only,
// before the first line with text (the rule adrg/frontmatter follows).
func leadingBlankLines(data []byte) int {
	n := 0
	for n < len(data) {
		line, _, found := bytes.Cut(data[n:], []byte("\n"))
		if len(bytes.TrimSpace(line)) > 0 || !found {
			break
		}
		n += len(line) + 1
	}
	return n
}

func hasClosingLine(data []byte, delim string) bool {
	_, rest, _ := bytes.Cut(data, []byte("\n")) // the opening line
	for len(rest) > 0 {
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte("\n"))
		if string(bytes.TrimSpace(line)) == delim {
			return true
		}
	}
	return false
}

// splitJSON reads a JSON object at data[start:] (Hugo's JSON front
// matter, on one line or many) and returns the offset of the line after it.
func splitJSON(data []byte, start int) (map[string]any, int, error) {
	dec := json.NewDecoder(bytes.NewReader(data[start:]))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, 0, jsonError(data, start, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, 0, errors.New("front matter (JSON) must be an object")
	}
	end := start + int(dec.InputOffset())
	// The body starts on the line after the closing brace; text after it
	// on the same line belongs to the body too.
	rest := data[end:]
	trimmed := bytes.TrimLeft(rest, " \t")
	if len(trimmed) > 0 && trimmed[0] == '\n' {
		trimmed = trimmed[1:]
	}
	return m, len(data) - len(trimmed), nil
}

// jsonError adds the line of a JSON syntax error.
func jsonError(data []byte, start int, err error) error {
	lineAt := func(off int64) int {
		end := start + int(off)
		if end > len(data) {
			end = len(data)
		}
		return 1 + bytes.Count(data[:end], []byte("\n"))
	}
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return &lineError{line: lineAt(se.Offset), err: fmt.Errorf("front matter (JSON): %s", se.Error())}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return &lineError{line: lineAt(0), err: fmt.Errorf("%w: the JSON object never closes", ErrUnclosedFrontMatter)}
	}
	return fmt.Errorf("front matter (JSON): %w", err)
}

// jsonToMap decodes ";;;"-delimited JSON front matter.
func jsonToMap(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // empty block
		}
		return err
	}
	m, ok := x.(map[string]any)
	if !ok {
		return errors.New("front matter must be an object")
	}
	if dec.More() {
		return errors.New("text after the JSON object")
	}
	*(v.(*map[string]any)) = m
	return nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// lineError carries a line number (within the file) out of a decoder.
type lineError struct {
	line int
	err  error
}

func (e *lineError) Error() string { return e.err.Error() }
func (e *lineError) Unwrap() error { return e.err }

// frontMatterError names the dialect and turns a decoder's line number
// (counted from the line after the delimiter at line base) into a file's.
func frontMatterError(delim string, base int, err error) error {
	kind := map[string]string{"---": "YAML", "+++": "TOML", ";;;": "JSON"}[delim]
	var te toml.ParseError
	if errors.As(err, &te) {
		return &lineError{line: base + te.Position.Line, err: fmt.Errorf("front matter (%s): %s", kind, te.Message)}
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("front matter (%s): %s", kind, se.Error())
	}
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return &lineError{line: base + n, err: fmt.Errorf("front matter (%s): %s", kind, msg[len(m[0]):])}
	}
	if rest, ok := strings.CutPrefix(msg, "yaml: "); ok {
		msg = rest
	}
	return fmt.Errorf("front matter (%s): %s", kind, msg)
}

// yamlToMap decodes YAML keeping timestamps as their source text, so a date
// without a zone can be read in the site's time zone instead of UTC.
func yamlToMap(data []byte, v any) error {
	if m, ok := fastYAML(data); ok && len(m) > 0 {
		*(v.(*map[string]any)) = m
		return nil
	}
	return yamlNodesToMap(data, v)
}

// yamlNodesToMap is the general path: yaml.v3 nodes, converted by hand.
func yamlNodesToMap(data []byte, v any) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return err
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil // empty block
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return nil // only comments
	}
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("yaml: line %d: front matter must be a mapping of keys to values, not a %s", root.Line, kindName(root))
	}
	d := yamlDecoder{budget: maxYAMLNodes}
	m, err := d.value(root, 0)
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

const (
	maxYAMLDepth = 64
	// maxYAMLNodes bounds the values a block may expand to, so aliases
	// of aliases (a "billion laughs") cannot exhaust memory.
	maxYAMLNodes = 100_000
)

// yamlDecoder turns a yaml.Node tree into plain maps, lists and scalars.
type yamlDecoder struct{ budget int }

func (d *yamlDecoder) value(n *yaml.Node, depth int) (any, error) {
	if depth > maxYAMLDepth {
		return nil, fmt.Errorf("yaml: line %d: nested too deeply", n.Line)
	}
	if d.budget--; d.budget < 0 {
		return nil, fmt.Errorf("yaml: line %d: front matter expands to more than %d values (aliases?)", n.Line, maxYAMLNodes)
	}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, nil
		}
		return d.value(n.Alias, depth+1)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		lines := make(map[string]bool, len(n.Content)/2)
		var merges []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
				merges = append(merges, val)
				continue
			}
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("yaml: line %d: a key must be a single value, not a %s", k.Line, kindName(k))
			}
			if lines[k.Value] {
				return nil, fmt.Errorf("yaml: line %d: key %q is defined twice", k.Line, k.Value)
			}
			lines[k.Value] = true
			x, err := d.value(val, depth+1)
			if err != nil {
				return nil, err
			}
			m[k.Value] = x
		}
		// "<<: *defaults" fills in keys the mapping does not set itself.
		for _, mn := range merges {
			x, err := d.value(mn, depth+1)
			if err != nil {
				return nil, err
			}
			srcs := []any{x}
			if l, ok := x.([]any); ok {
				srcs = l
			}
			for _, src := range srcs {
				sm, ok := src.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("yaml: line %d: << must merge a mapping or a list of mappings", mn.Line)
				}
				for k, v := range sm {
					if _, set := m[k]; !set {
						m[k] = v
					}
				}
			}
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			x, err := d.value(c, depth+1)
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
