package server

import (
	"log/slog"
	"net/http"
	"time"
)

// AccessLog logs one line per request after it is answered. It records
// the connection's address only: X-Forwarded-For is logged as sent, not
// trusted, since syndicate cannot know which proxies are in front of it.
func AccessLog(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			sw := &statusWriter{ResponseWriter: w}
			next.ServeHTTP(sw, r)
			if sw.status == 0 {
				sw.status = http.StatusOK
			}
			attrs := []any{
				"method", r.Method,
				"path", r.URL.EscapedPath(),
				"status", sw.status,
				"bytes", sw.bytes,
				"duration", time.Since(start),
				"remote", r.RemoteAddr,
			}
			if ce := w.Header().Get("Content-Encoding"); ce != "" {
				attrs = append(attrs, "encoding", ce)
			}
			if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
				attrs = append(attrs, "forwarded_for", xff)
			}
			if ua := r.UserAgent(); ua != "" {
				attrs = append(attrs, "user_agent", ua)
			}
			log.Info("request", attrs...)
		})
	}
}

// statusWriter remembers the status code and counts body bytes.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
