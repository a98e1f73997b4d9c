package feedgen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// The output folder's marker (markerName) says that syndicate wrote the
// folder and holds its manifest: one line of text for people, then one
// line of JSON listing every document written, with its fingerprint,
// ETag, size and modification time. The next build reads it to link
// unchanged documents instead of encoding them again, and to leave the
// folder alone when nothing changed. It is kept in the marker, not in a
// file of its own, so that the folder holds the documents and the marker
// and nothing else.

const markerText = "This folder is written by syndicate and replaced as a whole on every build.\n"

// manifestVersion is the manifest's own format; a marker with another
// version is ignored (the next build writes every document).
const manifestVersion = 1

// ManifestEntry describes one document in an output folder.
type ManifestEntry struct {
	Path        string
	Fingerprint Fingerprint // zero when the document was not planned
	ETag        string
	Size        int64
	Modified    time.Time
}

// Manifest lists the documents of an output folder, sorted by path.
type Manifest struct {
	Entries []ManifestEntry
}

type manifestJSON struct {
	Manifest int            `json:"syndicate_manifest"`
	Encoder  int            `json:"encoder"`
	Docs     []manifestDocJ `json:"documents"`
}

type manifestDocJ struct {
	Path        string    `json:"path"`
	Fingerprint string    `json:"fingerprint,omitempty"`
	ETag        string    `json:"etag"`
	Size        int64     `json:"size"`
	Modified    time.Time `json:"modified"`
}

// marker is the marker file's content for the manifest.
func (m *Manifest) marker() ([]byte, error) {
	j := manifestJSON{Manifest: manifestVersion, Encoder: EncoderVersion, Docs: make([]manifestDocJ, len(m.Entries))}
	for i, e := range m.Entries {
		j.Docs[i] = manifestDocJ{Path: e.Path, ETag: e.ETag, Size: e.Size, Modified: e.Modified}
		if !e.Fingerprint.IsZero() {
			j.Docs[i].Fingerprint = e.Fingerprint.String()
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
	m := &Manifest{Entries: make([]ManifestEntry, len(j.Docs))}
	for i, d := range j.Docs {
		e := ManifestEntry{Path: d.Path, ETag: d.ETag, Size: d.Size, Modified: d.Modified}
		if d.Fingerprint != "" {
			fp, ok := parseFingerprint(d.Fingerprint)
			if !ok {
				return nil, fmt.Errorf("manifest: %s: bad fingerprint", d.Path)
			}
			e.Fingerprint = fp
		}
		if !localPath(d.Path) || d.Path == markerName {
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

// ReadManifest reads the manifest of an output folder written by
// syndicate. It fails when the folder has no marker, or a marker without
// a manifest (an older syndicate's), or one that is damaged or foreign.
func ReadManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, markerName))
	if err != nil {
		return nil, err
	}
	return parseMarker(b)
}

func (m *Manifest) byPath() map[string]ManifestEntry {
	out := make(map[string]ManifestEntry, len(m.Entries))
	for _, e := range m.Entries {
		out[e.Path] = e
	}
	return out
}
