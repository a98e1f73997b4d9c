package feedtext

import (
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

func TestPlainAndHTML(t *testing.T) {
	for _, tc := range []struct{ in, plain, html string }{
		{"plain", "plain", "plain"},
		{"tab\tnew\nline\r", "tab\tnew\nline\r", "tab\tnew\nline\r"},
		{"a\x00b\x01c\x1fd\x0b\x0c", "abcd", "abcd"},
		{"del\x7f", "del", "del"},
		{"nel\u0085 quote\u0092s \u0080", "nel… quote’s €", "nel… quote’s €"},
		{"undefined\u0081\u008d\u008f\u0090\u009d", "undefined", "undefined"},
		{"\ufffe\uffff\ufdd0\ufdef\U0001fffe\U0010ffff", "", ""},
		{"\ufdcf\ufdf0\U0001fffd\U0001f600", "\ufdcf\ufdf0\U0001fffd\U0001f600", "\ufdcf\ufdf0\U0001fffd\U0001f600"},
		{"repl\ufffd", "repl", "repl&#xFFFD;"},
		{"bad\xffutf8\xc3", "badutf8", "bad&#xFFFD;utf8&#xFFFD;"},
		{"ünïcödé 日本語 “quotes” 𠀀", "ünïcödé 日本語 “quotes” 𠀀", "ünïcödé 日本語 “quotes” 𠀀"},
		{"\u00a0nbsp \u00c2", "\u00a0nbsp \u00c2", "\u00a0nbsp \u00c2"}, // 0xC2 0xA0 and 0xC3 0x82 are fine
		{"\uefbf\ufeff", "\uefbf\ufeff", "\uefbf\ufeff"},                // 0xEF lead bytes that are fine
		{"<p>a &amp; b</p>", "<p>a &amp; b</p>", "<p>a &amp; b</p>"},    // markup is not theirs to change
	} {
		if got := Plain(tc.in); got != tc.plain {
			t.Errorf("Plain(%q) = %q, want %q", tc.in, got, tc.plain)
		}
		if got := HTML(tc.in); got != tc.html {
			t.Errorf("HTML(%q) = %q, want %q", tc.in, got, tc.html)
		}
	}
}

// TestC1MatchesWindows1252: the table taken from html.UnescapeString
// agrees with Windows-1252 as golang.org/x/text decodes it wherever that
// code page defines a character.
func TestC1MatchesWindows1252(t *testing.T) {
	dec := charmap.Windows1252.NewDecoder()
	for b := 0x80; b <= 0x9F; b++ {
		s, err := dec.String(string([]byte{byte(b)}))
		if err != nil {
			t.Fatal(err)
		}
		want, _ := utf8.DecodeRuneInString(s)
		if want >= 0x80 && want <= 0x9F || want == utf8.RuneError {
			want = -1
		}
		if got := Rune(rune(b)); got != want {
			t.Errorf("Rune(%U) = %U, want %U", b, got, want)
		}
	}
}

func FuzzClean(f *testing.F) {
	for _, s := range []string{"", "a\x00b", "\u0085\ufffd\ufffe", "\xff\xc2", "日本語\x7f", "<p>x ]]> y</p>",
		"eight ok\x7fand more", "<p>0123456</p>\n<p>\x01</p>", "abcdefgh\u0085ijklmnop", "abcdefghijklmno\xff",
		"long clean ascii text!", "emoji \U0001f600 and \U0001fffe", "\ufdd0 in the middle of longer text"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for name, fn := range map[string]func(string) string{"Plain": Plain, "HTML": HTML} {
			out := fn(s)
			if !utf8.ValidString(out) || !clean(out) {
				t.Fatalf("%s(%q) = %q is not clean", name, s, out)
			}
			if fn(out) != out {
				t.Fatalf("%s is not idempotent on %q", name, s)
			}
			if clean(s) != (out == s) {
				t.Fatalf("%s: fast path says %v for %q, but cleaning gives %q", name, clean(s), s, out)
			}
			for _, r := range out {
				if Rune(r) != r {
					t.Fatalf("%s(%q) keeps %U", name, s, r)
				}
			}
		}
	})
}
