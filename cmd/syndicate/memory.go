package main

import (
	"os"
	"runtime/debug"
)

// buildMemoryLimit is build's soft memory limit (runtime/debug's
// SetMemoryLimit), unless GOMEMLIMIT sets another (or "off"). The Go
// collector lets the heap grow to twice what is live; at 100,000 posts
// the rendered posts alone are about 300 MB live, so without a limit the
// process peaks near 1 GB although it never needs that much. With it the
// collector runs more often once the heap nears the limit, at little cost
// in time while what is live stays well under it; a site whose posts
// need more than the limit is slowed (the runtime caps the collector's
// share of CPU) rather than stopped, and GOMEMLIMIT=off lifts it.
const buildMemoryLimit = 512 << 20

// serveMemoryLimit is serve's soft memory limit, on the same terms as
// buildMemoryLimit. What serve keeps between rebuilds (documents held
// compressed, the posts' metadata, the cache, the index of the files and
// the plan's bookkeeping) is measured by BenchmarkRebuild's live-MiB
// (BENCHMARKS.md); a rebuild needs room above that for the posts it
// renders and the documents it encodes.
const serveMemoryLimit = 800 << 20

// limitMemory sets the soft memory limit and, unless GOGC is set, lets
// the heap grow to five times what is live (GOGC=400) below it: the limit,
// not the default doubling, then decides when the collector runs, which
// saves about a tenth of a cold build's time at 100,000 posts
// (BENCHMARKS.md).
func limitMemory(limit int64) {
	_, memSet := os.LookupEnv("GOMEMLIMIT")
	if !memSet {
		debug.SetMemoryLimit(limit)
	}
	if _, gcSet := os.LookupEnv("GOGC"); !gcSet && !memSet {
		debug.SetGCPercent(400)
	}
}
