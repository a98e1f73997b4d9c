package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
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

// cachePath is the cache file for this config's content folder: one file
// per content folder under cache_dir, never inside the content or output
// folders.
func (c *Config) cachePath() (string, error) {
	dir := c.CacheDir
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("cache_dir is not set and there is no user cache folder: %w", err)
		}
		dir = filepath.Join(base, "syndicate")
	} else {
		dir = c.resolve(dir)
	}
	content, err := filepath.Abs(c.resolve(c.ContentDir))
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(content))
	return filepath.Join(dir, "posts-"+hex.EncodeToString(sum[:8])+".cache"), nil
}

// loadCache reads the config's on-disk cache and says where it lives;
// problems only cost speed, so they are logged and the build goes on
// without a cache (nil, "") or with an empty one.
func loadCache(cfg *Config, log *slog.Logger) (*source.Cache, string) {
	path, err := cfg.cachePath()
	if err != nil {
		log.Warn("cache disabled", "err", err)
		return nil, ""
	}
	c, err := source.LoadCache(path)
	if err != nil {
		if errors.Is(err, source.ErrCacheInvalid) {
			log.Warn("discarding cache", "err", err)
		} else {
			log.Warn("cannot read cache", "err", err)
		}
	}
	return c, path
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

// checkCacheDir keeps the cache out of the folders syndicate reads and
// replaces: inside content_dir it would be read as content, inside
// output_dir it would be published and then deleted by the next swap.
func (c *Config) checkCacheDir() error {
	p, err := c.cachePath()
	if err != nil {
		return nil // no cache; the build goes on without one
	}
	dir := filepath.Dir(p)
	for key, other := range map[string]string{"content_dir": c.ContentDir, "output_dir": c.OutputDir} {
		abs, err := filepath.Abs(c.resolve(other))
		if err != nil {
			continue
		}
		if rel, err := filepath.Rel(abs, dir); err == nil && filepath.IsLocal(rel) {
			return fmt.Errorf("cache_dir: %s is inside %s (%s); put the cache elsewhere", dir, key, abs)
		}
	}
	return nil
}
