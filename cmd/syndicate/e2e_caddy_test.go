package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// caddyfile is the shipped Caddyfile the test runs Caddy with.
const caddyfile = "../../deploy/Caddyfile"

// caddyGlobal is the global options block the test puts before
// deploy/Caddyfile (which has none): no admin endpoint, no automatic
// HTTPS, so Caddy opens no port but the site's and asks no CA for
// anything.
const caddyGlobal = "{\n\tadmin off\n\tauto_https off\n}\n\n"

// TestCaddyEndToEnd runs `syndicate serve` on the example content behind
// a real Caddy (Debian's caddy) configured with deploy/Caddyfile, the
// README's file, with only the site address and the upstream's port
// substituted, and checks through it what the nginx test checks
// (checkBehindProxy), then runs the project's feed checkers against it.
// The README's copy of the file must say the same (checkReadmeCaddyfile).
func TestCaddyEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	caddy, err := exec.LookPath("caddy")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("caddy not installed (.ci/run installs Debian's caddy; CI must run the Caddy test)")
		}
		t.Skip("caddy not installed (Debian package caddy; .ci/run installs it)")
	}
	checkReadmeCaddyfile(t, caddy)
	svc := startProxiedServe(t, "")
	proxy := startCaddy(t, caddy, svc.port)
	checkBehindProxy(t, "Caddy", proxy, svc)
	runFeedcheck(t, proxy, svc.snap)

	if code := svc.stop(); code != exitOK {
		t.Errorf("serve exited with %d", code)
	}
}

// checkReadmeCaddyfile checks that the README's Caddyfile (its comments
// and layout its own) is deploy/Caddyfile: Caddy adapts both to the same
// JSON config.
func checkReadmeCaddyfile(t *testing.T, caddy string) {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```caddyfile\n(.*?)```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md has no caddyfile block")
	}
	dir := t.TempDir()
	snippet := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(snippet, m[1], 0o644); err != nil {
		t.Fatal(err)
	}
	adapt := func(path string) string {
		t.Helper()
		cmd := exec.Command(caddy, "adapt", "--adapter", "caddyfile", "--config", path)
		cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_CONFIG_HOME="+dir, "XDG_DATA_HOME="+dir)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("caddy adapt %s: %v\n%s", path, err, out)
		}
		return string(out)
	}
	if readmeJSON, shipped := adapt(snippet), adapt(caddyfile); readmeJSON != shipped {
		t.Errorf("README.md's Caddyfile is not deploy/Caddyfile: Caddy adapts them to\n%s\nand\n%s", readmeJSON, shipped)
	}
}

// startCaddy runs caddy in the foreground as a child process, as this
// user, with deploy/Caddyfile serving http://127.0.0.1:PORT (a free port)
// and proxying to 127.0.0.1:svcPort, and returns its host:port. HOME and
// the XDG folders point into a temp folder, so everything Caddy writes
// (its autosaved config, its storage) stays there.
func startCaddy(t *testing.T, caddy, svcPort string) string {
	t.Helper()
	site, err := os.ReadFile(caddyfile)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var out string
	for range 3 {
		port := freePort(t)
		conf := caddyGlobal + substituteOnce(t, caddyfile, string(site), map[string]string{
			"\nexample.org {":              "\nhttp://127.0.0.1:" + port + " {",
			"reverse_proxy 127.0.0.1:8080": "reverse_proxy 127.0.0.1:" + svcPort,
		})
		confPath := filepath.Join(dir, "Caddyfile")
		if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(caddy, "run", "--adapter", "caddyfile", "--config", confPath)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "HOME="+filepath.Join(dir, "home"),
			"XDG_CONFIG_HOME="+filepath.Join(dir, "config"), "XDG_DATA_HOME="+filepath.Join(dir, "data"))
		addr := "127.0.0.1:" + port
		var ok bool
		if ok, out = startProxy(t, cmd, addr); ok {
			return addr
		}
		if !strings.Contains(out, "address already in use") {
			break
		}
	}
	t.Fatalf("caddy failed to start:\n%s", out)
	return ""
}
