//go:build unix

package source

import (
	"syscall"
	"time"
)

// processCPU is the CPU time the process has used, user and system, on
// all threads: on shared cores it varies far less than wall time does.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
