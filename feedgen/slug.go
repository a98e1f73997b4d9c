package feedgen

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// maxSlugBytes keeps a slug well inside file-name limits (255 bytes).
const maxSlugBytes = 96

// Slugify turns a tag or category name into a path segment: NFKC, lower
// case, Unicode letters, marks and digits kept, every other run of
// characters one hyphen. A name with nothing left (".." or "!!!") becomes
// a short hash of itself. The result never contains '/', '.' or '\\', so it
// cannot leave the folder it is joined to.
func Slugify(name string) string {
	s := strings.ToLower(norm.NFKC.String(name))
	var b strings.Builder
	b.Grow(len(s))
	dash := false
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) && b.Len() > 0 {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	out := b.String()
	if len(out) > maxSlugBytes {
		cut := maxSlugBytes
		for cut > 0 && !utf8.RuneStart(out[cut]) {
			cut--
		}
		out = strings.TrimRight(out[:cut], "-")
	}
	if out == "" {
		return nameHash(name)
	}
	return out
}

// tagKey is the identity of a tag: names differing only in case are one.
func tagKey(name string) string {
	return strings.ToLower(norm.NFKC.String(name))
}

// nameHash is a short, stable suffix that tells apart names that slug alike.
func nameHash(name string) string {
	sum := sha256.Sum256([]byte(tagKey(name)))
	return hex.EncodeToString(sum[:4])
}
