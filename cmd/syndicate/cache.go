package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"os"
	"sync"

	"github.com/syndicate/syndicate/source"
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

// loadCache reads the on-disk cache; problems only cost speed, so they
// are logged and the build goes on without a cache (nil) or with an
// empty one.
func loadCache(s *settings, log *slog.Logger) *source.Cache {
	if s.cacheErr != nil {
		log.Warn("cache disabled", "err", s.cacheErr)
		return nil
	}
	c, err := source.LoadCache(s.cachePath)
	if err != nil {
		if errors.Is(err, source.ErrCacheInvalid) {
			log.Warn("discarding cache", "err", err)
		} else {
			log.Warn("cannot read cache", "err", err)
		}
	}
	return c
}

// saveCache writes c to path; a failure costs the next run speed only.
func saveCache(c *source.Cache, path string, log *slog.Logger) {
	if c == nil || path == "" {
		return
	}
	if err := c.Save(path); err != nil {
		log.Warn("cannot write cache", "err", err)
	}
}
