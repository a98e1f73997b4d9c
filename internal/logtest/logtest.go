// Package logtest gives tests a logger that writes every record, debug
// included, and a buffer a test may read while loggers on other
// goroutines (a scheduler, an HTTP server) still write to it. It is the
// one copy of these helpers for the packages whose tests read logs
// (rebuild, cmd/syndicate); production code does not import it.
package logtest

import (
	"bytes"
	"io"
	"log/slog"
	"sync"
)

// New is a logger writing every record, debug included, as text to w.
func New(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// Buffer is a bytes.Buffer safe for loggers and a test to share.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String is everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
