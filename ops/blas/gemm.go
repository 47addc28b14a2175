package blas

import (
	"sync"
	"unsafe"
)

// gemmArgs is one validated GEMM problem, C = alpha*op(A)*op(B) + beta*C,
// or one part of it.
type gemmArgs[T float] struct {
	kn          *kernel[T]
	tA, tB      bool
	m, n, k     int
	alpha, beta T
	a           []T
	lda         int
	b           []T
	ldb         int
	c           []T
	ldc         int
}

// smallWork is the largest m*n*k computed by a plain triple loop: below it,
// packing costs more than it saves (measured on Zen 5, both dtypes).
var smallWork = 256

// gemm computes a validated problem: small ones directly, large ones split
// across at most threads goroutines.
func gemm[T float](g *gemmArgs[T], threads int) {
	if g.m == 0 || g.n == 0 {
		return
	}
	if g.alpha == 0 || g.k == 0 {
		scaleC(g.m, g.n, g.beta, g.c, g.ldc)
		return
	}
	if work(g) <= int64(smallWork) {
		gemmSmall(g)
		return
	}
	if nk := g.kn.narrow; nk != nil && g.n <= nk.nr {
		g.kn = nk
	}
	if p := parts(g, threads); p > 1 && gemmParallel(g, p) {
		return
	}
	if workers.mu.TryLock() {
		// The pool's own buffers live as long as the process; a sync.Pool
		// is emptied by the garbage collector.
		gemmSerial(g, ownBuffers[T]())
		workers.mu.Unlock()
		return
	}
	pool := bufferPool[T]()
	bf := pool.Get().(*buffers[T])
	gemmSerial(g, bf)
	pool.Put(bf)
}

// scaleC sets the m x n matrix C to beta*C, and to zero (not reading C)
// when beta == 0.
func scaleC[T float](m, n int, beta T, c []T, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// gemmSmall computes tiny problems directly, row by row of C: each row is
// scaled by beta, then alpha*A[i][p] times row p of op(B) is added to it.
func gemmSmall[T float](g *gemmArgs[T]) {
	m, n, k := g.m, g.n, g.k
	a, b, c := g.a, g.b, g.c
	lda, ldb, ldc := g.lda, g.ldb, g.ldc
	alpha, beta, tA, tB := g.alpha, g.beta, g.tA, g.tB
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		switch beta {
		case 0:
			clear(row)
		case 1:
		default:
			for j := range row {
				row[j] *= beta
			}
		}
		for p := 0; p < k; p++ {
			var ap T
			if tA {
				ap = a[p*lda+i]
			} else {
				ap = a[i*lda+p]
			}
			ap *= alpha
			if !tB {
				for j, bv := range b[p*ldb : p*ldb+n] {
					row[j] += ap * bv
				}
				continue
			}
			for j := range row {
				row[j] += ap * b[j*ldb+p]
			}
		}
	}
}

// buffers holds one goroutine's packed blocks and its edge tile.
type buffers[T float] struct {
	a, b, tile []T
}

// ensure grows the buffers to hold na, nb and nt values, each starting
// on a 64-byte boundary so the kernels' vector loads do not split cache
// lines.
func (bf *buffers[T]) ensure(na, nb, nt int) {
	bf.a = aligned(bf.a, na)
	bf.b = aligned(bf.b, nb)
	bf.tile = aligned(bf.tile, nt)
}

func aligned[T float](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	var z T
	pad := 64 / int(unsafe.Sizeof(z))
	s = make([]T, n+pad)
	off := int(uintptr(unsafe.Pointer(&s[0]))%64) / int(unsafe.Sizeof(z))
	if off != 0 {
		off = pad - off
	}
	return s[off : off+n : off+n]
}

var pool32, pool64 = sync.Pool{New: func() any { return new(buffers[float32]) }},
	sync.Pool{New: func() any { return new(buffers[float64]) }}

// bufferPool returns the pool of buffers for element type T.
func bufferPool[T float]() *sync.Pool {
	if _, ok := any((*T)(nil)).(*float32); ok {
		return &pool32
	}
	return &pool64
}

// gemmSerial computes g on the calling goroutine with the Goto/BLIS loop
// nest: panels of B (kc x nc) outside, blocks of A (mc x kc) inside, then
// the micro-kernel over nr-wide and mr-high tiles.
func gemmSerial[T float](g *gemmArgs[T], bf *buffers[T]) {
	kn := g.kn
	mr, nr := kn.mr, kn.nr
	// Split k into equal blocks of at most kn.kc, so a k just above kc
	// does not leave a thin, inefficient last block.
	kBlocks := (g.k + kn.kc - 1) / kn.kc
	kcMax := (g.k + kBlocks - 1) / kBlocks
	ncMax := min(kn.nc, roundUp(g.n, nr))
	mcMax := min(kn.mc, roundUp(g.m, mr))
	bf.ensure((mcMax/mr)*panelStride[T](mr, kcMax), kcMax*ncMax, mr*nr)
	for jc := 0; jc < g.n; jc += ncMax {
		nc := min(ncMax, g.n-jc)
		for pc := 0; pc < g.k; pc += kcMax {
			kc := min(kcMax, g.k-pc)
			packB(&kn.pk, bf.b, g.b, g.ldb, g.tB, pc, jc, kc, nc, nr)
			beta := g.beta
			if pc > 0 {
				beta = 1 // C already holds the first blocks' sum
			}
			for ic := 0; ic < g.m; ic += mcMax {
				mc := min(mcMax, g.m-ic)
				packA(&kn.pk, bf.a, g.a, g.lda, g.tA, ic, pc, mc, kc, mr)
				macroKernel(kn, bf, mc, nc, kc, g.alpha, beta, g.c[ic*g.ldc+jc:], g.ldc)
			}
		}
	}
}

// macroKernel multiplies the packed mc x kc block of A by the packed
// kc x nc panel of B into C. Edge tiles go through bf.tile.
func macroKernel[T float](kn *kernel[T], bf *buffers[T], mc, nc, kc int, alpha, beta T, c []T, ldc int) {
	mr, nr := kn.mr, kn.nr
	stride := panelStride[T](mr, kc)
	for jr := 0; jr < nc; jr += nr {
		cols := min(nr, nc-jr)
		bp := &bf.b[jr*kc]
		for ir := 0; ir < mc; ir += mr {
			rows := min(mr, mc-ir)
			ap := &bf.a[ir/mr*stride]
			off := ir*ldc + jr
			if rows == mr && cols == nr {
				kn.fn(kc, ap, bp, &c[off], ldc, alpha, beta)
				continue
			}
			kn.fn(kc, ap, bp, &bf.tile[0], nr, 1, 0)
			for i := 0; i < rows; i++ {
				row := c[off+i*ldc : off+i*ldc+cols]
				t := bf.tile[i*nr : i*nr+cols]
				if beta == 0 {
					for j := range row {
						row[j] = alpha * t[j]
					}
					continue
				}
				for j := range row {
					row[j] = alpha*t[j] + beta*row[j]
				}
			}
		}
	}
}

func roundUp(x, m int) int { return (x + m - 1) / m * m }

// work is m*n*k, the multiply-adds of g, without overflow on 32-bit
// platforms.
func work[T float](g *gemmArgs[T]) int64 { return int64(g.m) * int64(g.n) * int64(g.k) }
