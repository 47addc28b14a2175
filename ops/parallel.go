package ops

import (
	"runtime"
	"sync"
)

// parallelMin is the element count from which element-wise kernels split the work
// across cores: below it a goroutine costs more than it saves.
const parallelMin = 1 << 15

// parallelChunks calls f on a partition of [0, n) into contiguous ranges, on up to
// GOMAXPROCS goroutines (the caller's included) when n >= parallelMin. Each element's
// result must not depend on the partition, so results are the same bit for bit.
func parallelChunks(n int, f func(lo, hi int)) { splitWork(n, n, f) }

// splitWork is parallelChunks for n items that hold work elements in all.
func splitWork(n, work int, f func(lo, hi int)) {
	p := min(runtime.GOMAXPROCS(0), work/(parallelMin/2), n)
	if work < parallelMin || p <= 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	for k := 1; k < p; k++ {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			f(lo, hi)
		}(k*n/p, (k+1)*n/p)
	}
	f(0, n/p)
	wg.Wait()
}
