package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// checkWellFormed parses a document by its path's extension: RSS and
// Atom with encoding/xml in strict mode (one root element, nothing but
// white space around it, no character XML forbids), JSON Feed with
// encoding/json (one object with an items array).
func checkWellFormed(path string, body []byte) error {
	switch {
	case strings.HasSuffix(path, ".rss"), strings.HasSuffix(path, ".atom"):
		return checkXML(body)
	case strings.HasSuffix(path, ".json"):
		return checkJSONFeed(body)
	}
	return fmt.Errorf("%s: not a feed document", path)
}

func checkXML(body []byte) error {
	if !utf8.Valid(body) {
		return errors.New("not UTF-8")
	}
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	depth, roots := 0, 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("XML: %w", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(tok)) > 0 {
				return errors.New("XML: text outside the root element")
			}
		}
	}
	if roots != 1 || depth != 0 {
		return fmt.Errorf("XML: %d root elements, depth %d at the end", roots, depth)
	}
	return nil
}

func checkJSONFeed(body []byte) error {
	if !json.Valid(body) {
		return errors.New("JSON: not valid")
	}
	var feed struct {
		Version string            `json:"version"`
		Items   []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(body, &feed); err != nil {
		return fmt.Errorf("JSON: %w", err)
	}
	if !strings.HasPrefix(feed.Version, "https://jsonfeed.org/version/") || feed.Items == nil {
		return errors.New("JSON: not a JSON Feed (version, items)")
	}
	return nil
}

// bodyETag is the strong validator feedgen gives a body.
func bodyETag(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}
