package main

import (
	"io"
	"log/slog"

	"github.com/syndicate/syndicate/config"
)

// newLogger builds the service's logger from log.format (text or json)
// and log.level, both validated by Config.Validate.
func newLogger(c config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.Level)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
