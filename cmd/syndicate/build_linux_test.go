package main

import (
	"bytes"
	"context"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/syndicate/syndicate/config"
	"github.com/syndicate/syndicate/server"

	"github.com/syndicate/syndicate/internal/dirtest"
	"github.com/syndicate/syndicate/internal/handlertest"
	"github.com/syndicate/syndicate/internal/logtest"
)

// mountNSEnv marks a test process started by inMountNamespace.
const mountNSEnv = "SYNDICATE_TEST_IN_MOUNT_NS"

// inMountNamespace runs the calling test again in a child process in a
// mount namespace of its own (unshare -m, private propagation), where it
// may mount file systems without touching the machine's; it reports
// whether the caller is that child (true: go on and mount) or the parent
// (false: the child's result is already reported). Skips where the test
// cannot mount (not root, no unshare).
func inMountNamespace(t *testing.T) bool {
	t.Helper()
	if os.Getenv(mountNSEnv) == t.Name() {
		return true
	}
	if os.Geteuid() != 0 {
		t.Skip("mounting needs root")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("no unshare(1)")
	}
	if err := exec.Command(unshare, "-m", "true").Run(); err != nil {
		t.Skipf("cannot make a mount namespace: %v", err)
	}
	cmd := exec.Command(unshare, "-m", "--propagation", "private", os.Args[0],
		"-test.run", "^"+t.Name()+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), mountNSEnv+"="+t.Name())
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("in a mount namespace: %v\n%s", err, out)
	}
	return false
}

// mountTmpfs mounts a small tmpfs at a new folder; the namespace goes
// with the process.
func mountTmpfs(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "mnt")
	mustDo(t, os.Mkdir(dir, 0o755))
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size=16m"); err != nil {
		t.Fatalf("mount tmpfs: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	return dir
}

// configWithOutput is writeConfig's config with output_dir out.
func configWithOutput(t *testing.T, content, out, extra string) (*config.Config, string) {
	t.Helper()
	_, path := writeConfig(t, content, extra)
	b, err := os.ReadFile(path)
	mustDo(t, err)
	mustDo(t, os.WriteFile(path, []byte(strings.Replace(string(b), "output_dir: public\n", "output_dir: "+out+"\n", 1)), 0o644))
	cfg, err := config.Load(path)
	mustDo(t, err)
	return cfg, path
}

// TestOutputOnReadOnlyMount: once the output's file system is read-only,
// build exits 1 saying so and leaves the tree as it was, and serve with
// write_output keeps serving the new feeds, showing output_error.
func TestOutputOnReadOnlyMount(t *testing.T) {
	if !inMountNamespace(t) {
		return
	}
	mnt := mountTmpfs(t)
	content := copyContent(t)
	out := filepath.Join(mnt, "public")
	cfg, cfgPath := configWithOutput(t, content, out, "")
	if code, stderr := runCmd(t, "build", "--config", cfgPath); code != exitOK {
		t.Fatalf("first build: exit %d: %s", code, stderr)
	}
	before := dirtest.Files(t, out)
	if err := unix.Mount("", mnt, "", unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
		t.Fatalf("remount read-only: %v", err)
	}
	mustDo(t, os.WriteFile(filepath.Join(content, "posts", "new.md"),
		[]byte("---\ntitle: New\ndate: 2024-06-01\n---\nNew post.\n"), 0o644))
	code, stderr := runCmd(t, "build", "--config", cfgPath)
	if code != exitFailed || !strings.Contains(stderr, "read-only file system") || strings.Count(strings.TrimSpace(stderr), "\n") > 1 {
		t.Errorf("build on a read-only output: exit %d, stderr %q; want %d and one line saying read-only", code, stderr, exitFailed)
	}
	t.Logf("read-only build: %s", stderr)
	if !maps.Equal(dirtest.Files(t, out), before) {
		t.Error("the output changed")
	}

	st := testSettings(t, cfg)
	st.Server.WriteOutput = true
	srv := server.New("", "", nil)
	rb, _ := newServeRebuilder(st, "", srv, logtest.New(io.Discard))
	t.Cleanup(rb.Close)
	if err := rb.Rebuild(context.Background(), "start"); err != nil {
		t.Fatalf("serve's first build with a read-only output: %v", err)
	}
	if srv.Served() == nil || !strings.Contains(srv.Status().Last.OutputError, "read-only file system") {
		t.Errorf("not served, or no output_error: %+v", srv.Status().Last)
	}
	if w := handlertest.Do(srv, "GET", "/feed.rss"); w.Code != 200 || !strings.Contains(w.Body.String(), "New post") {
		t.Errorf("GET /feed.rss: %d without the new post", w.Code)
	}
}

// TestOutputDirMountPoint: an output_dir that is itself a mount point
// (a Docker volume) cannot be swapped by a rename, so build and serve
// (with write_output) refuse it at start, saying what to mount instead.
func TestOutputDirMountPoint(t *testing.T) {
	if !inMountNamespace(t) {
		return
	}
	mnt := mountTmpfs(t)
	content := copyContent(t)
	_, cfgPath := configWithOutput(t, content, mnt, "server:\n  write_output: true\n  listen: 127.0.0.1:0\n")
	for _, cmd := range []string{"build", "serve"} {
		// A serve that did not refuse would serve until the timeout.
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		var errb bytes.Buffer
		code := run(ctx, []string{cmd, "--config", cfgPath}, io.Discard, &errb)
		cancel()
		stderr := errb.String()
		t.Logf("%s: %s", cmd, stderr)
		if code != exitUsage || !strings.Contains(stderr, "is a mount point") || !strings.Contains(stderr, "mount the volume one level up") {
			t.Errorf("%s: exit %d, stderr %q", cmd, code, stderr)
		}
	}
	if entries, _ := os.ReadDir(mnt); len(entries) != 0 {
		t.Errorf("the mount point was written: %v", entries)
	}
	if entries, _ := os.ReadDir(filepath.Dir(mnt)); len(entries) != 1 {
		t.Errorf("staging left beside the mount point: %v", entries)
	}
	// A bind mount of the same file system is one too.
	bind := filepath.Join(t.TempDir(), "bind")
	src := filepath.Join(t.TempDir(), "src")
	mustDo(t, os.Mkdir(bind, 0o755))
	mustDo(t, os.Mkdir(src, 0o755))
	if err := unix.Mount(src, bind, "", unix.MS_BIND, ""); err != nil {
		t.Fatalf("bind mount: %v", err)
	}
	defer unix.Unmount(bind, unix.MNT_DETACH)
	_, cfgPath = configWithOutput(t, content, bind, "")
	if code, stderr := runCmd(t, "build", "--config", cfgPath); code != exitUsage || !strings.Contains(stderr, "is a mount point") {
		t.Errorf("bind mount: exit %d, stderr %q", code, stderr)
	}
}
