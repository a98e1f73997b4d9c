package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHandler(t *testing.T) {
	body := []byte(strings.Repeat("<item>feed</item>\n", 500))
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(body)
	zw.Close()
	h := &handler{contentType: "application/rss+xml", plain: newDoc(body, ""), gz: newDoc(buf.Bytes(), "-gz")}

	get := func(hdr ...string) *http.Response {
		t.Helper()
		r := httptest.NewRequest("GET", "/feed.rss", nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Result()
	}

	t.Run("plain", func(t *testing.T) {
		res := get()
		got, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 || !bytes.Equal(got, body) || res.Header.Get("Content-Encoding") != "" {
			t.Fatalf("status %d, %d bytes, encoding %q", res.StatusCode, len(got), res.Header.Get("Content-Encoding"))
		}
		if res.Header.Get("ETag") != h.plain.etag || res.Header.Get("Content-Type") != "application/rss+xml" {
			t.Errorf("headers %v", res.Header)
		}
	})
	t.Run("gzip", func(t *testing.T) {
		res := get("Accept-Encoding", "gzip, deflate")
		if res.StatusCode != 200 || res.Header.Get("Content-Encoding") != "gzip" || res.Header.Get("ETag") != h.gz.etag {
			t.Fatalf("status %d, headers %v", res.StatusCode, res.Header)
		}
		zr, err := gzip.NewReader(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(zr)
		if !bytes.Equal(got, body) {
			t.Errorf("gzip body decodes to %d bytes, want %d", len(got), len(body))
		}
	})
	t.Run("not modified", func(t *testing.T) {
		for _, c := range []struct{ enc, etag string }{{"", h.plain.etag}, {"gzip", h.gz.etag}} {
			res := get("Accept-Encoding", c.enc, "If-None-Match", c.etag)
			if res.StatusCode != http.StatusNotModified || res.Header.Get("ETag") != c.etag {
				t.Errorf("%q: status %d, ETag %q", c.enc, res.StatusCode, res.Header.Get("ETag"))
			}
		}
		if res := get("If-None-Match", h.gz.etag); res.StatusCode != 200 {
			t.Errorf("gzip ETag on a plain request: status %d", res.StatusCode)
		}
	})
}
