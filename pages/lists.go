package pages

import (
	"html/template"
	"strconv"
	"strings"
	"time"
)

// A page's lists (a feed page's 20 items, six values each; the index
// page's rows; every page's links) hold most of its values, and were
// most of the cost of a cold build's pages when html/template escaped
// every value through reflect. They are written here by hand instead, to
// the same bytes, which lists_test.go holds them to against html/template
// itself.

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

// appendHTML appends s (a string or bytes) escaped as html/template
// escapes a string in text or a quoted attribute value.
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

// isHex is whether c is a hexadecimal digit.
func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// appendTime appends t in layout, escaped.
func appendTime(b []byte, t time.Time, layout string) []byte {
	var buf [64]byte
	return appendHTML(b, t.AppendFormat(buf[:0], layout))
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
		b = appendTime(b, it.Published, time.RFC3339)
		b = append(b, "\">"...)
		b = appendTime(b, it.Published, dateLayout)
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

// appendAltLinks appends autodiscovery links, one a line, with their
// absolute URLs if absolute, else their Hrefs. Their types are
// constants, written as they are.
func appendAltLinks(b []byte, links []altLink, absolute bool) []byte {
	for _, l := range links {
		b = append(b, `<link rel="alternate" `...)
		b = append(b, l.Type...)
		b = append(b, ` title="`...)
		b = appendHTML(b, l.Title)
		b = append(b, `" href="`...)
		if absolute {
			b = appendURL(b, l.URL)
		} else {
			b = appendURL(b, l.Href)
		}
		b = append(b, "\">\n"...)
	}
	return b
}

// formatsHTML is a page's list of its feed's addresses, each with a copy
// button; a data-url attribute is a URL to html/template.
func formatsHTML(links []formatLink) template.HTML {
	var b []byte
	for _, l := range links {
		b = append(b, `<li><span class="fmt">`...)
		b = appendHTML(b, l.Name)
		b = append(b, `</span> <a href="`...)
		b = appendURL(b, l.Href)
		b = append(b, `"><code>`...)
		b = appendHTML(b, l.URL)
		b = append(b, `</code></a> <button type="button" class="copy" data-url="`...)
		b = appendURL(b, l.URL)
		b = append(b, `" aria-describedby="copied-`...)
		b = appendHTML(b, l.ID)
		b = append(b, `" hidden>Copy</button> <span class="meta" id="copied-`...)
		b = appendHTML(b, l.ID)
		b = append(b, "\" aria-live=\"polite\"></span></li>\n"...)
	}
	return template.HTML(b)
}

// readersHTML is a page's list of one-click subscribe links.
func readersHTML(links []readerLink) template.HTML {
	var b []byte
	for _, l := range links {
		b = append(b, `<li><a href="`...)
		b = appendURL(b, l.URL)
		b = append(b, `" rel="nofollow">`...)
		b = appendHTML(b, l.Name)
		b = append(b, "</a></li>\n"...)
	}
	return template.HTML(b)
}

// rowsHTML is the index page's list of the feeds under one letter.
func rowsHTML(rows []feedRow) template.HTML {
	b := make([]byte, 0, 400*len(rows))
	for _, r := range rows {
		b = append(b, `<li data-name="`...)
		b = appendHTML(b, r.Key)
		b = append(b, `"><a href="`...)
		b = appendURL(b, r.Href)
		b = append(b, `">`...)
		b = appendHTML(b, r.Name)
		b = append(b, `</a> <span class="meta">`...)
		b = strconv.AppendInt(b, int64(r.Count), 10)
		if r.Count == 1 {
			b = append(b, " post"...)
		} else {
			b = append(b, " posts"...)
		}
		if !r.Updated.IsZero() {
			b = append(b, `, updated <time datetime="`...)
			b = appendTime(b, r.Updated, time.RFC3339)
			b = append(b, `">`...)
			b = appendTime(b, r.Updated, dateLayout)
			b = append(b, "</time>"...)
		}
		b = append(b, "</span>"...)
		for _, l := range r.Formats {
			b = append(b, ` <a href="`...)
			b = appendURL(b, l.Href)
			b = append(b, `">`...)
			b = appendHTML(b, l.Name)
			b = append(b, "</a>"...)
		}
		b = append(b, "</li>\n"...)
	}
	return template.HTML(b)
}
