// Command refserver is the reference for the serving benchmark in
// scripts/bench: a minimal net/http handler that answers every request
// with the bytes of one file, or its gzip compression made once at start,
// with an ETag and a 304 for a matching If-None-Match. It does no routing,
// no negotiation beyond "gzip" appearing in Accept-Encoding and no
// conditional logic beyond a string compare, so it bounds what a feed
// server that also precompresses its documents can reach with net/http.
//
// Usage:
//
//	refserver -file public/tags/go/feed.rss -listen 127.0.0.1:8090 \
//	    -type 'application/rss+xml; charset=utf-8'
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
)

// doc is one precomputed variant: its body and the header values that
// go with it.
type doc struct {
	body   []byte
	etag   string
	length string
}

func newDoc(body []byte, suffix string) doc {
	sum := sha256.Sum256(body)
	return doc{
		body:   body,
		etag:   `"` + hex.EncodeToString(sum[:8]) + suffix + `"`,
		length: strconv.Itoa(len(body)),
	}
}

// handler serves plain and gzip with the same Content-Type.
type handler struct {
	contentType string
	plain, gz   doc
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d, gzipped := h.plain, false
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		d, gzipped = h.gz, true
	}
	hdr := w.Header()
	hdr.Set("ETag", d.etag)
	hdr.Set("Vary", "Accept-Encoding")
	if r.Header.Get("If-None-Match") == d.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hdr.Set("Content-Type", h.contentType)
	hdr.Set("Content-Length", d.length)
	if gzipped {
		hdr.Set("Content-Encoding", "gzip")
	}
	w.Write(d.body)
}

func main() {
	file := flag.String("file", "", "`file` whose bytes are served (required)")
	listen := flag.String("listen", "127.0.0.1:8090", "listen `address`")
	ctype := flag.String("type", "application/rss+xml; charset=utf-8", "Content-Type `value`")
	// syndicate serve holds documents gzip-compressed at level 1 with
	// klauspost/compress and sends those bytes; the same library and level
	// here make the same bytes, so both servers write the same bodies.
	level := flag.Int("level", gzip.BestSpeed, "gzip `level` of the compressed variant")
	flag.Parse()
	if *file == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	body, err := os.ReadFile(*file)
	if err != nil {
		log.Fatal(err)
	}
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, *level)
	if err != nil {
		log.Fatal(err)
	}
	zw.Write(body)
	if err := zw.Close(); err != nil {
		log.Fatal(err)
	}
	h := &handler{contentType: *ctype, plain: newDoc(body, ""), gz: newDoc(buf.Bytes(), "-gz")}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	// The address line tells scripts that the server is up (and which
	// port it got for ":0").
	fmt.Printf("listening on %s (%d bytes, %d gzip)\n", ln.Addr(), len(h.plain.body), len(h.gz.body))
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	log.Fatal(srv.Serve(ln))
}
