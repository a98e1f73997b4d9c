// Package fingerprint hashes a document's inputs into a fixed-size sum,
// so that a build can tell, before making a document, whether an earlier
// build made it from the same inputs.
//
// A Hasher writes values unambiguously: every string and list carries
// its length, so ("ab", "c") and ("a", "bc") hash apart, and every
// number has a fixed width. Callers decide what a document depends on
// and hash it in a fixed order; two equal sums mean equal inputs. It is
// the one copy of this encoding for feedgen (the feeds' fingerprints)
// and pages (the pages' and the OPML file's), and imports nothing of
// ours.
package fingerprint

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"time"
	"unsafe"
)

// Hasher accumulates values into a SHA-256 sum. The zero value is not
// usable; make one with New. A Hasher is not safe for concurrent use.
type Hasher struct {
	h   hash.Hash
	buf [8]byte
}

// New returns an empty Hasher.
func New() *Hasher { return &Hasher{h: sha256.New()} }

// Int hashes n as 8 bytes.
func (h *Hasher) Int(n int64) {
	binary.LittleEndian.PutUint64(h.buf[:], uint64(n))
	h.h.Write(h.buf[:])
}

// Bool hashes b as the Int 1 or 0.
func (h *Hasher) Bool(b bool) {
	if b {
		h.Int(1)
	} else {
		h.Int(0)
	}
}

// Str hashes s after its length.
func (h *Hasher) Str(s string) {
	h.Int(int64(len(s)))
	// Writers must neither modify nor keep what they are given, so the
	// string's bytes are hashed in place rather than copied.
	h.h.Write(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// Strs hashes list's length, then each string as Str does.
func (h *Hasher) Strs(list []string) {
	h.Int(int64(len(list)))
	for _, s := range list {
		h.Str(s)
	}
}

// Time hashes an instant and the offset of its zone, which documents
// print; the zone's name is not hashed.
func (h *Hasher) Time(t time.Time) {
	_, off := t.Zone()
	h.Int(t.Unix())
	h.Int(int64(t.Nanosecond()))
	h.Int(int64(off))
}

// Sum32 hashes an earlier sum (a post's or a site's, made by another
// Hasher) as its 32 bytes: being of fixed size, it needs no length.
func (h *Hasher) Sum32(s [32]byte) { h.h.Write(s[:]) }

// Sum16 hashes a 16-byte sum (a post's render sum) as its 16 bytes.
func (h *Hasher) Sum16(s [16]byte) { h.h.Write(s[:]) }

// Sum returns the SHA-256 of everything hashed so far.
func (h *Hasher) Sum() (s [32]byte) {
	h.h.Sum(s[:0])
	return s
}
