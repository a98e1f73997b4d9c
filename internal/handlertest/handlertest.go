// Package handlertest drives an http.Handler in tests: one request in,
// its recorded response out, and a gzip-encoded body read back. It is the
// one copy of these helpers for the packages whose tests serve documents
// (server, rebuild, cmd/syndicate); production code does not import it.
package handlertest

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// Do serves one request to h and returns the recorded response. hdr holds
// header names and values in pairs; an odd last one is ignored.
func Do(h http.Handler, method, target string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// Gunzip returns b decompressed, failing t if b is not gzip.
func Gunzip(t testing.TB, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	return out
}
