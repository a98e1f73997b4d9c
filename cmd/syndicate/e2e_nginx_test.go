package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/syndicate/syndicate/feedgen"
	"github.com/syndicate/syndicate/pages"
)

const nginxBin = "/usr/sbin/nginx"

// TestNginxEndToEnd runs `syndicate serve` on the example content behind a
// real nginx configured with deploy/nginx.conf (the README's snippet, only
// the two ports substituted), fetches every document through the proxy,
// checks types, validators, 304s and gzip, then runs the project's
// independent feed checkers against the proxy. A second nginx serves
// `syndicate build`'s output as files (deploy/nginx-static.conf) with the
// WordPress include, and must answer every WordPress feed URL as serve
// does (testWordPressStatic).
func TestNginxEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	if _, err := os.Stat(nginxBin); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not installed (.ci/run installs Debian's nginx-light; CI must run the nginx test)", nginxBin)
		}
		t.Skipf("%s not installed (Debian package nginx-light)", nginxBin)
	}
	const wordpress = "  wordpress_urls: true\n  wordpress_category_base: kategorie\n"
	svc := startProxiedServe(t, wordpress)
	proxy := startNginx(t, "../../deploy/nginx.conf", map[string]string{"server 127.0.0.1:8080;": "server 127.0.0.1:" + svc.port + ";"})
	checkBehindProxy(t, "nginx", proxy, svc)

	testWordPressStatic(t, svc.content, "server:\n  path_prefix: /feeds\n"+wordpress, svc.base, "feed.rss")
	// A site that publishes no RSS: the forms asking for it get Atom, in
	// nginx as in serve.
	noRSS := "feeds:\n  formats: [json, atom]\nserver:\n  path_prefix: /feeds\n" + wordpress
	_, noRSSPath := writeConfig(t, svc.content, noRSS)
	svcNoRSS, _, stopNoRSS := startServe(t, "--config", noRSSPath)
	waitReady(t, svcNoRSS+"/feeds/readyz")
	testWordPressStatic(t, svc.content, noRSS, svcNoRSS, "feed.atom")
	if code := stopNoRSS(); code != exitOK {
		t.Errorf("serve (no RSS) exited with %d", code)
	}

	runFeedcheck(t, proxy, svc.snap)

	if code := svc.stop(); code != exitOK {
		t.Errorf("serve exited with %d", code)
	}
}

func isASCII(s string) bool { return utf8.RuneCountInString(s) == len(s) }

// startNginx runs nginx in the foreground as a child process with the
// server block of file (one of deploy/'s), its "listen 80;" set to a free
// port and each key of repl replaced (exactly once) by its value, and
// returns its host:port. Everything nginx writes stays in a temp folder.
func startNginx(t *testing.T, file string, repl map[string]string) string {
	t.Helper()
	site, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	version, _ := exec.Command(nginxBin, "-V").CombinedOutput()
	var temps strings.Builder
	temps.WriteString("    client_body_temp_path " + filepath.Join(dir, "client_body") + ";\n")
	temps.WriteString("    proxy_temp_path " + filepath.Join(dir, "proxy") + ";\n")
	for _, m := range []string{"fastcgi", "uwsgi", "scgi"} {
		if !bytes.Contains(version, []byte("--without-http_"+m+"_module")) {
			temps.WriteString("    " + m + "_temp_path " + filepath.Join(dir, m) + ";\n")
		}
	}
	var lastErr string
	for range 3 {
		port := freePort(t)
		subst := map[string]string{"listen 80;": "listen 127.0.0.1:" + port + ";"}
		for k, v := range repl {
			subst[k] = v
		}
		conf := substituteOnce(t, file, string(site), subst)
		os.WriteFile(filepath.Join(dir, "site.conf"), []byte(conf), 0o644)
		main := fmt.Sprintf(`daemon off;
master_process off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 64; }
http {
    access_log %[1]s/access.log;
%[2]s    include %[1]s/site.conf;
}
`, dir, temps.String())
		confPath := filepath.Join(dir, "nginx.conf")
		os.WriteFile(confPath, []byte(main), 0o644)

		cmd := exec.Command(nginxBin, "-p", dir+"/", "-e", filepath.Join(dir, "error.log"), "-c", confPath)
		addr := "127.0.0.1:" + port
		ok, out := startProxy(t, cmd, addr)
		if ok {
			return addr
		}
		log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		lastErr = out + string(log)
		if !strings.Contains(lastErr, "Address already in use") {
			break
		}
	}
	t.Fatalf("nginx failed to start:\n%s", lastErr)
	return ""
}

// substituteOnce replaces each key exactly once in file's text s, so an
// edit to the shipped config that would make the test check something
// else fails loudly.
func substituteOnce(t *testing.T, file, s string, repl map[string]string) string {
	t.Helper()
	for old, new := range repl {
		if n := strings.Count(s, old); n != 1 {
			t.Fatalf("%s: %q occurs %d times, want 1", file, old, n)
		}
		s = strings.Replace(s, old, new, 1)
	}
	return s
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

// runFeedcheck runs ../shared/feedcheck/feedcheck ($FEEDCHECK overrides
// it) --strict --url against the proxy: the site's three feeds and every
// format of one non-ASCII tag and one category (each document costs the
// checkers about half a second; SYNDICATE_E2E_FEEDCHECK_ALL=1 checks all
// of them). Only feed documents are checked: the snapshot's pages and
// OPML are not feeds.
func runFeedcheck(t *testing.T, proxy string, snap *feedgen.Snapshot) {
	t.Helper()
	feedcheck := os.Getenv("FEEDCHECK") // as in feedgen's TestFeedcheck
	if feedcheck == "" {
		feedcheck = "../../../shared/feedcheck/feedcheck"
	}
	feedcheck, _ = filepath.Abs(feedcheck)
	if _, err := os.Stat(feedcheck); err != nil {
		t.Logf("feedcheck not found at %s; skipping the external checks", feedcheck)
		return
	}
	var pick []string
	all := os.Getenv("SYNDICATE_E2E_FEEDCHECK_ALL") == "1"
	var tagDir, catDir string
	for _, p := range snap.Paths {
		if !isFeedDocument(p) {
			continue
		}
		dir := p[:strings.LastIndex(p, "/")+1]
		switch {
		case all || dir == "":
		case tagDir == "" && strings.HasPrefix(p, "tags/") && !isASCII(p):
			tagDir = dir
		case catDir == "" && strings.HasPrefix(p, "categories/"):
			catDir = dir
		}
		if all || dir == "" || dir == tagDir || dir == catDir {
			pick = append(pick, (&url.URL{Path: "/feeds/" + p}).EscapedPath())
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	args := append([]string{"--strict", "--url", "http://" + proxy, "--public-url", "https://example.org/"}, pick...)
	cmd := exec.CommandContext(ctx, feedcheck, args...)
	out, err := cmd.CombinedOutput()
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	last := lines[len(lines)-1]
	m := regexp.MustCompile(`^(\d+) passed, 0 failed$`).FindStringSubmatch(last)
	if err != nil || m == nil || m[1] == "0" {
		t.Fatalf("feedcheck %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	t.Logf("feedcheck on %d documents through %s: %s", len(pick), proxy, last)
}

// isFeedDocument reports whether a snapshot path names a feed document
// (feed.rss, feed.atom, feed.json), not a page or the OPML file.
func isFeedDocument(p string) bool {
	base := p[strings.LastIndex(p, "/")+1:]
	for _, f := range feedgen.Formats {
		if base == f.FileName() {
			return true
		}
	}
	return false
}

// testWordPressStatic builds the site of content with config extra (as
// serve at svc has it, with a publication state of its own) with
// `syndicate build` and serves the output as files with a real nginx configured by
// deploy/nginx-static.conf, which includes the wordpress-urls.nginx.conf
// the build wrote. Every WordPress feed URL form must answer through it
// in place (200, no redirect) with the bytes and type of the document
// nginx serves at its canonical URL, and every URL of the list, those
// that must be 404 included, must get the same answer from nginx as from
// serve at svc (the same config: server.WordPress answers at the root).
// The include and server.WordPress are one behaviour written twice; this
// holds them together. rss is the document that answers the forms asking
// for RSS: feed.rss, or a stand-in where the site publishes no RSS.
func testWordPressStatic(t *testing.T, content, extra, svc, rss string) {
	t.Helper()
	_, cfgPath := writeConfig(t, content, extra)
	out := filepath.Join(t.TempDir(), "public")
	if code, stderr := runBuildCmd(cfgPath, out); code != exitOK {
		t.Fatalf("build: exit %d\n%s", code, stderr)
	}
	static := "http://" + startNginx(t, "../../deploy/nginx-static.conf", map[string]string{
		"include /srv/public/": "include " + out + "/",
		"alias /srv/public/;":  "alias " + out + "/;",
	})
	// A feed of each kind: with a non-ASCII slug where the content has
	// one, or an ASCII one (nginx cannot decode a query argument).
	pick := func(kind string, ascii bool) string {
		entries, err := os.ReadDir(filepath.Join(out, kind))
		if err != nil || len(entries) == 0 {
			t.Fatalf("no %s in the build: %v", kind, err)
		}
		for _, e := range entries {
			if isASCII(e.Name()) == ascii {
				return e.Name()
			}
		}
		return entries[0].Name()
	}
	tag, cat, author := url.PathEscape(pick("tags", false)), url.PathEscape(pick("categories", false)), url.PathEscape(pick("authors", false))
	qcat, qauthor := pick("categories", true), pick("authors", true)
	q := url.QueryEscape
	// Each URL and the document that answers it, "" for none (404). The
	// config's category base is kategorie; the tag base is WordPress's.
	cases := []struct{ target, want string }{
		{"/feed/", "feed.rss"}, {"/feed", "feed.rss"}, {"/feed/rss2/", "feed.rss"}, {"/feed/rss2", "feed.rss"},
		{"/feed/rss/", "feed.rss"}, {"/feed/rdf/", "feed.rss"}, {"/feed/rdf", "feed.rss"},
		{"/feed/atom/", "feed.atom"}, {"/feed/atom", "feed.atom"},
		{"/tag/go/feed/", "tags/go/feed.rss"}, {"/tag/go/feed", "tags/go/feed.rss"}, {"/tag/go/feed/rss2/", "tags/go/feed.rss"},
		{"/tag/go/feed/atom/", "tags/go/feed.atom"}, {"/tag/go/feed/atom", "tags/go/feed.atom"},
		{"/tag/" + tag + "/feed/", "tags/" + tag + "/feed.rss"},
		{"/kategorie/" + cat + "/feed/", "categories/" + cat + "/feed.rss"},
		{"/kategorie/parent/" + cat + "/feed/atom/", "categories/" + cat + "/feed.atom"},
		{"/kategorie/a/b/" + cat + "/feed", "categories/" + cat + "/feed.rss"},
		{"/author/" + author + "/feed/", "authors/" + author + "/feed.rss"},
		{"/author/" + author + "/feed/atom/", "authors/" + author + "/feed.atom"},
		{"/?feed=rss2", "feed.rss"}, {"/?feed=rss", "feed.rss"}, {"/?feed=rdf", "feed.rss"}, {"/?feed=", "feed.rss"},
		{"/?feed=atom", "feed.atom"}, {"/index.php?feed=rss2", "feed.rss"},
		{"/?tag=go&feed=rss2", "tags/go/feed.rss"}, {"/?feed=atom&tag=go", "tags/go/feed.atom"},
		{"/?tag=go&tag=nope&feed=atom&feed=rss2", "tags/go/feed.atom"},
		{"/?category_name=" + qcat + "&feed=rss2", "categories/" + qcat + "/feed.rss"},
		{"/?category_name=parent/" + qcat + "/&feed=atom", "categories/" + qcat + "/feed.atom"},
		{"/?author_name=" + qauthor + "&feed=atom", "authors/" + qauthor + "/feed.atom"},
		{"/?author_name=" + qauthor + "&category_name=" + qcat + "&feed=rss2", "categories/" + qcat + "/feed.rss"},
		// Not a feed of this site, or not a WordPress feed URL.
		{"/feed/foo/", ""}, {"/feed/json/", ""}, {"/feed/feed/", ""}, {"/tag/nope/feed/", ""},
		{"/category/" + cat + "/feed/", ""}, {"/tag/go/", ""}, {"/tag/go/extra/feed/", ""},
		{"/author/a/b/feed/", ""}, {"/tags/go/feed/", ""}, {"/feeds/feed/", ""},
		{"/?feed=json", ""}, {"/?feed=rss2x", ""}, {"/?tag=nope&feed=rss2", ""}, {"/?tag=..&feed=rss2", ""},
		{"/?tag=a/b&feed=rss2", ""}, {"/?tag=&feed=rss2", ""}, {"/?tag=&category_name=" + cat + "&feed=rss2", ""},
		{"/?category_name=&feed=rss2", ""}, {"/?tag=go", ""}, {"/other?feed=rss2", ""},
		{"/?tag=" + q("../go") + "&feed=rss2", ""},
	}
	client := &http.Client{
		Transport:     &http.Transport{DisableCompression: true},
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	type answer struct {
		code        int
		ctype, body string
	}
	get := func(base, target string) answer {
		t.Helper()
		resp, err := client.Get(base + target)
		if err != nil {
			t.Fatalf("GET %s%s: %v", base, target, err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("GET %s%s: %v", base, target, err)
		}
		return answer{resp.StatusCode, resp.Header.Get("Content-Type"), string(b)}
	}
	for _, tc := range cases {
		got, served := get(static, tc.target), get(svc, tc.target)
		if tc.want == "" {
			if got.code != 404 || served.code != 404 {
				t.Errorf("%s: nginx %d, serve %d, want 404 from both", tc.target, got.code, served.code)
			}
			continue
		}
		want := strings.Replace(tc.want, "feed.rss", rss, 1)
		canonical := get(static, "/feeds/"+want)
		if canonical.code != 200 || got != canonical {
			t.Errorf("%s: nginx %d %q (%d bytes), want %s's 200 %q (%d bytes)", tc.target, got.code, got.ctype, len(got.body), want, canonical.ctype, len(canonical.body))
		}
		if served != got {
			t.Errorf("%s: serve %d %q (%d bytes), nginx %d %q (%d bytes)", tc.target, served.code, served.ctype, len(served.body), got.code, got.ctype, len(got.body))
		}
	}
	// The include and the marker are in the tree but not served; serve's
	// types are nginx's for every document (the shipped types block).
	for _, p := range []string{pages.NginxName, ".syndicate-output"} {
		if _, err := os.Stat(filepath.Join(out, p)); err != nil {
			t.Errorf("the build wrote no %s: %v", p, err)
		}
		if a := get(static, "/feeds/"+p); a.code != 404 {
			t.Errorf("nginx serves %s: %d", p, a.code)
		}
	}
	for _, p := range []string{"feed.json", "feeds.opml", "tags/go/" + pages.DiscoveryName, "tags/go/"} {
		if s, n := get(svc, "/feeds/"+p), get(static, "/feeds/"+p); s != n {
			t.Errorf("/feeds/%s: serve %d %q, nginx %d %q, or the bodies differ", p, s.code, s.ctype, n.code, n.ctype)
		}
	}
	// What the include cannot do (README): nginx decodes no query
	// argument, so an escaped slug there is not found; and it merges
	// slashes before matching where serve does not.
	for _, tc := range []struct {
		target             string
		nginxCode, svcCode int
	}{
		{"/?tag=" + q(pick("tags", false)) + "&feed=rss2", 404, 200},
		{"/tag/go//feed/", 200, 404},
	} {
		if isASCII(pick("tags", false)) && strings.HasPrefix(tc.target, "/?tag=") {
			continue
		}
		if n, s := get(static, tc.target).code, get(svc, tc.target).code; n != tc.nginxCode || s != tc.svcCode {
			t.Errorf("%s: nginx %d, serve %d; the README says %d and %d", tc.target, n, s, tc.nginxCode, tc.svcCode)
		}
	}
}
