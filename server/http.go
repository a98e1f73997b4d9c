package server

import (
	"log/slog"
	"net/http"
	"time"
)

// Timeouts are the HTTP server's limits. Feeds are small and
// fetched by machines: a client gets 5 s to send its request line and
// headers, 10 s for the whole request and 60 s to read a response.
// Tests shrink them to see slow clients cut off quickly.
type Timeouts struct {
	ReadHeader, Read, Write, Idle time.Duration
	// MaxHeaderBytes bounds the request line and headers together; a
	// longer URL or header block is answered 431 and the connection closed.
	MaxHeaderBytes int
}

// DefaultTimeouts are serve's limits.
var DefaultTimeouts = Timeouts{
	ReadHeader:     5 * time.Second,
	Read:           10 * time.Second,
	Write:          60 * time.Second,
	Idle:           120 * time.Second,
	MaxHeaderBytes: 32 << 10,
}

// NewHTTPServer is the http.Server serve runs h in, with limits t and
// its errors logged as warnings.
func NewHTTPServer(h http.Handler, log *slog.Logger, t Timeouts) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    t.MaxHeaderBytes,
		// OPTIONS * reaches the Handler (405 with Allow) instead of
		// net/http's built-in 200.
		DisableGeneralOptionsHandler: true,
		ErrorLog:                     slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}
