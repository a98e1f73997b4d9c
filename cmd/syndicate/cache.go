package main

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"sync"
)

// programKey identifies this build of the program, so a cache written by
// another version is never trusted: the version, or, for development
// builds that all say "dev", a hash of the executable itself.
var programKey = sync.OnceValue(func() string {
	v := version()
	if exe, err := os.Executable(); err == nil {
		if f, err := os.Open(exe); err == nil {
			defer f.Close()
			h := sha256.New()
			if _, err := io.Copy(h, f); err == nil {
				return v + "+" + hex.EncodeToString(h.Sum(nil)[:12])
			}
		}
	}
	return v
})
