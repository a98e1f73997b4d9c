package server

import (
	"bufio"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"testing"

	"github.com/syndicate/syndicate/internal/handlertest"
)

// TestOptionsAsterisk asks a real listener, since net/http answers
// "OPTIONS *" itself (200) unless the server is told not to.
func TestOptionsAsterisk(t *testing.T) {
	s, _ := newTestServer(t, "/feeds")
	hs := NewHTTPServer(s, slog.New(slog.DiscardHandler), DefaultTimeouts)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	if w := handlertest.Do(s, "GET", "*"); w.Code != 404 {
		t.Errorf("GET *: %d, want 404", w.Code)
	}
	for _, target := range []string{"*", "/feeds/feed.rss"} {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "OPTIONS %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", target)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		c.Close()
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("OPTIONS %s: %d Allow %q, want 405 GET, HEAD", target, resp.StatusCode, resp.Header.Get("Allow"))
		}
	}
}
