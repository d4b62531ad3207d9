//go:build !unix

package routing

// cpuTime is unavailable here; benchmarks then report no CPU figure.
func cpuTime() int64 { return 0 }
