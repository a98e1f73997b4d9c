package pages

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/syndicate/syndicate/feedgen"
)

var update = flag.Bool("update", false, "rewrite testdata/wordpress-urls.nginx.conf")

var wordpress = Options{WordPress: &WordPress{TagBase: "tag", CategoryBase: "category"}}

// nginxDoc makes the include of plan with opts.
func nginxDoc(t *testing.T, plan *feedgen.Plan, opts Options) (*feedgen.Document, error) {
	t.Helper()
	s := New(plan, opts)
	for _, d := range s.docs {
		if d.kind == nginxInclude {
			return s.document(d)
		}
	}
	t.Fatal("no include planned")
	return nil, nil
}

// TestNginxInclude: the include is planned only when asked for, and is
// the reviewed file (testdata/wordpress-urls.nginx.conf, -update to
// write it again). What it does is tested with a real nginx against
// serve in cmd/syndicate's TestNginxEndToEnd.
func TestNginxInclude(t *testing.T) {
	plan := newPlan(t, testPosts())
	if slices.Contains(New(plan, Options{}).Paths(), NginxName) {
		t.Error("include planned without Options.WordPress")
	}
	if !slices.Contains(New(plan, wordpress).Paths(), NginxName) {
		t.Error("include not planned with Options.WordPress")
	}
	d, err := nginxDoc(t, plan, wordpress)
	if err != nil {
		t.Fatal(err)
	}
	if d.ContentType != NginxType || d.Format != Nginx || d.Path != NginxName {
		t.Errorf("type %q, format %q, path %q", d.ContentType, d.Format, d.Path)
	}
	golden := filepath.Join("testdata", NginxName)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, d.Body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(d.Body, want) {
		t.Errorf("include differs from %s (-update to accept):\n%s", golden, d.Body)
	}
	// Built again from the same inputs: the same bytes, and Build keeps
	// it from an earlier snapshot.
	docs, made, err := New(plan, wordpress).Build(t.Context(), &feedgen.Snapshot{Docs: map[string]*feedgen.Document{NginxName: d}})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range docs {
		if x.Path == NginxName && x != d {
			t.Error("include made again with the same fingerprint")
		}
	}
	if made != len(docs)-1 {
		t.Errorf("made %d of %d", made, len(docs))
	}
}

// TestNginxStandIns: the forms asking for a format the site does not
// write get the one serve gives in its place.
func TestNginxStandIns(t *testing.T) {
	for _, tc := range []struct {
		formats   []feedgen.Format
		rss, atom string
	}{
		{[]feedgen.Format{feedgen.JSON, feedgen.Atom}, "feed.atom", "feed.atom"},
		{[]feedgen.Format{feedgen.RSS}, "feed.rss", "feed.rss"},
		{[]feedgen.Format{feedgen.JSON}, "feed.json", "feed.json"},
		{[]feedgen.Format{feedgen.JSON, feedgen.RSS}, "feed.rss", "feed.rss"},
		{[]feedgen.Format{feedgen.Atom, feedgen.RSS}, "feed.rss", "feed.atom"},
	} {
		d, err := nginxDoc(t, newPlan(t, testPosts(), tc.formats...), wordpress)
		if err != nil {
			t.Fatal(err)
		}
		body := string(d.Body)
		for form, want := range map[string]string{`(?:/(?:rss2|rss|rdf))?/?$" "/feeds/`: tc.rss, `/feed/atom/?$" "/feeds/`: tc.atom} {
			i := strings.Index(body, form)
			if i < 0 || !strings.HasPrefix(body[i+len(form):], want+`" last;`) {
				t.Errorf("%v: site feed's %s form does not answer with %s:\n%s", tc.formats, form, want, body)
			}
		}
	}
}

// TestNginxQuoting: bases and a feeds path with characters nginx's
// parser or PCRE would read otherwise are matched literally and parse
// (nginx -t, where nginx is installed); a path nginx cannot rewrite to
// is an error naming the key.
func TestNginxQuoting(t *testing.T) {
	site := testSite()
	site.FeedsURL = `https://example.org/f%C3%BCr%20%22x%22%5C%7B%7D;/`
	plan := mustPlan(t, site, feedgen.Options{Limit: 20})
	opts := Options{WordPress: &WordPress{TagBase: `sch.lag{2}"wort\`, CategoryBase: `k$a (t)|e;`}}
	d, err := nginxDoc(t, plan, opts)
	if err != nil {
		t.Fatal(err)
	}
	body := string(d.Body)
	var rules []*regexp.Regexp
	for _, l := range strings.Split(body, "\n") {
		if !strings.HasPrefix(l, "rewrite ") {
			continue
		}
		toks := nginxTokens(t, l)
		rules = append(rules, regexp.MustCompile(toks[1]))
		if want := `/für "x"\{};/`; !strings.HasPrefix(toks[2], want) {
			t.Errorf("rewrite to %q, want under %q", toks[2], want)
		}
	}
	if len(rules) != 8 {
		t.Fatalf("%d path rules:\n%s", len(rules), body)
	}
	for _, tc := range []struct {
		uri  string
		rule int // index in rules, -1 for none
	}{
		{`/sch.lag{2}"wort\/go/feed/`, 2},
		{`/schXlag{2}"wort\/go/feed/`, -1},
		{`/schlagg"wort\/go/feed/`, -1},
		{`/k$a (t)|e;/a/b/feed/atom/`, 5},
		{`/k$a (t)|e;/a/b/feed/`, 4},
		{`/ka (t)|e;/b/feed/`, -1},
	} {
		got := -1
		for i, re := range rules {
			if re.MatchString(tc.uri) {
				got = i
				break
			}
		}
		if got != tc.rule {
			t.Errorf("%s: rule %d, want %d", tc.uri, got, tc.rule)
		}
	}
	nginxParses(t, body)

	for _, bad := range []string{"https://example.org/f$x/", "https://example.org/f%3Fx/"} {
		site.FeedsURL = bad
		if _, err := nginxDoc(t, mustPlan(t, site, feedgen.Options{Limit: 20}), opts); err == nil || !strings.Contains(err.Error(), "site.feeds_url") {
			t.Errorf("%s: err %v", bad, err)
		}
	}
	site = testSite()
	opts.WordPress.TagBase = "tag\nreturn 302 https://elsewhere/;"
	if _, err := nginxDoc(t, mustPlan(t, site, feedgen.Options{Limit: 20}), opts); err == nil {
		t.Error("a base with a line break makes an include")
	}
}

// nginxTokens splits a directive line into nginx's tokens, reading
// double-quoted ones as nginx does (\" and \\ escaped).
func nginxTokens(t *testing.T, line string) []string {
	t.Helper()
	var toks []string
	for s := strings.TrimSuffix(line, ";"); s != ""; {
		s = strings.TrimLeft(s, " ")
		if s == "" {
			break
		}
		if s[0] != '"' {
			tok, rest, _ := strings.Cut(s, " ")
			toks = append(toks, tok)
			s = rest
			continue
		}
		var b strings.Builder
		i := 1
		for ; i < len(s) && s[i] != '"'; i++ {
			if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
				i++
			}
			b.WriteByte(s[i])
		}
		if i == len(s) {
			t.Fatalf("unterminated token in %s", line)
		}
		toks = append(toks, b.String())
		s = s[i+1:]
	}
	return toks
}

// nginxParses runs nginx -t on a server block including the include, if
// nginx is installed (.ci/run installs it).
func nginxParses(t *testing.T, include string) {
	t.Helper()
	const bin = "/usr/sbin/nginx"
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("nginx missing in CI (.ci/run installs it)")
		}
		t.Logf("%s missing: the include is not parsed by nginx", bin)
		return
	}
	dir := t.TempDir()
	inc := filepath.Join(dir, NginxName)
	if err := os.WriteFile(inc, []byte(include), 0o644); err != nil {
		t.Fatal(err)
	}
	version, _ := exec.Command(bin, "-V").CombinedOutput()
	var temps strings.Builder
	for _, m := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		if !bytes.Contains(version, []byte("--without-http_"+m+"_module")) {
			fmt.Fprintf(&temps, "%s_temp_path %s;\n", m, filepath.Join(dir, m))
		}
	}
	conf := fmt.Sprintf("pid %[1]s/nginx.pid;\nerror_log %[1]s/error.log;\nevents {}\nhttp {\naccess_log off;\n%[2]sserver {\nlisten 127.0.0.1:1;\ninclude %[3]s;\n}\n}\n", dir, temps.String(), inc)
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-t", "-q", "-p", dir+"/", "-e", filepath.Join(dir, "error.log"), "-c", path).CombinedOutput()
	if err != nil {
		t.Errorf("nginx -t: %v\n%s", err, out)
	}
}
