package feedgen

import (
	"context"
	"fmt"
	"runtime"

	"github.com/syndicate/syndicate/outtree"
)

// WriteTree publishes the snapshot as a folder tree at dir, atomically
// (package outtree): a reader sees the old tree or the new one, never a
// half-written file or a mix; feeds that no longer exist disappear with
// the old tree. Each file's modification time is its document's
// Modified, so static servers' validators stay stable across identical
// builds.
//
// Documents the previous tree already holds with the same ETag, size and
// modification time, according to its manifest, are hard-linked from it
// rather than written; when the folder holds exactly the snapshot's
// documents nothing is written at all (outtree.Stats.Unchanged).
func (s *Snapshot) WriteTree(ctx context.Context, dir string) (outtree.Stats, error) {
	docs := make([]*Document, len(s.Paths))
	for i, p := range s.Paths {
		d := s.Docs[p]
		if d == nil {
			return outtree.Stats{}, fmt.Errorf("output: snapshot lists %q without a document", p)
		}
		docs[i] = d
	}
	return outtree.Write(ctx, dir, snapshotJob{s.Paths, docs}, outtree.Options{Workers: 4, Version: EncoderVersion})
}

// snapshotJob writes a snapshot's documents from memory.
type snapshotJob struct {
	paths []string
	docs  []*Document
}

func (j snapshotJob) Paths() []string { return j.paths }

func (j snapshotJob) Reuse(i int, old outtree.Entry) (outtree.Entry, bool) {
	d := j.docs[i]
	if d.ETag == "" || old.ETag != d.ETag || old.Size != d.Len() || !old.Modified.Equal(d.Modified) {
		return old, false
	}
	if !d.Fingerprint.IsZero() {
		old.Key = d.Fingerprint // the same bytes, made from these inputs
	}
	return old, true
}

func (j snapshotJob) Write(_ context.Context, i int, full string) (outtree.Entry, error) {
	d := j.docs[i]
	body, err := d.Bytes()
	if err != nil {
		return outtree.Entry{}, err
	}
	if err := outtree.WriteFile(full, body, d.Modified); err != nil {
		return outtree.Entry{}, err
	}
	return outtree.Entry{Path: d.Path, Key: d.Fingerprint, ETag: d.ETag, Size: int64(len(body)), Modified: d.Modified}, nil
}

// WriteTree encodes the plan's documents straight into a folder tree at
// dir, with the guarantees of Snapshot.WriteTree, without holding them in
// memory: each document is written as soon as it is encoded, and each
// post's item is kept only until the last document listing it is
// written. Every post in p.Needed must have been rendered.
//
// Documents whose fingerprints equal those in the previous tree's
// manifest are hard-linked from it (copied where links fail) and not
// encoded; when the folder already holds exactly the plan's documents,
// nothing is written (outtree.Stats.Unchanged).
//
// The files of extra jobs (documents made from the plan by other
// packages, such as pages about the feeds) go into the same tree.
func (p *Plan) WriteTree(ctx context.Context, dir string, extra ...outtree.Job) (outtree.Stats, error) {
	planned := p.Documents()
	j := &planJob{p: p, planned: planned, paths: make([]string, len(planned)), kept: make([]int64, len(planned)),
		size: &budget{what: "size", key: "limits.output_bytes", max: p.Options.MaxOutputBytes}}
	all := make([]int, len(planned))
	for i, pd := range planned {
		j.paths[i] = pd.Path
		all[i] = i
	}
	// Before a folder is made: a tree of 60,000 tag folders takes a
	// minute to make and remove on ext4.
	if err := p.checkOutputBound(0, planned, all); err != nil {
		return outtree.Stats{}, err
	}
	return outtree.Write(ctx, dir, outtree.Join(append([]outtree.Job{j}, extra...)...), outtree.Options{Workers: runtime.GOMAXPROCS(0), Version: EncoderVersion})
}

// planJob encodes a plan's documents into files.
type planJob struct {
	p       *Plan
	planned []PlannedDocument
	paths   []string
	items   *itemCache // set by Prepare
	// kept is the size of each document the previous tree holds (Reuse),
	// counted against size with those written.
	kept []int64
	size *budget
}

var _ outtree.Preparer = (*planJob)(nil)

func (j *planJob) Paths() []string { return j.paths }

func (j *planJob) Reuse(i int, old outtree.Entry) (outtree.Entry, bool) {
	fp := j.planned[i].Fingerprint
	ok := !fp.IsZero() && Fingerprint(old.Key) == fp
	if ok {
		j.kept[i] = old.Size
	}
	return old, ok
}

// Prepare counts the documents kept from the previous tree against the
// output limit.
func (j *planJob) Prepare(todo []int) error {
	written := make([]bool, len(j.planned))
	for _, i := range todo {
		written[i] = true
	}
	var kept int64
	for i, n := range j.kept {
		if !written[i] {
			kept += n
		}
	}
	if err := j.size.take(kept, "the documents kept from the previous tree"); err != nil {
		return err
	}
	orderByFormat(j.planned, todo)
	j.items = newItemCache(j.p, j.planned, todo)
	return nil
}

func (j *planJob) Write(_ context.Context, i int, full string) (outtree.Entry, error) {
	pd := j.planned[i]
	if err := j.p.checkRendered(pd.Feed.Posts); err != nil {
		return outtree.Entry{}, err
	}
	buf := bodyBufs.Get().(*[]byte)
	defer bodyBufs.Put(buf)
	body, modified, err := j.p.render(pd, j.items, *buf)
	if err != nil {
		return outtree.Entry{}, fmt.Errorf("feedgen: %s: %w", pd.Path, err)
	}
	*buf = body[:0]
	if err := j.size.take(int64(len(body)), pd.Path); err != nil {
		return outtree.Entry{}, err // before the file is written
	}
	etag := ETag(body)
	modified = j.p.modifiedOf(pd.Path, etag, modified)
	if err := outtree.WriteFile(full, body, modified); err != nil {
		return outtree.Entry{}, err
	}
	return outtree.Entry{Path: pd.Path, Key: pd.Fingerprint, ETag: etag, Size: int64(len(body)), Modified: modified}, nil
}

// Tree is what an output tree on disk holds intact, by its manifest.
type Tree struct {
	files map[string]outtree.Entry
}

// ReadTree reads the manifest of the output tree at dir; a folder without
// one (or none at all) holds nothing.
func ReadTree(dir string) *Tree { return &Tree{files: outtree.Intact(dir)} }

// Holds reports whether the tree has pd's document, intact, written for
// pd's fingerprint.
func (t *Tree) Holds(pd PlannedDocument) bool {
	e, ok := t.files[pd.Path]
	return ok && !pd.Fingerprint.IsZero() && Fingerprint(e.Key) == pd.Fingerprint
}
