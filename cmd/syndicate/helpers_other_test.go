//go:build !linux

package main

import "testing"

func limitFileSize(t *testing.T, max uint64) {
	t.Skip("the full-disk fault uses RLIMIT_FSIZE, set up on Linux only")
}

func unlimitFileSize(t *testing.T) {}
