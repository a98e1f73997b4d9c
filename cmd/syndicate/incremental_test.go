package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/syndicate/syndicate/feedgen"
)

// buildNoCache runs `syndicate build --no-cache` in-process.
func buildNoCache(t *testing.T, cfgPath, out string) string {
	t.Helper()
	var stderr syncBuffer
	if code := run(context.Background(), []string{"build", "--no-cache", "--config", cfgPath, "--out", out}, io.Discard, &stderr); code != exitOK {
		t.Fatalf("build: exit %d\n%s", code, stderr.String())
	}
	return stderr.String()
}

// fileInfos stats every file of a tree, by slash path.
func fileInfos(t *testing.T, dir string) map[string]os.FileInfo {
	t.Helper()
	out := map[string]os.FileInfo{}
	for p := range treeFiles(t, dir) {
		info, err := os.Stat(filepath.Join(dir, filepath.FromSlash(p)))
		mustDo(t, err)
		out[p] = info
	}
	return out
}

// checkTreeIs: the folder holds exactly the snapshot's documents (and
// the marker), byte for byte.
func checkTreeIs(t *testing.T, dir string, snap *feedgen.Snapshot) {
	t.Helper()
	files := treeFiles(t, dir)
	if len(files) != len(snap.Paths)+1 {
		t.Errorf("%d files, want %d documents and the marker", len(files), len(snap.Paths))
	}
	for _, p := range snap.Paths {
		if files[p] != string(snap.Docs[p].Body) {
			t.Errorf("%s differs from a build in memory", p)
		}
	}
}

// TestBuildWritesOnlyWhatChanged: `syndicate build` encodes the documents
// straight into the output folder; a second build over the same content
// leaves the folder alone (same folder, files and times) and says so; after
// one post is edited only the documents listing it are written anew and
// the others are the previous tree's files, linked.
func TestBuildWritesOnlyWhatChanged(t *testing.T) {
	content := copyContent(t)
	cfg, cfgPath := writeConfig(t, content, "")
	out := filepath.Join(t.TempDir(), "public")
	if log := buildNoCache(t, cfgPath, out); !strings.Contains(log, "15 documents written (5 feeds)") {
		t.Errorf("first build's summary:\n%s", log)
	}
	now := time.Now()
	res, err := runBuild(context.Background(), cfg, now)
	mustDo(t, err)
	checkTreeIs(t, out, res.Snapshot)
	if _, err := feedgen.ReadManifest(out); err != nil {
		t.Errorf("no manifest after a build: %v", err)
	}

	before := snapshotTree(t, out)
	infos := fileInfos(t, out)
	if log := buildNoCache(t, cfgPath, out); !strings.Contains(log, "15 documents, output unchanged") {
		t.Errorf("unchanged build's summary:\n%s", log)
	}
	if err := before.same(t, out); err != nil {
		t.Errorf("unchanged build touched the output: %v", err)
	}

	p := filepath.Join(content, "posts", "second.md")
	b, err := os.ReadFile(p)
	mustDo(t, err)
	mustDo(t, os.WriteFile(p, append(b, "\nOne more line.\n"...), 0o644))
	log := buildNoCache(t, cfgPath, out)
	// second.md is in the site feed, the Notes category and two of the
	// three tags: 4 feeds of 5 in 3 formats.
	if m := regexp.MustCompile(`15 documents written \(12 encoded, 3 unchanged kept\)`).FindString(log); m == "" {
		t.Errorf("summary after one edit:\n%s", log)
	}
	res, err = runBuild(context.Background(), cfg, now)
	mustDo(t, err)
	checkTreeIs(t, out, res.Snapshot)
	after := fileInfos(t, out)
	for path, info := range after {
		kept := strings.HasPrefix(path, "tags/日本語/")
		if same := os.SameFile(infos[path], info); same != kept && path != ".syndicate-output" {
			t.Errorf("%s: same file as before: %v, want %v", path, same, kept)
		}
	}
}

// TestServeRebuildReusesDocuments: serve's rebuilds start from the served
// snapshot: with nothing changed no document is encoded and every one is
// the same *feedgen.Document; after one post is edited only the documents
// listing it are new, in memory and (with write_output) on disk.
func TestServeRebuildReusesDocuments(t *testing.T) {
	ctx := context.Background()
	e := newFaultEnv(t)
	mustDo(t, e.rb.rebuild(ctx, "start"))
	first := e.srv.snapshot()
	if first == nil || first.Encoded != len(first.Paths) {
		t.Fatalf("first build: %+v", first)
	}
	infos := fileInfos(t, e.out)
	disk := snapshotTree(t, e.out)

	res, err := runBuildFrom(ctx, e.cfg, time.Now(), e.srv.snapshot())
	mustDo(t, err)
	if res.Snapshot.Encoded != 0 {
		t.Errorf("%d documents encoded with nothing changed", res.Snapshot.Encoded)
	}
	for p, d := range res.Snapshot.Docs {
		if first.Docs[p] != d {
			t.Errorf("%s: a new Document with nothing changed", p)
		}
	}
	mustDo(t, e.rb.rebuild(ctx, "schedule"))
	if e.srv.snapshot() != first {
		t.Error("an unchanged rebuild replaced the served snapshot")
	}
	if err := disk.same(t, e.out); err != nil {
		t.Errorf("an unchanged rebuild touched the output: %v", err)
	}

	e.editPost(t, "a new ending")
	mustDo(t, e.rb.rebuild(ctx, "schedule"))
	next := e.srv.snapshot()
	if next == first || next.Encoded != 12 {
		t.Fatalf("after one edit %d documents encoded, want 12", next.Encoded)
	}
	for p, d := range next.Docs {
		if kept := strings.HasPrefix(p, "tags/日本語/"); (first.Docs[p] == d) != kept {
			t.Errorf("%s: kept the previous Document: %v, want %v", p, first.Docs[p] == d, kept)
		}
	}
	checkTreeIs(t, e.out, next)
	e.checkDiskMatchesServed(t)
	for p, info := range fileInfos(t, e.out) {
		if kept := strings.HasPrefix(p, "tags/日本語/"); kept && !os.SameFile(infos[p], info) {
			t.Errorf("%s: unchanged, but written again", p)
		}
	}
}
