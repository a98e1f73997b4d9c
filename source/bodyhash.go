package source

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
)

// BodyHash identifies a post's Markdown body: a SHA-256 (128 bits, in
// hex) of the file after its front matter, white space at either end
// left out. It survives edits of the front matter and renames of the
// file, so the publication state can tell a file renamed, retitled and
// redated at once from a new post (feedgen.Earlier.BodyHash). It reads
// the file, and fails if it changed since the scan.
func (s *Scanner) BodyHash(ctx context.Context, p *Post) (string, error) {
	data, info, err := s.load(ctx, p.Path)
	if err != nil {
		return "", fileError(p.Path, err)
	}
	if info.Size() != p.size || !info.ModTime().Equal(p.modTime) || p.bodyOffset > int64(len(data)) {
		return "", fileError(p.Path, errors.New("file changed during the build"))
	}
	sum := sha256.Sum256(bytes.TrimSpace(data[p.bodyOffset:]))
	return hex.EncodeToString(sum[:16]), nil
}
