package server

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/syndicate/syndicate/internal/handlertest"
)

func TestAccessLog(t *testing.T) {
	var buf bytes.Buffer
	s, _ := newTestServer(t, "")
	h := AccessLog(slog.New(slog.NewJSONHandler(&buf, nil)))(s)
	w := handlertest.Do(h, "GET", "/feed.rss", "Accept-Encoding", "gzip", "User-Agent", "reader/1.0", "X-Forwarded-For", "203.0.113.9")
	if w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	handlertest.Do(h, "GET", "/nope")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines:\n%s", len(lines), buf.String())
	}
	var m map[string]any
	json.Unmarshal([]byte(lines[0]), &m)
	if m["msg"] != "request" || m["status"] != 200.0 || m["path"] != "/feed.rss" || m["encoding"] != "gzip" ||
		m["user_agent"] != "reader/1.0" || m["forwarded_for"] != "203.0.113.9" || m["bytes"] != float64(w.Body.Len()) {
		t.Errorf("access line: %s", lines[0])
	}
	json.Unmarshal([]byte(lines[1]), &m)
	if m["status"] != 404.0 {
		t.Errorf("404 line: %s", lines[1])
	}
}
