package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// axeVersion is the axe-core that .ci/run installs with npm into
// .cache/axe (AXE_CORE names another axe.min.js).
const axeVersion = "4.14.1"

// browserTool finds what the browser test needs: Debian's chromium and
// axe-core. Where either is missing the test skips, except in CI, which
// must run it (.ci/run installs both).
func browserTool(t *testing.T) (chromium, axe string) {
	t.Helper()
	missing := func(format string, a ...any) {
		t.Helper()
		if os.Getenv("CI") != "" {
			t.Fatalf(format+" (.ci/run installs it; CI must run the browser test)", a...)
		}
		t.Skipf(format+" (.ci/run installs it)", a...)
	}
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		missing("chromium not installed (Debian package chromium)")
	}
	axe = os.Getenv("AXE_CORE")
	if axe == "" {
		axe = filepath.Join("..", "..", ".cache", "axe", "node_modules", "axe-core", "axe.min.js")
	}
	if _, err := os.Stat(axe); err != nil {
		missing("axe-core %s missing at %s (npm install --prefix .cache/axe axe-core@%s)", axeVersion, axe, axeVersion)
	}
	return chromium, axe
}

// screenshotDir is where the browser test leaves its screenshots:
// $SYNDICATE_SCREENSHOTS, else .cache/screenshots in the repository.
func screenshotDir(t *testing.T) string {
	dir := os.Getenv("SYNDICATE_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join("..", "..", ".cache", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(dir)
	return abs
}

// TestBrowserPages loads the index page and a tag page from a running
// serve in Debian's chromium, at a desktop and a phone width, in the
// light and the dark theme: no console error or exception (the pages'
// Content-Security-Policy would report any inline code it blocks), every
// link into the feed tree answers 200 with its type, the copy button
// copies the feed's address, the filter narrows the list, axe-core finds
// no violation; and a feed URL opened in the browser shows the feed's
// page (server.browser_pages: negotiate, with Chromium's own Accept).
// Screenshots go to screenshotDir.
func TestBrowserPages(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	chromium, axePath := browserTool(t)
	axeSource, err := os.ReadFile(axePath)
	if err != nil {
		t.Fatal(err)
	}
	content := "../../example/content"
	_, cfgPath := writeConfig(t, content, "schedule: \"@every 1h\"\nserver:\n  path_prefix: /feeds\n  browser_pages: negotiate\n")
	svc, _, stop := startServe(t, "--config", cfgPath)
	defer stop()
	waitReady(t, svc+"/feeds/readyz")
	shots := screenshotDir(t)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()

	// Every console message of the tab, collected as the tab runs.
	var mu sync.Mutex
	var problems []string
	messages := chromedp.Console(bctx)
	consoleDone := make(chan struct{})
	go func() {
		defer close(consoleDone)
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleWarning || m.IsException() {
				mu.Lock()
				problems = append(problems, fmt.Sprintf("%s (%s)", m, m.URL))
				mu.Unlock()
			}
		}
	}()
	origin := strings.TrimSuffix(svc, "/")
	for _, perm := range []string{"clipboard-read", "clipboard-write"} {
		if _, err := chromedp.CallBrowser(bctx, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: perm}, Setting: browser.PermissionSettingGranted, Origin: origin,
		}); err != nil {
			t.Fatal(err)
		}
	}

	client := &http.Client{Timeout: 10 * time.Second}
	checked := map[string]bool{}
	checkLinks := func(page string) {
		links, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("a[href], link[href]"), a => a.href).filter(h => h.startsWith(location.origin))`))
		if err != nil {
			t.Fatal(err)
		}
		if len(links) < 10 {
			t.Errorf("%s: only %d links into the feed tree", page, len(links))
		}
		for _, link := range links {
			link, _, _ = strings.Cut(link, "#")
			if checked[link] {
				continue
			}
			checked[link] = true
			resp, err := client.Get(link)
			if err != nil {
				t.Errorf("%s: link %s: %v", page, link, err)
				continue
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			want := map[string]string{".rss": "application/rss+xml", ".atom": "application/atom+xml", ".json": "application/feed+json", ".opml": "text/x-opml"}[filepath.Ext(link)]
			if want == "" {
				want = "text/html"
			}
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != want+"; charset=utf-8" {
				t.Errorf("%s: link %s: %d %s, want 200 %s", page, link, resp.StatusCode, resp.Header.Get("Content-Type"), want)
			}
		}
	}
	runAxe := func(name string) {
		t.Helper()
		if err := chromedp.Do(bctx, chromedp.Evaluate[chromedp.Void](string(axeSource))); err != nil {
			t.Fatalf("%s: loading axe: %v", name, err)
		}
		violations, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](
			`axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations.map(v => v.id + ": " + v.help + " (" + v.nodes.map(n => n.target.join(" ")).join(", ") + ")"))`,
			chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("%s: axe: %v", name, err)
		}
		for _, v := range violations {
			t.Errorf("%s: axe: %s", name, v)
		}
	}
	count := func(expr string) int {
		n, err := chromedp.Run(bctx, chromedp.Evaluate[int](expr))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	for _, vp := range []struct {
		name          string
		width, height int64
		mobile        bool
	}{{"desktop", 1280, 900, false}, {"phone", 390, 844, true}} {
		for _, page := range []struct{ name, path, title string }{
			{"index", "/feeds/", "Feeds of Test site"},
			{"tag", "/feeds/tags/go/", "Test site – tag: Go"},
			// A feed URL opened in the browser, with the browser's own
			// Accept: the feed's page.
			{"negotiated", "/feeds/tags/go/feed.atom", "Test site – tag: Go"},
		} {
			for _, theme := range []string{"light", "dark"} {
				name := fmt.Sprintf("%s-%s-%s", page.name, vp.name, theme)
				var viewport []chromedp.EmulateViewportOption
				if vp.mobile {
					viewport = append(viewport, chromedp.EmulateMobile, chromedp.EmulateTouch)
				}
				err := chromedp.Do(bctx,
					chromedp.EmulateViewport(vp.width, vp.height, viewport...),
					chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
						_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
							Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: theme}},
						})
						return err
					}),
					chromedp.Navigate(svc+page.path),
					chromedp.WaitReady(chromedp.CSS("body")),
				)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				title, err := chromedp.Run(bctx, chromedp.Title())
				if err != nil || title != page.title {
					t.Errorf("%s: title %q (%v), want %q", name, title, err, page.title)
				}
				if count(`document.documentElement.scrollWidth > window.innerWidth ? 1 : 0`) != 0 {
					t.Errorf("%s: the page scrolls sideways", name)
				}
				shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(shots, name+".png"), shot, 0o644); err != nil {
					t.Fatal(err)
				}
				runAxe(name)
				if theme == "dark" || vp.mobile {
					continue
				}
				checkLinks(name)

				// The copy button copies the address it stands beside.
				want, err := chromedp.Run(bctx, chromedp.AttributeValue(chromedp.CSS("button.copy"), "data-url"))
				if err != nil {
					t.Fatalf("%s: copy button: %v", name, err)
				}
				// A button left hidden (its script blocked) would be waited
				// for until the test's deadline: fail sooner.
				cctx, ccancel := context.WithTimeout(bctx, 20*time.Second)
				err = chromedp.Do(cctx,
					chromedp.Click(chromedp.CSS("button.copy")),
					chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
						_, err := chromedp.Poll[bool](`document.getElementById(document.querySelector("button.copy").getAttribute("aria-describedby")).textContent === "Copied"`,
							chromedp.WithPollingTimeout(5*time.Second))(ctx, tg)
						return err
					}),
				)
				ccancel()
				if err != nil {
					t.Fatalf("%s: copy: %v", name, err)
				}
				got, err := chromedp.Run(bctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
				if err != nil || got != want.Value || !strings.HasPrefix(got, "https://example.org/feeds/") {
					t.Errorf("%s: copied %q (%v), want %q", name, got, err, want.Value)
				}
				if page.name != "index" {
					continue
				}
				// The filter narrows the lists to matching names.
				const visible = `document.querySelectorAll("li[data-name]:not([hidden])")`
				before := count(visible + `.length`)
				if err := chromedp.Do(bctx, chromedp.SendKeys(chromedp.ID("filter"), "go")); err != nil {
					t.Fatalf("%s: filter: %v", name, err)
				}
				after := count(visible + `.length`)
				kept := count(`Array.from(` + visible + `).filter(li => !li.dataset.name.includes("go")).length`)
				if after == 0 || after >= before || kept != 0 {
					t.Errorf("%s: filter: %d feeds listed before typing, %d after, %d of them not matching", name, before, after, kept)
				}
				runAxe(name + "-filtered")
			}
		}
	}
	cancelBrowser()
	<-consoleDone
	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Errorf("browser console: %s", p)
	}
	t.Logf("screenshots in %s", shots)
}
