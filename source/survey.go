package source

import (
	"encoding/binary"
	"hash/maphash"
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
	// Settled, mean the same files with the same contents. Stamps are
	// comparable within one process only.
	Stamp [32]byte
	// Settled says no file was modified so recently that another edit
	// could still leave its times as they are (see racyWindow).
	Settled bool
	// Symlinks counts symlinked files; their targets may lie in folders
	// a Watcher does not watch.
	Symlinks int
}

// Files counts the Markdown files found, skipped ones included.
func (sv *Survey) Files() int { return len(sv.files) + len(sv.skipped) }

type surveyed struct {
	rel string
	st  fileStamp // zero when the walk did not stat files
}

// fileStamp is what a survey keeps of a file's status: a value, so that
// 100,000 of them cost no allocation each.
type fileStamp struct {
	size, mtime int64 // mtime in Unix nanoseconds
	// ctime (Unix nanoseconds) and ino are 0 where they are not read.
	ctime, ino int64
	ok         bool // the file was statted
}

func stampOf(info os.FileInfo) fileStamp {
	ctime, ino, _ := changeTime(info)
	return fileStamp{size: info.Size(), mtime: info.ModTime().UnixNano(), ctime: ctime, ino: ino, ok: true}
}

func (sv *Survey) stamp() {
	// Each file is hashed on its own and the hashes are summed, so the
	// stamp does not depend on the order the parallel walk found files
	// in, and 100,000 paths need no sorting. Two 64-bit hashes with
	// seeds of this process: stamps are compared within one process.
	var sum, xor [2]uint64
	var buf [8]byte
	settled := time.Now().Add(-racyWindow).UnixNano()
	sv.Settled = true
	for _, f := range sv.files {
		for i, seed := range surveySeeds {
			var h maphash.Hash
			h.SetSeed(seed)
			h.WriteString(f.rel)
			h.WriteByte(0)
			// The change time moves with every write, rename and chmod,
			// even when a tool puts the modification time back.
			for _, n := range [...]int64{f.st.size, f.st.mtime, f.st.ctime, f.st.ino} {
				binary.LittleEndian.PutUint64(buf[:], uint64(n))
				h.Write(buf[:])
			}
			v := h.Sum64()
			sum[i] += v
			xor[i] ^= v * 0x9e3779b97f4a7c15
		}
		if f.st.mtime >= settled {
			sv.Settled = false
		}
	}
	for i, seed := range surveySeeds {
		var h maphash.Hash
		h.SetSeed(seed)
		binary.LittleEndian.PutUint64(buf[:], uint64(len(sv.files)))
		h.Write(buf[:])
		for _, e := range sv.skipped {
			h.WriteString(e.Path)
			h.WriteByte(0)
			h.WriteString(e.Err.Error())
			h.WriteByte(0)
		}
		binary.LittleEndian.PutUint64(sv.Stamp[16*i:], sum[i]^h.Sum64())
		binary.LittleEndian.PutUint64(sv.Stamp[16*i+8:], xor[i])
	}
}

// surveySeeds key the survey hashes for the life of the process.
var surveySeeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}
