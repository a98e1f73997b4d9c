package outtree

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// MarkerName is the file that marks a tree as written by Write and holds
// its manifest: one line of text for people, then one line of JSON
// listing every file written, with its key, ETag, size and modification
// time. The next Write reads it to link unchanged files instead of
// writing them again, and to leave the tree alone when nothing changed.
// It is kept in the marker, not in a file of its own, so that the tree
// holds the files and the marker and nothing else.
const MarkerName = ".syndicate-output"

const markerText = "This folder is written by syndicate and replaced as a whole on every build.\n"

// manifestVersion is the manifest's own format; a marker with another
// version is ignored (the next build writes every document).
const manifestVersion = 1

// Entry describes one file of a tree.
type Entry struct {
	Path string // slash-separated, relative to the tree
	// Key is a digest of everything the file's bytes were made from;
	// zero when unknown.
	Key      [32]byte
	ETag     string
	Size     int64
	Modified time.Time
}

// Manifest lists the files of a tree, sorted by path.
type Manifest struct {
	// Version is the version of whatever made the files (for people
	// reading the marker; Write does not compare it).
	Version int
	Entries []Entry
}

type manifestJSON struct {
	Manifest int            `json:"syndicate_manifest"`
	Version  int            `json:"encoder"`
	Docs     []manifestDocJ `json:"documents"`
}

type manifestDocJ struct {
	Path     string    `json:"path"`
	Key      string    `json:"fingerprint,omitempty"`
	ETag     string    `json:"etag"`
	Size     int64     `json:"size"`
	Modified time.Time `json:"modified"`
}

// marker is the marker file's content for the manifest.
func (m *Manifest) marker() ([]byte, error) {
	j := manifestJSON{Manifest: manifestVersion, Version: m.Version, Docs: make([]manifestDocJ, len(m.Entries))}
	for i, e := range m.Entries {
		j.Docs[i] = manifestDocJ{Path: e.Path, ETag: e.ETag, Size: e.Size, Modified: e.Modified}
		if e.Key != ([32]byte{}) {
			j.Docs[i].Key = hex.EncodeToString(e.Key[:])
		}
	}
	b, err := json.Marshal(j)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(markerText)+len(b)+1)
	out = append(out, markerText...)
	out = append(out, b...)
	return append(out, '\n'), nil
}

var errNoManifest = errors.New("no manifest")

// parseMarker reads a marker file's manifest. Anything unexpected makes
// it fail: a manifest is trusted whole or not at all.
func parseMarker(b []byte) (*Manifest, error) {
	_, rest, ok := bytes.Cut(b, []byte("\n"))
	if !ok || len(bytes.TrimSpace(rest)) == 0 {
		return nil, errNoManifest
	}
	var j manifestJSON
	dec := json.NewDecoder(bytes.NewReader(rest))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if j.Manifest != manifestVersion {
		return nil, fmt.Errorf("manifest: version %d, want %d", j.Manifest, manifestVersion)
	}
	m := &Manifest{Version: j.Version, Entries: make([]Entry, len(j.Docs))}
	for i, d := range j.Docs {
		e := Entry{Path: d.Path, ETag: d.ETag, Size: d.Size, Modified: d.Modified}
		if d.Key != "" {
			if n, err := hex.Decode(e.Key[:], []byte(d.Key)); err != nil || n != len(e.Key) || len(d.Key) != 2*len(e.Key) {
				return nil, fmt.Errorf("manifest: %s: bad fingerprint", d.Path)
			}
		}
		if !localPath(d.Path) || d.Path == MarkerName {
			return nil, fmt.Errorf("manifest: bad path %q", d.Path)
		}
		if d.Size < 0 {
			return nil, fmt.Errorf("manifest: %s: bad size", d.Path)
		}
		if i > 0 && d.Path <= j.Docs[i-1].Path {
			return nil, fmt.Errorf("manifest: %s: not sorted or repeated", d.Path)
		}
		m.Entries[i] = e
	}
	return m, nil
}

// localPath accepts the slash paths of documents: relative, clean, and
// inside the folder.
func localPath(p string) bool {
	return p != "" && filepath.IsLocal(filepath.FromSlash(p)) && filepath.ToSlash(filepath.Clean(filepath.FromSlash(p))) == p
}

// ReadManifest reads the manifest of a tree written by Write. It fails
// when the tree has no marker, or a marker without a manifest (an older
// syndicate's), or one that is damaged or foreign.
func ReadManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, MarkerName))
	if err != nil {
		return nil, err
	}
	return parseMarker(b)
}

func (m *Manifest) byPath() map[string]Entry {
	out := make(map[string]Entry, len(m.Entries))
	for _, e := range m.Entries {
		out[e.Path] = e
	}
	return out
}
