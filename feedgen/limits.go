package feedgen

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/syndicate/syndicate/source"
)

// Limits on what one build may produce, so that no input can fill a disk
// or a server's memory: one post with N tags makes N tag feeds that each
// list all N tags, so output grows with the square of what a post names
// (source.Config.MaxTerms bounds that per post; these bound the whole).
// Options' zero values mean these defaults.
const (
	// DefaultMaxFeeds is Options.MaxFeeds's default.
	DefaultMaxFeeds = 50_000
	// DefaultMaxOutputBytes is Options.MaxOutputBytes's default: 4 GiB.
	DefaultMaxOutputBytes = 4 << 30
	// DefaultMaxHeldBytes is Options.MaxHeldBytes's default: 1 GiB,
	// above serve's soft memory limit, so only a site that could not be
	// served well anyway reaches it.
	DefaultMaxHeldBytes = 1 << 30
)

// ErrLimit is wrapped by the error of a plan or build that would go past
// one of Options' limits; the error names the limit and the post or
// document that crossed it. Nothing is written or held when it occurs.
var ErrLimit = errors.New("over a limit")

// withLimits is opts with its limits' defaults filled in.
func withLimits(opts Options) Options {
	if opts.MaxFeeds <= 0 {
		opts.MaxFeeds = DefaultMaxFeeds
	}
	if opts.MaxOutputBytes <= 0 {
		opts.MaxOutputBytes = DefaultMaxOutputBytes
	}
	if opts.MaxHeldBytes <= 0 {
		opts.MaxHeldBytes = DefaultMaxHeldBytes
	}
	return opts
}

// checkFeeds fails a plan with more feeds than Options.MaxFeeds, naming
// the post, of posts, that names the most tags and categories.
func (p *Plan) checkFeeds(posts []*source.Post) error {
	if len(p.Feeds) <= p.Options.MaxFeeds {
		return nil
	}
	tags, cats, authors := 0, 0, 0
	for _, f := range p.Feeds {
		switch f.Kind {
		case TagFeed:
			tags++
		case CategoryFeed:
			cats++
		case AuthorFeed:
			authors++
		}
	}
	var most *source.Post
	for _, x := range posts {
		if most == nil || len(x.Tags)+len(x.Categories) > len(most.Tags)+len(most.Categories) {
			most = x
		}
	}
	msg := fmt.Sprintf("%d feeds (%d tags, %d categories, %d authors and the site's) would be more than the limit of %d (limits.feeds)",
		len(p.Feeds), tags, cats, authors, p.Options.MaxFeeds)
	if most != nil {
		msg += fmt.Sprintf("; the post naming the most is %s (%d tags, %d categories)", nameOf(most), len(most.Tags), len(most.Categories))
	}
	return fmt.Errorf("feedgen: %s: %w", msg, ErrLimit)
}

// checkOutputBound fails, before anything is encoded, a build whose
// documents certainly come to more than Options.MaxOutputBytes: known
// bytes (documents kept from an earlier build) and the documents
// planned[i] for i in todo, still to encode. Every item of every format
// writes its id and each of its tags and categories at least once,
// escaped (never shorter), so their lengths summed over the documents'
// items are a lower bound of their size. It catches the tag bomb at
// once; the exact count as documents are encoded (budget) catches the
// rest.
func (p *Plan) checkOutputBound(known int64, planned []PlannedDocument, todo []int) error {
	// Cleaning a name (feedtext.Plain) makes no byte more than three
	// (an invalid byte becomes at most U+FFFD), so three times the raw
	// lengths bound the bound: most builds are far below the limit and
	// need no cleaning here.
	// A post with many names is measured once, however many documents
	// list it (a post with N tags is in N feeds); one with a few is
	// measured where it is listed, which is cheaper than looking it up.
	most := known
	raw := map[*source.Post]int64{}
	for _, i := range todo {
		for _, x := range planned[i].Feed.Posts {
			few := len(x.Tags)+len(x.Categories) <= 8
			n, ok := int64(0), false
			if !few {
				n, ok = raw[x]
			}
			if !ok {
				n = int64(len(p.IDs[x]))
				for _, list := range [2][]string{x.Tags, x.Categories} {
					for _, name := range list {
						n += 3 * int64(len(name))
					}
				}
				if !few {
					raw[x] = n
				}
			}
			most += n
		}
	}
	if most <= p.Options.MaxOutputBytes {
		return nil
	}
	per := map[*source.Post]int64{}
	total := known
	var worst *source.Post
	for _, i := range todo {
		for _, x := range planned[i].Feed.Posts {
			n, ok := per[x]
			if !ok {
				n = int64(len(p.IDs[x]))
				for _, c := range categoriesOf(x) {
					n += int64(len(c))
				}
				per[x] = n
			}
			total += n
			if worst == nil || n > per[worst] {
				worst = x
			}
		}
	}
	if total <= p.Options.MaxOutputBytes {
		return nil
	}
	return fmt.Errorf("feedgen: the documents would come to more than %s, over the output limit of %s (limits.output_bytes); the post that weighs most is %s (%d tags and categories): %w",
		byteSize(total), byteSize(p.Options.MaxOutputBytes), nameOf(worst), len(categoriesOf(worst)), ErrLimit)
}

// budget counts bytes against a limit as documents are made, from
// several goroutines.
type budget struct {
	what, key string // "output" and "limits.output_bytes", say
	max       int64
	used      atomic.Int64
}

// take counts n more bytes, for the document at path, and fails when
// they go past the limit: the caller then writes or keeps nothing more.
func (b *budget) take(n int64, path string) error {
	if used := b.used.Add(n); used > b.max {
		return fmt.Errorf("feedgen: %s (%s) would bring the documents' %s past the limit of %s (%s): %w",
			path, byteSize(n), b.what, byteSize(b.max), b.key, ErrLimit)
	}
	return nil
}

// byteSize writes a number of bytes for people.
func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
