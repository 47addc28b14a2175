package blas

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// minWorkPerThread is the least m*n*k given to one goroutine: below about
// 64^3 multiply-adds (tens of microseconds) waking a worker costs more than
// it saves.
var minWorkPerThread = 64 * 64 * 64

// spinTime is how long a worker, or a caller waiting for workers, polls
// before it blocks. Waking a goroutine whose thread is asleep takes about
// 20 µs on a virtual machine, a large part of a mid-size product, and
// products come in quick succession when training (as with OpenMP's
// active wait policy).
var spinTime = 100 * time.Microsecond

// spin polls done, yielding the processor between polls, until it returns
// true (spin then returns true) or spinTime has passed.
func spin(done func() bool) bool {
	for start := time.Now(); !done(); {
		if time.Since(start) > spinTime {
			return false
		}
		runtime.Gosched()
	}
	return true
}

// noParts is the value of workers.next between calls: any part index taken
// from it is past the last part.
const noParts = math.MaxInt32 / 2

// workers is the persistent pool of goroutines that compute the parts of
// one large GEMM. One call holds mu while it uses them; a concurrent call
// that finds mu held runs on its own goroutine instead of queueing. The
// caller and the workers take parts from a shared counter, so a part whose
// worker has not been scheduled yet (another process holds its core) is
// done by whoever is free first.
var workers struct {
	mu      sync.Mutex
	pool    []*worker
	parts32 []gemmArgs[float32] // the parts of the current call
	parts64 []gemmArgs[float64]
	is64    bool
	n       atomic.Int32  // number of parts
	next    atomic.Int32  // index of the next part to take
	pending atomic.Int32  // parts not yet finished
	done    chan struct{} // signalled when pending reaches 0; may hold a stale token
	own32   buffers[float32]
	own64   buffers[float64] // the caller's buffers while it holds mu
}

func init() {
	workers.done = make(chan struct{}, 1)
	workers.next.Store(noParts)
}

// worker is one pooled goroutine with its packing buffers.
type worker struct {
	wake  chan struct{} // may hold a stale token
	buf32 buffers[float32]
	buf64 buffers[float64]
}

func (w *worker) run() {
	for {
		spin(w.woken)
		<-w.wake
		runParts(&w.buf32, &w.buf64)
	}
}

func (w *worker) woken() bool { return len(w.wake) > 0 }

func partsDone() bool { return workers.pending.Load() == 0 }

// runParts computes parts of the current call until none is left.
func runParts(b32 *buffers[float32], b64 *buffers[float64]) {
	for {
		i := workers.next.Add(1) - 1
		if i >= workers.n.Load() {
			return
		}
		if workers.is64 {
			gemmSerial(&workers.parts64[i], b64)
		} else {
			gemmSerial(&workers.parts32[i], b32)
		}
		if workers.pending.Add(-1) == 0 {
			select {
			case workers.done <- struct{}{}:
			default: // a stale token is there; the caller rechecks pending
			}
		}
	}
}

// partSlots returns the parts of element type T, with room for p.
func partSlots[T float](p int) []gemmArgs[T] {
	if s, ok := any(&workers.parts32).(*[]gemmArgs[T]); ok {
		workers.is64 = false
		if len(*s) < p {
			*s = make([]gemmArgs[T], p)
		}
		return *s
	}
	s := any(&workers.parts64).(*[]gemmArgs[T])
	workers.is64 = true
	if len(*s) < p {
		*s = make([]gemmArgs[T], p)
	}
	return *s
}

// ownBuffers returns the caller's buffers for element type T; the caller
// must hold workers.mu.
func ownBuffers[T float]() *buffers[T] {
	if bf, ok := any(&workers.own32).(*buffers[T]); ok {
		return bf
	}
	return any(&workers.own64).(*buffers[T])
}

// parts returns how many goroutines should share g: at most threads (or
// GOMAXPROCS if threads <= 0), one per minWorkPerThread and at most one per
// tile row (or column) of the dimension that is split.
func parts[T float](g *gemmArgs[T], threads int) int {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	p := int(min(int64(threads), work(g)/int64(minWorkPerThread)))
	if g.m >= g.n {
		p = min(p, (g.m+g.kn.mr-1)/g.kn.mr)
	} else {
		p = min(p, (g.n+g.kn.nr-1)/g.kn.nr)
	}
	return max(p, 1)
}

// gemmParallel splits C into p blocks of whole tiles along its longer
// dimension, so that the packing repeated in every block is of the smaller
// operand, and computes them on the calling goroutine and p-1 workers.
// Each goroutine packs into its own buffers. It returns false, having done
// nothing, if another call is using the workers.
func gemmParallel[T float](g *gemmArgs[T], p int) bool {
	if !workers.mu.TryLock() {
		return false
	}
	defer workers.mu.Unlock()
	splitM := g.m >= g.n
	dim, tile := g.n, g.kn.nr
	if splitM {
		dim, tile = g.m, g.kn.mr
	}
	step := roundUp((dim+p-1)/p, tile)
	p = (dim + step - 1) / step // rounding step up may leave fewer parts
	for len(workers.pool) < p-1 {
		w := &worker{wake: make(chan struct{}, 1)}
		workers.pool = append(workers.pool, w)
		go w.run()
	}
	slots := partSlots[T](p)
	for i := 0; i < p; i++ {
		lo := i * step
		sub := *g
		if splitM {
			sub.m = min(step, dim-lo)
			sub.a = g.a[rowOffset(lo, g.lda, g.tA):]
			sub.c = g.c[lo*g.ldc:]
		} else {
			sub.n = min(step, dim-lo)
			sub.b = g.b[rowOffset(lo, g.ldb, !g.tB):]
			sub.c = g.c[lo:]
		}
		slots[i] = sub
	}
	workers.n.Store(int32(p))
	workers.pending.Store(int32(p))
	workers.next.Store(0) // publishes the parts
	for _, w := range workers.pool[:p-1] {
		select {
		case w.wake <- struct{}{}:
		default: // a stale token will wake it
		}
	}
	runParts(&workers.own32, &workers.own64)
	for !partsDone() {
		if !spin(partsDone) {
			<-workers.done
		}
	}
	workers.next.Store(noParts)
	clear(slots[:p]) // do not pin the caller's slices
	return true
}

// rowOffset is the offset of row i of a matrix with leading dimension ld,
// or of column i when trans (the matrix is stored transposed).
func rowOffset(i, ld int, trans bool) int {
	if trans {
		return i
	}
	return i * ld
}
