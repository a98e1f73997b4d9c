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
	// in, 100,000 paths need no sorting, and an Index can take one file's
	// hash out and put its new one in.
	var sums stampSums
	settled := time.Now().Add(-racyWindow).UnixNano()
	sv.Settled = true
	for _, f := range sv.files {
		sums.add(f.rel, f.st)
		if f.st.mtime >= settled {
			sv.Settled = false
		}
	}
	sv.Stamp = sums.stamp(len(sv.files), sv.skipped)
}

// stampSums sum the hashes of a survey's files two ways (two 64-bit
// hashes with seeds of this process: stamps are compared within one
// process only).
type stampSums struct{ sum, xor [2]uint64 }

func fileHashes(rel string, st fileStamp) [2]uint64 {
	var out [2]uint64
	var buf [8]byte
	for i, seed := range surveySeeds {
		var h maphash.Hash
		h.SetSeed(seed)
		h.WriteString(rel)
		h.WriteByte(0)
		// The change time moves with every write, rename and chmod,
		// even when a tool puts the modification time back.
		for _, n := range [...]int64{st.size, st.mtime, st.ctime, st.ino} {
			binary.LittleEndian.PutUint64(buf[:], uint64(n))
			h.Write(buf[:])
		}
		out[i] = h.Sum64()
	}
	return out
}

func (s *stampSums) add(rel string, st fileStamp) {
	for i, v := range fileHashes(rel, st) {
		s.sum[i] += v
		s.xor[i] ^= v * 0x9e3779b97f4a7c15
	}
}

func (s *stampSums) remove(rel string, st fileStamp) {
	for i, v := range fileHashes(rel, st) {
		s.sum[i] -= v
		s.xor[i] ^= v * 0x9e3779b97f4a7c15
	}
}

// stamp is the survey's Stamp for these sums, n files and the files the
// walk skipped.
func (s *stampSums) stamp(n int, skipped []*FileError) [32]byte {
	var out [32]byte
	var buf [8]byte
	for i, seed := range surveySeeds {
		var h maphash.Hash
		h.SetSeed(seed)
		binary.LittleEndian.PutUint64(buf[:], uint64(n))
		h.Write(buf[:])
		for _, e := range skipped {
			h.WriteString(e.Path)
			h.WriteByte(0)
			h.WriteString(e.Err.Error())
			h.WriteByte(0)
		}
		binary.LittleEndian.PutUint64(out[16*i:], s.sum[i]^h.Sum64())
		binary.LittleEndian.PutUint64(out[16*i+8:], s.xor[i])
	}
	return out
}

// surveySeeds key the survey hashes for the life of the process.
var surveySeeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}
