package pages

import (
	"html/template"
	"strings"
	"time"
)

// The item list of a feed page is its bulk (20 items, six values each)
// and was most of the cost of a cold build's pages when html/template
// escaped every value through reflect; it is written here by hand
// instead, to the same bytes, which items_test.go holds it to against
// html/template itself.

// htmlEscapes are html/template's replacements in text and quoted
// attribute values (its htmlReplacementTable): html.EscapeString's, and
// "+" and NUL, which that leaves alone.
var htmlEscapes = [256]string{
	0:    "\uFFFD",
	'"':  "&#34;",
	'&':  "&amp;",
	'\'': "&#39;",
	'+':  "&#43;",
	'<':  "&lt;",
	'>':  "&gt;",
}

// appendHTML appends s (a string or bytes) escaped as html/template escapes a string in
// text or a quoted attribute value.
func appendHTML[S string | []byte](b []byte, s S) []byte {
	written := 0
	for i := 0; i < len(s); i++ {
		if r := htmlEscapes[s[i]]; r != "" {
			b = append(b, s[written:i]...)
			b = append(b, r...)
			written = i + 1
		}
	}
	return append(b, s[written:]...)
}

// appendURL appends s as html/template writes a string that is a whole
// URL attribute value: a scheme other than http, https or mailto makes
// it "#ZgotmplZ"; bytes a URL may not hold are percent-encoded (valid
// escapes kept); then "&" and "+" are escaped for HTML.
func appendURL(b []byte, s string) []byte {
	if scheme, _, ok := strings.Cut(s, ":"); ok && !strings.Contains(scheme, "/") &&
		!strings.EqualFold(scheme, "http") && !strings.EqualFold(scheme, "https") && !strings.EqualFold(scheme, "mailto") {
		s = "#ZgotmplZ"
	}
	const hex = "0123456789abcdef"
	written := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
			continue
		}
		var r string
		switch c {
		case '-', '.', '_', '~', '!', '#', '$', '*', ',', '/', ':', ';', '=', '?', '@', '[', ']':
			continue
		case '&':
			r = "&amp;"
		case '+':
			r = "&#43;"
		case '%':
			if i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
				continue
			}
		}
		b = append(b, s[written:i]...)
		if r != "" {
			b = append(b, r...)
		} else {
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
		written = i + 1
	}
	return append(b, s[written:]...)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// itemsHTML is a feed page's list of posts, or the line that says there
// are none.
func itemsHTML(items []item) template.HTML {
	if len(items) == 0 {
		return "<p>No posts yet.</p>\n"
	}
	n := 0
	for _, it := range items {
		n += 200 + len(it.Title) + len(it.Link) + len(it.Summary) + len(it.Lang)
	}
	b := make([]byte, 0, n+n/8)
	var t [64]byte
	for _, it := range items {
		b = append(b, "<article"...)
		if it.Lang != "" {
			b = append(b, ` lang="`...)
			b = appendHTML(b, it.Lang)
			b = append(b, '"')
		}
		b = append(b, ">\n<h3><a href=\""...)
		b = appendURL(b, it.Link)
		b = append(b, "\">"...)
		b = appendHTML(b, it.Title)
		b = append(b, "</a></h3>\n<p class=\"meta\"><time datetime=\""...)
		b = appendHTML(b, it.Published.AppendFormat(t[:0], time.RFC3339))
		b = append(b, "\">"...)
		b = appendHTML(b, it.Published.AppendFormat(t[:0], dateLayout))
		b = append(b, "</time></p>\n"...)
		if it.Summary != "" {
			b = append(b, "<p>"...)
			b = appendHTML(b, it.Summary)
			b = append(b, "</p>\n"...)
		}
		b = append(b, "</article>\n"...)
	}
	return template.HTML(b)
}
