//go:build unix

package routing

import "syscall"

// cpuTime returns the process's user plus system CPU time in nanoseconds,
// so benchmarks can report CPU per operation, which other processes on a
// busy machine do not inflate the way they inflate wall time.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
