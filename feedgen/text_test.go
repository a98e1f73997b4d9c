package feedgen

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCleanText(t *testing.T) {
	for _, tc := range []struct{ in, text, html string }{
		{"plain", "plain", "plain"},
		{"tab\tnew\nline\r", "tab\tnew\nline\r", "tab\tnew\nline\r"},
		{"a\x00b\x01c\x1fd", "abcd", "abcd"},
		{"del\x7f", "del", "del&#x7F;"},
		{"nel\u0085c1\u009f", "nelc1", "nel&#x85;c1&#x9F;"},
		{"\ufffe\uffff", "", ""},
		{"repl\ufffd", "repl\ufffd", "repl&#xFFFD;"},
		{"bad\xffutf8\xc3", "bad\ufffdutf8\ufffd", "bad&#xFFFD;utf8&#xFFFD;"},
		{"ünïcödé 日本語 “quotes” 𠀀", "ünïcödé 日本語 “quotes” 𠀀", "ünïcödé 日本語 “quotes” 𠀀"},
		{"\u00a0nbsp \u00c2", "\u00a0nbsp \u00c2", "\u00a0nbsp \u00c2"}, // 0xC2 0xA0 and 0xC3 0x82 are fine
		{"\uefbf\ufeff", "\uefbf\ufeff", "\uefbf\ufeff"},                // 0xEF lead bytes that are fine
	} {
		if got := cleanText(tc.in); got != tc.text {
			t.Errorf("cleanText(%q) = %q, want %q", tc.in, got, tc.text)
		}
		if got := cleanHTML(tc.in); got != tc.html {
			t.Errorf("cleanHTML(%q) = %q, want %q", tc.in, got, tc.html)
		}
	}
}

func FuzzClean(f *testing.F) {
	for _, s := range []string{"", "a\x00b", "\u0085\ufffd\ufffe", "\xff\xc2", "日本語\x7f", "<p>x ]]> y</p>",
		"eight ok\x7fand more", "<p>0123456</p>\n<p>\x01</p>", "abcdefgh\u0085ijklmnop", "abcdefghijklmno\xff", "long clean ascii text!"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for name, clean := range map[string]func(string) string{"cleanText": cleanText, "cleanHTML": cleanHTML} {
			markup := name == "cleanHTML"
			out := clean(s)
			if !utf8.ValidString(out) || !textIsClean(out, markup) {
				t.Fatalf("%s(%q) = %q is not clean", name, s, out)
			}
			if clean(out) != out {
				t.Fatalf("%s is not idempotent on %q", name, s)
			}
			if textIsClean(s, markup) != (out == s) {
				t.Fatalf("%s: fast path says %v for %q, but cleaning gives %q", name, textIsClean(s, markup), s, out)
			}
			for _, r := range out {
				if forbidden(r) || control(r) || markup && r == utf8.RuneError {
					t.Fatalf("%s(%q) keeps %U", name, s, r)
				}
			}
		}
	})
}

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
	if cleanText(strings.TrimSpace(s)) != s || strings.ContainsAny(s, " \t\n<>\"") {
		t.Errorf("plainHTTPURL(%q) but it needs cleaning", s)
	}
}
