package source

import (
	"crypto/sha256"
	"encoding/binary"
	"os"
	"time"
)

// Survey is the content folder as a scan finds it before reading any
// file: every Markdown file with its size and times (Scanner.Survey).
type Survey struct {
	files   []surveyed
	skipped []*FileError
	// Stamp sums every path with its size, modification and change time
	// and every file that could not be listed: equal stamps, both
	// Settled, mean the same files with the same contents.
	Stamp [sha256.Size]byte
	// Settled says no file was modified so recently that another edit
	// could still leave its times as they are (see racyWindow).
	Settled bool
}

// Files counts the Markdown files found, skipped ones included.
func (sv *Survey) Files() int { return len(sv.files) + len(sv.skipped) }

type surveyed struct {
	rel  string
	info os.FileInfo // nil when the walk did not stat files
}

func (sv *Survey) stamp() {
	h := sha256.New()
	var buf [8]byte
	num := func(n int64) {
		binary.LittleEndian.PutUint64(buf[:], uint64(n))
		h.Write(buf[:])
	}
	settled := time.Now().Add(-racyWindow)
	sv.Settled = true
	for _, f := range sv.files {
		h.Write([]byte(f.rel))
		h.Write([]byte{0})
		num(f.info.Size())
		num(f.info.ModTime().UnixNano())
		// The change time moves with every write, rename and chmod, even
		// when a tool puts the modification time back.
		if ctime, ino, ok := changeTime(f.info); ok {
			num(ctime)
			num(ino)
		}
		if !f.info.ModTime().Before(settled) {
			sv.Settled = false
		}
	}
	h.Write([]byte{1})
	for _, e := range sv.skipped {
		h.Write([]byte(e.Path))
		h.Write([]byte{0})
		h.Write([]byte(e.Err.Error()))
		h.Write([]byte{0})
	}
	h.Sum(sv.Stamp[:0])
}

// ctimeOf is a file's inode change time, or 0 where unknown.
func ctimeOf(info os.FileInfo) int64 {
	ctime, _, _ := changeTime(info)
	return ctime
}
