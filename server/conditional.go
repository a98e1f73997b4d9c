package server

import (
	"net/http"
	"strings"
	"time"
)

// notModified evaluates If-None-Match (weak comparison, lists, "*") and,
// only without it, If-Modified-Since, as RFC 9110 13.2.2 orders them.
func notModified(r *http.Request, etag string, modified time.Time) bool {
	if inm := r.Header["If-None-Match"]; len(inm) > 0 {
		for _, v := range inm {
			if etagListMatches(v, etag) {
				return true
			}
		}
		return false
	}
	var ims string
	if v := r.Header["If-Modified-Since"]; len(v) > 0 {
		ims = v[0]
	}
	if ims == "" || modified.IsZero() {
		return false
	}
	t, err := http.ParseTime(ims)
	if err != nil {
		return false
	}
	return !modified.Truncate(time.Second).After(t)
}

// etagListMatches compares a list of entity tags with weak comparison:
// W/"x" matches "x".
func etagListMatches(list, etag string) bool {
	want := strings.TrimPrefix(etag, "W/")
	for _, part := range strings.Split(list, ",") {
		part = strings.TrimSpace(part)
		if part == "*" {
			return true
		}
		if strings.TrimPrefix(part, "W/") == want {
			return true
		}
	}
	return false
}
