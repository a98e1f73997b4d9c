package pipeline

import (
	"context"
	"time"

	"github.com/syndicate/syndicate/outtree"
	"github.com/syndicate/syndicate/source"
)

// incremental is what an incremental Builder keeps between builds: the
// content folder (source.Folder: what the last read found in every file,
// its survey and the watch, and the decision of what to read) and the
// last good build, whose plan the next is made from. When the folder
// reports no change and the last build still stands (it rendered every
// post and went to the same output), nothing is read, rendered or
// encoded; otherwise only the files that changed are read, the plan is
// made from the last one, and only documents whose inputs changed are
// encoded.
type incremental struct {
	b      *Builder
	folder *source.Folder

	// The last good build and the output it wrote; only touched by run,
	// which builds never call twice at once.
	last    *Result
	lastOut Output
}

func newIncremental(b *Builder) *incremental {
	return &incremental{b: b, folder: source.NewFolder(b.cfg.ContentDir, b.cfg.Source,
		source.FolderOptions{Watch: b.cfg.Watch, Log: b.cfg.Log})}
}

func (b *incremental) run(ctx context.Context, now time.Time, out Output) (*Result, error) {
	basis := source.Basis{
		Complete: b.last != nil && !b.last.renderFailed,
		Kept:     b.last != nil && b.lastOut == out,
	}
	rd, err := b.folder.Read(ctx, now, basis)
	if err != nil {
		return nil, err
	}
	if rd.Unchanged {
		res := *b.last
		res.Unchanged, res.Surveyed, res.Rescanned = true, rd.Surveyed, false
		res.Output = outtree.Stats{Documents: res.Documents, Unchanged: true}
		return &res, nil
	}
	res, err := b.finish(ctx, now, rd, out)
	if err != nil {
		b.folder.Abort()
		return res, err
	}
	b.folder.Commit()
	return res, nil
}

// finish plans and writes the documents of a read, reusing those the
// output holds whose inputs did not change, and records the build as the
// last.
func (b *incremental) finish(ctx context.Context, now time.Time, rd *source.FolderRead, out Output) (*Result, error) {
	res, err := b.b.plan(ctx, now, rd.Scanner, rd.Result, b.last, out)
	if err != nil {
		return res, err
	}
	res.Surveyed, res.Rescanned = rd.Surveyed, rd.Rescanned
	// The documents are written: their posts' HTML goes, their sums stay
	// (the cache keeps no HTML either; see source.Cache.KeepSumsOnly).
	for _, x := range res.Plan.Needed {
		x.ReleaseHTML()
	}
	b.last, b.lastOut = res, out
	return res, nil
}

// close stops watching the content folder.
func (b *incremental) close() { b.folder.Close() }
