//go:build !unix

package source

import "time"

// processCPU is unknown here; the benchmarks then report no CPU time.
func processCPU() time.Duration { return 0 }
