// Package directive expands the template directives static site
// generators leave in Markdown posts (Go's present-style templates, Hugo
// shortcodes, Liquid tags) into the Markdown and HTML they stand for, so
// that a feed never shows one as text.
//
// It works on a post's body before the Markdown is rendered, and only
// where the body uses a dialect's syntax: a body without "{{" or "{%"
// comes back as it is, at the cost of one scan for '{'. What a directive
// needs from outside the body (front matter values, site parameters,
// other posts' links, files of the content folder) it asks its Env for,
// so the caller can record what the output depends on.
//
// Directives it cannot resolve are removed, never left as text, and
// reported once per body and name as a Problem with the line they start
// on.
package directive

import (
	"bytes"
	"fmt"
	"html"
	"sort"
	"strings"
)

// RefKind says how a reference to another post names it, since each
// dialect names posts its own way.
type RefKind int

// Reference kinds, as Env.Link receives them.
const (
	// RefPath is a path relative to the post's folder, or to the content
	// folder when it starts with "/" (Markdown links to "x.md").
	RefPath RefKind = iota
	// RefHugo is Hugo's ref/relref argument: a path relative to the post
	// or to the content folder, with or without ".md", or a file name
	// found anywhere.
	RefHugo
	// RefPostURL is Jekyll's post_url argument: a file name without its
	// extension, such as "2010-07-21-name", optionally in a subfolder.
	RefPostURL
	// RefSitePath is Jekyll's link argument: a path from the site's
	// root, such as "_posts/2010-07-21-name.md".
	RefSitePath
)

// Env is what a body's directives may draw on. Nil functions resolve
// nothing.
type Env struct {
	// Template: the post asks for Go's present-style template directives
	// (front matter "template: true").
	Template bool
	// Page looks a value up in the post's front matter (Liquid page.X,
	// Hugo param); dotted keys name nested tables.
	Page func(key string) (string, bool)
	// Site looks up a site value (Liquid site.X, Hugo param's fallback):
	// url, baseurl and title, and what the config's site.params holds.
	Site func(key string) (string, bool)
	// Link gives the published link of the post a reference names, or
	// false when it names none.
	Link func(kind RefKind, target string) (string, bool)
	// File reads a file of the content folder, named relative to the
	// post's folder (present's code and play).
	File func(name string) ([]byte, error)
}

// Problem is a directive that could not be resolved, or content that was
// removed with it.
type Problem struct {
	// Line is the body's line the directive starts on, from 1.
	Line int
	Msg  string
}

// Uses reports whether body may hold directives Expand would act on; a
// body for which it is false comes back from Expand unchanged.
func Uses(body []byte, template bool) bool {
	i := bytes.IndexByte(body, '{')
	for i >= 0 && i+1 < len(body) {
		switch body[i+1] {
		case '%':
			return true
		case '{':
			if template || i+2 < len(body) && (body[i+2] == '<' || body[i+2] == '%' || body[i+2] == ' ' || body[i+2] == '-') {
				return true
			}
		}
		j := bytes.IndexByte(body[i+1:], '{')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

// Expand replaces the directives of body's dialect with what they stand
// for, and reports those it could not resolve. It returns body itself
// when there is nothing to expand.
//
// A post is taken to use one dialect: present templates when env.Template
// is set; else Hugo shortcodes or Liquid, whichever's syntax comes first
// in the body. Liquid is recognised by a tag ("{% name") or by output of
// the site, page or post variables ("{{ site.url }}"), so that "{{ x }}"
// in a post about some other template language stays as written.
func Expand(body []byte, env *Env) ([]byte, []Problem) {
	if env == nil {
		env = &Env{}
	}
	if !Uses(body, env.Template) {
		return body, nil
	}
	x := &expander{src: body, env: env, seen: map[string]bool{}}
	switch {
	case env.Template:
		x.present()
	default:
		h := hugoStart(body)
		l := liquidStart(body)
		switch {
		case h >= 0 && (l < 0 || h < l):
			x.hugo()
		case l >= 0:
			x.liquid()
		default:
			return body, nil
		}
	}
	sort.SliceStable(x.problems, func(i, j int) bool { return x.problems[i].Line < x.problems[j].Line })
	return x.out, x.problems
}

// expander holds one Expand call's state.
type expander struct {
	src      []byte
	out      []byte
	env      *Env
	problems []Problem
	// seen keys reports already made, so each is made once per body.
	seen map[string]bool
	// lineAt, lineOff: the line of src[lineOff], counted incrementally.
	lineAt, lineOff int
}

// line is the line of src[off], from 1. Offsets asked for mostly grow.
func (x *expander) line(off int) int {
	if off < x.lineOff {
		x.lineAt, x.lineOff = 0, 0
	}
	x.lineAt += bytes.Count(x.src[x.lineOff:off], []byte("\n"))
	x.lineOff = off
	return x.lineAt + 1
}

// report records a problem once per key.
func (x *expander) report(off int, key, format string, a ...any) {
	if x.seen[key] {
		return
	}
	x.seen[key] = true
	x.problems = append(x.problems, Problem{Line: x.line(off), Msg: fmt.Sprintf(format, a...)})
}

// link resolves a reference, reporting a dangling one once per target.
// A dangling reference gives "" (a Markdown link to it then points at
// the post itself, and text around it stays readable).
func (x *expander) link(off int, kind RefKind, target, what string) string {
	target = strings.TrimSpace(target)
	if x.env.Link != nil {
		if l, ok := x.env.Link(kind, target); ok {
			return l
		}
	}
	x.report(off, "ref\x00"+target, "%s %q names no published post", what, target)
	return ""
}

// codeBlock is a block of preformatted text, as raw HTML that Markdown
// passes through (an HTML block of type 1 runs to the "</pre>" line
// whatever blank lines it holds). It opens on a line of its own so that
// it is read as a block even where the directive followed text.
func codeBlock(code string) string {
	code = strings.TrimRight(strings.TrimLeft(code, "\n"), " \t\n")
	return "\n<pre><code>" + html.EscapeString(code) + "\n</code></pre>\n"
}

// anchor is a link whose text is its label, or its URL, written as
// Markdown: a raw <a> would have its URL text linked again by the
// Markdown renderer's autolinks, nesting one link in another.
func anchor(u, label string) string {
	if strings.ContainsAny(u, "<> \t\r\n") {
		if label == "" {
			label = u
		}
		return `<a href="` + html.EscapeString(u) + `">` + html.EscapeString(label) + `</a>`
	}
	if label == "" {
		return "<" + u + ">"
	}
	return "[" + markdownText(label) + "](<" + u + ">)"
}

// markdownText escapes text for Markdown: every ASCII punctuation
// character may be backslash-escaped, and none then means anything.
func markdownText(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x80 && (r >= '!' && r <= '/' || r >= ':' && r <= '@' || r >= '[' && r <= '`' || r >= '{' && r <= '~') {
			b.WriteByte('\\')
		}
		if r == '\n' {
			r = ' '
		}
		b.WriteRune(r)
	}
	return b.String()
}
