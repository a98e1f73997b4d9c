package main

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

// words is the Latin vocabulary for titles, tags and body text.
var words = strings.Fields(`
	account action analysis answer archive article attention audience balance
	battery benchmark border bridge budget cache camera campaign capital carbon
	change channel citizen climate cloud code coffee community compiler concert
	conference conflict contract council country culture customer data debate
	decision deficit design developer diplomacy document economy editor
	election energy engine evidence experiment export family farmer feature
	festival film finance forest framework future garden government graph
	harbor health history holiday housing idea image industry inflation
	interview island journal justice kernel kitchen language launch law library
	license market media memory migration minister mission model morning
	mountain museum network newsletter night notebook ocean office opinion
	option package painting parliament pattern people pipeline planet policy
	portrait power press privacy problem process project protocol question
	railway reader recipe region release report research review river robot
	route safety satellite schedule school science season security server
	signal society software solar spring station story strategy street studio
	summer survey system teacher team technology territory theory thread
	timeline tool tourism trade traffic transport travel treaty tutorial
	update valley version village vision voice volunteer water weather website
	winter workshop writer
`)

var verbs = strings.Fields(`build fix measure ship debug migrate rethink explain
	review test deploy cache scale secure rewrite plan design refactor`)

var adjectives = strings.Fields(`quiet hidden simple modern practical global local
	open secret broken better faster new old strange small large remote urban`)

// Non-Latin vocabularies, one per script. spaced tells whether the script
// separates words with spaces.
var scripts = []struct {
	name   string
	spaced bool
	words  []string
}{
	{"Cyrillic", true, strings.Fields(`Россия новости политика экономика технологии
		наука культура история программирование Москва образование спорт
		здоровье искусство музыка выборы переговоры безопасность`)},
	{"Greek", true, strings.Fields(`Ελλάδα ειδήσεις πολιτική οικονομία τεχνολογία
		επιστήμη ιστορία φιλοσοφία μαθηματικά Αθήνα θάλασσα μουσική`)},
	{"Japanese", false, strings.Fields(`日本語 東京 技術 プログラミング ニュース 経済
		文化 旅行 料理 アニメ 音楽 歴史 写真 読書 開発`)},
	{"Chinese", false, strings.Fields(`中文 北京 科技 新闻 经济 文化 历史 编程
		人工智能 旅游 教育 上海 电影 体育`)},
	{"Arabic", true, strings.Fields(`العربية أخبار سياسة اقتصاد تكنولوجيا ثقافة تاريخ
		علوم القاهرة برمجة رياضة صحة`)},
	{"Devanagari", true, strings.Fields(`हिन्दी समाचार राजनीति अर्थव्यवस्था प्रौद्योगिकी
		संस्कृति इतिहास विज्ञान दिल्ली शिक्षा खेल संगीत`)},
}

// specialTags are tag names with symbols, and names that differ only by case
// (a classic source of duplicate feeds or colliding slugs).
var specialTags = []string{
	"Go", "C++", "go", "C#", "Node.js", ".NET", "Россия", "россия", "F#",
	"ASP.NET", "Python", "python", "R&D", "Q&A", "AT&T", "Vue.js", "100%",
	`27" iMac`, "Web 2.0", "i18n", "GO",
}

// tagVocabulary returns n distinct tag names, most frequent first (the
// caller draws ranks from a Zipf distribution). With scripts, about a third
// are non-Latin and the special tags are placed among the top ranks so that
// even a small corpus uses them.
func tagVocabulary(r *rand.Rand, n int, withScripts bool) []string {
	out := make([]string, 0, n)
	seen := map[string]bool{} // lower-cased, so case variants only come from specialTags
	add := func(s string) bool {
		k := strings.ToLower(s)
		if seen[k] {
			return false
		}
		seen[k] = true
		out = append(out, s)
		return true
	}
	var specials []string
	if withScripts {
		specials = specialTags
		for _, s := range specials {
			seen[strings.ToLower(s)] = true
		}
	}
	latin := func() string {
		for tries := 0; tries < 20; tries++ {
			var s string
			switch r.IntN(4) {
			case 0:
				s = oneOf(r, words)
			case 1:
				s = capitalize(oneOf(r, words))
			case 2:
				s = twoOf(r, words, " ")
			default:
				s = oneOf(r, adjectives) + " " + oneOf(r, words)
			}
			if !seen[strings.ToLower(s)] {
				return s
			}
		}
		return "topic " + strconv.Itoa(len(out)+1)
	}
	nonLatin := func() string {
		for tries := 0; tries < 20; tries++ {
			sc := oneOf(r, scripts)
			s := oneOf(r, sc.words)
			if r.IntN(2) == 0 || tries > 3 {
				sep := ""
				if sc.spaced {
					sep = " "
				}
				s = twoOf(r, sc.words, sep)
			}
			if !seen[strings.ToLower(s)] {
				return s
			}
		}
		return latin()
	}
	for len(out) < n {
		rank := len(out)
		switch {
		case rank%6 == 1 && len(specials) > 0:
			out = append(out, specials[0])
			specials = specials[1:]
		case withScripts && rank%3 == 2:
			add(nonLatin())
		default:
			add(latin())
		}
	}
	return out
}

var categoryNames = []string{
	"Uncategorized", "News", "Politics", "Technology", "Science", "Culture",
	"Opinion", "Travel", "Food & Drink", "Programming", "Economy", "Health",
	"Photography", "Books", "Music", "Film", "Sports", "Education",
	"Environment", "History", "Business", "Design", "Security", "Open Source",
	"Personal", "Links", "Reviews", "Tutorials", "Events", "Announcements",
	"Interviews", "Podcasts", "Research", "Gaming", "Art", "Family",
}

var scriptCategories = []string{"Новости", "日本語", "Ελληνικά", "العربية"}

// categoryVocabulary returns n distinct category names, "Uncategorized"
// first. With scripts a few non-Latin names are mixed in.
func categoryVocabulary(n int, withScripts bool) []string {
	out := make([]string, 0, n)
	j := 0
	for i := 0; len(out) < n; i++ {
		switch {
		case withScripts && i%7 == 5 && j < len(scriptCategories):
			out = append(out, scriptCategories[j])
			j++
		case i-j < len(categoryNames):
			out = append(out, categoryNames[i-j])
		default:
			out = append(out, "Category "+strconv.Itoa(i+1))
		}
	}
	return out
}

func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

func titleCase(s string) string {
	f := strings.Fields(s)
	for i, w := range f {
		if i == 0 || len(w) > 3 {
			f[i] = capitalize(w)
		}
	}
	return strings.Join(f, " ")
}

// twoOf joins two different words of vocab.
func twoOf(r *rand.Rand, vocab []string, sep string) string {
	i := r.IntN(len(vocab))
	j := (i + 1 + r.IntN(len(vocab)-1)) % len(vocab)
	return vocab[i] + sep + vocab[j]
}

// pickWords returns n words of vocab with no word repeated back to back.
func pickWords(r *rand.Rand, vocab []string, n int) []string {
	p := make([]string, n)
	for i := range p {
		p[i] = oneOf(r, vocab)
		for i > 0 && p[i] == p[i-1] {
			p[i] = oneOf(r, vocab)
		}
	}
	return p
}

func phrase(r *rand.Rand, n int) string { return strings.Join(pickWords(r, words, n), " ") }

// nonLatinPhrase returns 2-5 words of one randomly chosen script.
func nonLatinPhrase(r *rand.Rand) string {
	sc := oneOf(r, scripts)
	sep := ""
	if sc.spaced {
		sep = " "
	}
	return strings.Join(pickWords(r, sc.words, 2+r.IntN(4)), sep)
}

// title returns a post title. Titles contain, with small probabilities,
// WordPress-style HTML entities (&#8211; &#8217; &#8220; &amp;), raw double
// quotes, backslashes, colons and accented letters; with scripts, about one
// in six is in a non-Latin script.
func title(r *rand.Rand, withScripts bool, tags []string) string {
	if withScripts && r.IntN(6) == 0 {
		t := nonLatinPhrase(r)
		switch r.IntN(4) {
		case 0:
			t += ": " + titleCase(phrase(r, 2)) // mixed, gives a Latin slug
		case 1:
			t = "«" + t + "»"
		}
		return t
	}
	tag := "Go"
	if len(tags) > 0 {
		tag = tags[r.IntN(min(len(tags), 50))]
	}
	switch r.IntN(16) {
	case 0:
		return titleCase(phrase(r, 2)) + " &#8211; " + titleCase(phrase(r, 3))
	case 1:
		return "Q&amp;A: " + titleCase(phrase(r, 3+r.IntN(3)))
	case 2:
		return titleCase(phrase(r, 1)) + " &amp; " + titleCase(phrase(r, 2))
	case 3:
		return "Why &#8220;" + phrase(r, 2) + "&#8221; Matters"
	case 4:
		return `The "` + titleCase(phrase(r, 2)) + `" Problem`
	case 5:
		return "Don&#8217;t " + capitalize(oneOf(r, verbs)) + " the " + titleCase(phrase(r, 2))
	case 6:
		return "How to " + capitalize(oneOf(r, verbs)) + " a " + titleCase(oneOf(r, adjectives)+" "+oneOf(r, words)) + " with " + tag
	case 7:
		return titleCase(phrase(r, 2)) + ": " + capitalize(phrase(r, 4+r.IntN(4)))
	case 8:
		if r.IntN(3) == 0 {
			return `Escaping \n and \" in ` + tag + ` strings`
		}
		return "Notes on " + titleCase(oneOf(r, words)) + " — Café, Zürich & São Paulo"
	case 9:
		return strconv.Itoa(3+r.IntN(12)) + " " + titleCase(oneOf(r, adjectives)+" "+oneOf(r, words)) + " Tips for " + strconv.Itoa(2010+r.IntN(16))
	case 10:
		return tag + " " + strconv.Itoa(1+r.IntN(3)) + "." + strconv.Itoa(r.IntN(25)) + " Released: " + capitalize(phrase(r, 3))
	default:
		return titleCase(oneOf(r, adjectives) + " " + phrase(r, 2+r.IntN(6)))
	}
}
