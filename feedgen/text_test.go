package feedgen

import (
	"net/url"
	"strings"
	"testing"

	"github.com/syndicate/syndicate/feedtext"
)

var plainURLCases = []string{
	"https://example.org/", "http://example.org", "https://example.org:8080/a/b?c=d#e", "https://example.org/2024/01/x/",
	"https://", "http:///x", "https://exa mple.org/", "https://example.org/a b", "https://example.org/%41",
	"https://example.org:/x", "https://example.org:1234567/", "https://[::1]/", "https://user@example.org/",
	"https://example.org/ü", "HTTPS://example.org/", "https://example.org\\x", "ftp://example.org/",
	"https://-.-/", "https://example.org:80x/", "https://example.org?q", "https://example.org#f",
}

// TestPlainHTTPURL: whatever the fast path accepts, the general checks
// accept too, and unchanged.
func TestPlainHTTPURL(t *testing.T) {
	accepted := 0
	for _, s := range plainURLCases {
		if plainHTTPURL(s) {
			accepted++
			checkPlainHTTPURL(t, s)
		}
	}
	if accepted < 5 || accepted == len(plainURLCases) {
		t.Errorf("%d of %d accepted; the list should hold both kinds", accepted, len(plainURLCases))
	}
}

func FuzzPlainHTTPURL(f *testing.F) {
	for _, s := range plainURLCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if plainHTTPURL(s) {
			checkPlainHTTPURL(t, s)
		}
	})
}

func checkPlainHTTPURL(t *testing.T, s string) {
	t.Helper()
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Host == "" || u.Scheme != "http" && u.Scheme != "https" {
		t.Errorf("plainHTTPURL(%q) but url.Parse gives %v, %v", s, u, err)
		return
	}
	if feedtext.Plain(strings.TrimSpace(s)) != s || strings.ContainsAny(s, " \t\n<>\"") {
		t.Errorf("plainHTTPURL(%q) but it needs cleaning", s)
	}
}
