package main

import (
	"flag"
	"syscall"
	"testing"
)

// savedFsize is the process's file size limit before limitFileSize.
var savedFsize *syscall.Rlimit

// limitFileSize makes writes past max bytes in any one file fail with
// EFBIG, which is how a full disk looks to a tree write: a write in the
// middle of the tree fails. Go ignores the SIGXFSZ that comes with it.
// The limit is process-wide, so callers lift it as soon as the write
// under test is done (unlimitFileSize, also run at cleanup).
func limitFileSize(t *testing.T, max uint64) {
	t.Helper()
	// The limit is the whole process's: go test's own log of file
	// accesses (written when results are cacheable) would fail too.
	if f := flag.Lookup("test.testlogfile"); f != nil && f.Value.String() != "" {
		t.Skip("the file size limit would break go test's own log; run with -count=1 (scripts/test does)")
	}
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Skipf("getrlimit: %v", err)
	}
	lim := old
	lim.Cur = max
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Skipf("setrlimit: %v", err)
	}
	savedFsize = &old
	t.Cleanup(func() { unlimitFileSize(t) })
}

func unlimitFileSize(t *testing.T) {
	t.Helper()
	if savedFsize == nil {
		return
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, savedFsize); err != nil {
		t.Fatalf("restoring the file size limit: %v", err)
	}
	savedFsize = nil
}
