package main

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

// block kinds and their relative weights.
const (
	blkParagraph = iota
	blkHeading
	blkBullets
	blkNumbered
	blkQuote
	blkCode
	blkImage
	blkFigure
	blkMark
	blkDiv
	blkTable
	blkEmbed
	blkRule
)

var blockWeights = []int{
	blkParagraph: 30,
	blkHeading:   5,
	blkBullets:   5,
	blkNumbered:  3,
	blkQuote:     5,
	blkCode:      4,
	blkImage:     3,
	blkFigure:    2,
	blkMark:      2,
	blkDiv:       1,
	blkTable:     2,
	blkEmbed:     1,
	blkRule:      1,
}

// bodyGen holds the state for generating one post body.
type bodyGen struct {
	r       *rand.Rand
	scripts bool
	posts   []post
	self    int
	notes   int // footnotes referenced so far
	nnotes  int // footnotes to reference
}

// appendBody appends a Markdown body of between c.MinSize and c.MaxSize
// bytes (as long as those leave room for at least one block) to b.
func appendBody(b []byte, r *rand.Rand, c config, posts []post, i int) []byte {
	g := &bodyGen{r: r, scripts: c.Scripts, posts: posts, self: i}
	switch x := r.IntN(10); {
	case x < 2:
		g.nnotes = 1
	case x < 3:
		g.nnotes = 2
	}
	var defs []byte
	for n := 1; n <= g.nnotes; n++ {
		defs = append(defs, "[^"...)
		defs = strconv.AppendInt(defs, int64(n), 10)
		defs = append(defs, "]: "...)
		defs = g.sentence(defs, 8+r.IntN(10), false)
		if r.IntN(2) == 0 {
			defs = append(defs, " See "...)
			defs = g.link(defs, "the source")
			defs = append(defs, '.')
		}
		defs = append(defs, '\n')
	}

	if 2*len(defs) > c.MaxSize { // tiny bodies: no footnotes
		g.nnotes, defs = 0, nil
	}

	start := len(b)
	size := func() int { return len(b) - start }
	target := c.MinSize + r.IntN(c.MaxSize-c.MinSize+1) - len(defs)
	limit := c.MaxSize - len(defs) - 1
	if g.nnotes > 0 {
		limit -= len("Notes[^1][^2].\n\n") // room for the fallback below
	}

	for first := true; size() < target; first = false {
		mark, notes := len(b), g.notes
		if first {
			b = g.paragraph(b)
			if r.IntN(4) == 0 {
				b = append(b, "<!--more-->\n\n"...)
			}
		} else {
			b = g.block(b, weighted(r, blockWeights))
		}
		if size() > limit {
			b, g.notes = b[:mark], notes
			// Top up with short sentences until the minimum is reached.
			for size() < c.MinSize-len(defs) {
				m := len(b)
				b = g.sentence(b, 4+r.IntN(8), true)
				b = append(b, "\n\n"...)
				if size() > limit {
					b = b[:m]
					break
				}
			}
			break
		}
	}
	if g.notes < g.nnotes {
		// Not enough paragraphs to carry all references.
		b = append(b, "Notes"...)
		for g.notes < g.nnotes {
			g.notes++
			b = append(b, "[^"...)
			b = strconv.AppendInt(b, int64(g.notes), 10)
			b = append(b, ']')
		}
		b = append(b, ".\n\n"...)
	}
	b = append(b, defs...)
	// Exactly one trailing newline.
	for len(b) > start && b[len(b)-1] == '\n' {
		b = b[:len(b)-1]
	}
	return append(b, '\n')
}

func (g *bodyGen) block(b []byte, kind int) []byte {
	r := g.r
	switch kind {
	case blkHeading:
		b = append(b, "##"...)
		if r.IntN(3) == 0 {
			b = append(b, '#')
		}
		b = append(b, ' ')
		b = append(b, titleCase(oneOf(r, adjectives)+" "+phrase(r, 1+r.IntN(3)))...)
		b = append(b, "\n\n"...)
	case blkBullets, blkNumbered:
		bullet := oneOf(r, []string{"- ", "* "})
		n := 3 + r.IntN(4)
		for k := 1; k <= n; k++ {
			if kind == blkNumbered {
				b = strconv.AppendInt(b, int64(k), 10)
				b = append(b, ". "...)
			} else {
				b = append(b, bullet...)
			}
			b = g.sentence(b, 3+r.IntN(9), true)
			b = append(b, '\n')
			if kind == blkBullets && r.IntN(6) == 0 {
				b = append(b, "  "...)
				b = append(b, bullet...)
				b = g.sentence(b, 3+r.IntN(5), true)
				b = append(b, '\n')
			}
		}
		b = append(b, '\n')
	case blkQuote:
		n := 1 + r.IntN(3)
		for k := range n {
			if k > 0 {
				b = append(b, "> \n"...)
			}
			b = append(b, "> "...)
			for s := 1 + r.IntN(3); s > 0; s-- {
				b = g.sentence(b, 8+r.IntN(14), true)
				if s > 1 {
					b = append(b, ' ')
				}
			}
			b = append(b, '\n')
		}
		if r.IntN(3) == 0 {
			b = append(b, "> \n> — "...)
			b = append(b, oneOf(r, authors)...)
			b = append(b, '\n')
		}
		b = append(b, '\n')
	case blkCode:
		b = g.code(b)
	case blkImage:
		b = append(b, "!["...)
		b = append(b, capitalize(phrase(r, 1+r.IntN(4)))...)
		b = append(b, "]("...)
		y, m := g.uploadDate()
		name := oneOf(r, words) + "-" + strconv.Itoa(r.IntN(1000))
		switch r.IntN(4) {
		case 0:
			b = append(b, "../img/"+name+".png"...)
		case 1:
			b = append(b, "/wp-content/uploads/"+y+"/"+m+"/"+name+".jpg"...)
		default:
			b = append(b, siteURL+"/wp-content/uploads/"+y+"/"+m+"/"+name+".jpg"...)
		}
		if r.IntN(3) == 0 {
			b = append(b, ` "`...)
			b = append(b, capitalize(phrase(r, 3))...)
			b = append(b, '"')
		}
		b = append(b, ")\n\n"...)
	case blkFigure:
		y, m := g.uploadDate()
		base := "/wp-content/uploads/" + y + "/" + m + "/" + oneOf(r, words) + "-" + strconv.Itoa(r.IntN(1000))
		b = append(b, `<figure class="wp-block-image size-large"><img loading="lazy" width="1024" height="683" src="`...)
		b = append(b, base+`.jpg" alt="`...)
		b = append(b, capitalize(phrase(r, 3))...)
		b = append(b, `" srcset="`+base+`-300x200.jpg 300w, `+base+`-600x400.jpg 600w, `+base+`.jpg 1024w" sizes="(max-width: 1024px) 100vw, 1024px" />`...)
		if r.IntN(2) == 0 {
			b = append(b, "<figcaption>"...)
			b = append(b, capitalize(phrase(r, 4))...)
			b = append(b, " &amp; more</figcaption>"...)
		}
		b = append(b, "</figure>\n\n"...)
	case blkMark:
		m := `<mark class="has-inline-color has-accent-color" style="background-color:rgba(0, 0, 0, 0)">` +
			capitalize(phrase(r, 5+r.IntN(6))) + `</mark>`
		switch r.IntN(3) {
		case 0: // the export quirk seen in the sample: inline HTML inside a code span
			b = append(b, "`<strong>"+m+"</strong>`**s**"...)
		case 1:
			b = append(b, "<strong>"+m+"</strong> "...)
			b = g.sentence(b, 6+r.IntN(8), true)
		default:
			b = g.sentence(b, 6+r.IntN(8), true)
			b = append(b, " "+m+"."...)
		}
		b = append(b, "\n\n"...)
	case blkDiv:
		b = append(b, `<div class="wp-block-group has-background" style="background-color:#f5f5f5"><div class="wp-block-group__inner-container">`+"\n\n"...)
		b = g.paragraph(b)
		b = append(b, "</div></div>\n\n"...)
	case blkTable:
		b = g.table(b)
	case blkEmbed:
		if r.IntN(2) == 0 {
			handle := oneOf(r, words) + strconv.Itoa(r.IntN(100))
			b = append(b, `<blockquote class="twitter-tweet"><p lang="en" dir="ltr">`...)
			b = g.sentence(b, 8+r.IntN(8), false)
			b = append(b, `</p>&mdash; `+capitalize(handle)+` (@`+handle+`) <a href="https://twitter.com/`+handle+`/status/`...)
			b = strconv.AppendUint(b, 1e18+r.Uint64N(1e18), 10)
			b = append(b, `">March 3, 2021</a></blockquote> <script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>`+"\n\n"...)
		} else {
			b = append(b, `<figure class="wp-block-embed is-type-video is-provider-youtube"><div class="wp-block-embed__wrapper"><iframe width="560" height="315" src="https://www.youtube.com/embed/`...)
			const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"
			for range 11 {
				b = append(b, alphabet[r.IntN(len(alphabet))])
			}
			b = append(b, `" title="YouTube video player" frameborder="0" allow="autoplay; encrypted-media" allowfullscreen></iframe></div></figure>`+"\n\n"...)
		}
	case blkRule:
		b = append(b, oneOf(r, []string{"---", "* * *", "***"})...)
		b = append(b, "\n\n"...)
	default:
		b = g.paragraph(b)
	}
	return b
}

// paragraph appends 2-6 sentences; it carries a pending footnote reference.
func (g *bodyGen) paragraph(b []byte) []byte {
	r := g.r
	n := 2 + r.IntN(5)
	note := g.notes < g.nnotes && r.IntN(2) == 0
	if note {
		g.notes++
	}
	at := r.IntN(n)
	for k := range n {
		if k > 0 {
			b = append(b, ' ')
		}
		b = g.sentence(b, 6+r.IntN(14), true)
		if note && k == at {
			b = append(b, "[^"...)
			b = strconv.AppendInt(b, int64(g.notes), 10)
			b = append(b, ']')
		}
	}
	return append(b, "\n\n"...)
}

// sentence appends n words of text ending in punctuation, with inline
// Markdown (emphasis, links, code spans, escapes) when inline is set.
func (g *bodyGen) sentence(b []byte, n int, inline bool) []byte {
	r := g.r
	if g.scripts && r.IntN(25) == 0 {
		p := nonLatinPhrase(r)
		b = append(b, p...)
		if p[0] >= 0xE3 { // CJK (U+3000 and above)
			return append(b, "。"...)
		}
		return append(b, oneOf(r, []string{".", ".", "!", "?"})...)
	}
	for k := 0; k < n; k++ {
		if k > 0 {
			b = append(b, ' ')
		}
		// One random number picks the word and any inline decoration.
		x := r.Uint64()
		w := words[(x&0xFFFFFFFF)%uint64(len(words))]
		if k == 0 {
			w = capitalize(w)
		}
		if !inline || (x>>32)%9 != 0 {
			b = append(b, w...)
			continue
		}
		switch (x >> 40) % 12 {
		case 0, 1:
			b = append(b, "**"+w+" "+oneOf(r, words)+"**"...)
		case 2:
			b = append(b, "*"+w+"*"...)
		case 3:
			b = append(b, "_"+w+"_"...)
		case 4:
			b = append(b, "***“"+w+" "+oneOf(r, words)+"”***"...)
		case 5, 6:
			b = g.link(b, w+" "+oneOf(r, words))
		case 7:
			b = append(b, "`"+w+"()`"...)
		case 8:
			b = append(b, w[:1]+`\*`+w[1:]...) // like "bullsh\*t" in the sample
		case 9:
			b = append(b, w+" — "+oneOf(r, words)...)
		case 10:
			b = append(b, w+"’s"...)
		default:
			b = append(b, w+" &amp; "+oneOf(r, words)...)
		}
	}
	return append(b, oneOf(r, []string{".", ".", ".", ".", "!", "?", "!!"})...)
}

// link appends [text](url) to an external site, another post (absolute or
// root-relative), a relative file, an anchor or a mail address.
func (g *bodyGen) link(b []byte, text string) []byte {
	r := g.r
	b = append(b, '[')
	b = append(b, text...)
	b = append(b, "]("...)
	switch r.IntN(10) {
	case 0, 1:
		b = append(b, "https://en.wikipedia.org/wiki/"+capitalize(oneOf(r, words))...)
	case 2:
		b = append(b, "https://www.nbcnews.com/news/world/"+oneOf(r, words)+"-"+oneOf(r, words)+"-rcna"...)
		b = strconv.AppendInt(b, int64(10000+r.IntN(90000)), 10)
	case 3:
		b = append(b, "https://github.com/example/"+oneOf(r, words)+"?tab=readme&lang=en"...)
	case 4, 5:
		b = append(b, g.other().path()...)
	case 6:
		b = append(b, siteURL+g.other().path()...)
	case 7:
		b = append(b, "../files/"+oneOf(r, words)+"-report.pdf"...)
	case 8:
		b = append(b, "#"+oneOf(r, words)...)
	default:
		b = append(b, "mailto:"+oneOf(r, words)+"@example.org"...)
	}
	return append(b, ')')
}

// other returns an earlier post (or any post, for the first one).
func (g *bodyGen) other() *post {
	if g.self > 0 {
		return &g.posts[g.r.IntN(g.self)]
	}
	return &g.posts[g.r.IntN(len(g.posts))]
}

func (g *bodyGen) uploadDate() (year, month string) {
	p := &g.posts[g.self]
	return p.Published.Format("2006"), p.Published.Format("01")
}

var codeSnippets = []struct{ lang, text string }{
	{"go", "func %s(ctx context.Context) error {\n\tif err := run(ctx); err != nil {\n\t\treturn fmt.Errorf(\"%s: %%w\", err)\n\t}\n\treturn nil\n}"},
	{"bash", "$ curl -fsSL https://example.org/%s.sh | sh\n$ export %s=\"a & b\" && echo \"$%s\" > /tmp/out.txt"},
	{"json", "{\n  \"%s\": [1, 2, 3],\n  \"html\": \"<b>%s</b> &amp; more\",\n  \"ok\": true\n}"},
	{"yaml", "---\ntitle: \"%s\"\ntags: [a, b]\n---\n# %s"},
	{"python", "def %s(x):\n    return [y for y in x if y < 10 and y > 2]  # %s"},
	{"html", "<div class=\"%s\">\n  <p>Hello &amp; <em>%s</em></p>\n</div>"},
	{"", "%s <-- plain text block -->\n    indented %s"},
}

func (g *bodyGen) code(b []byte) []byte {
	r := g.r
	s := oneOf(r, codeSnippets)
	b = append(b, "```"+s.lang+"\n"...)
	text := s.text
	for strings.Contains(text, "%s") {
		text = strings.Replace(text, "%s", oneOf(r, words), 1)
	}
	b = append(b, strings.ReplaceAll(text, "%%", "%")...)
	return append(b, "\n```\n\n"...)
}

func (g *bodyGen) table(b []byte) []byte {
	r := g.r
	cols := 2 + r.IntN(3)
	aligns := []string{"---", ":---", "---:", ":---:"}
	row := func(b []byte, cell func(int) string) []byte {
		b = append(b, '|')
		for c := range cols {
			b = append(b, ' ')
			b = append(b, cell(c)...)
			b = append(b, " |"...)
		}
		return append(b, '\n')
	}
	b = row(b, func(int) string { return capitalize(oneOf(r, words)) })
	b = row(b, func(int) string { return oneOf(r, aligns) })
	for range 2 + r.IntN(4) {
		b = row(b, func(c int) string {
			switch {
			case c == 0:
				return oneOf(r, words)
			case r.IntN(6) == 0:
				return "`a \\| b`"
			case r.IntN(5) == 0:
				return "**" + oneOf(r, words) + "**"
			default:
				return strconv.Itoa(r.IntN(10000))
			}
		})
	}
	return append(b, '\n')
}
