package blas

import "unsafe"

// float is the element type of the GEMM driver.
type float interface{ ~float32 | ~float64 }

// kernelFunc computes the mr x nr tile C = alpha*A*B + beta*C from a packed
// A micro-panel (k steps of mr values) and a packed B micro-panel (k steps
// of nr values); C is row-major with row stride ldc. beta == 0 must not read
// C. k >= 1.
type kernelFunc[T float] func(k int, a, b, c *T, ldc int, alpha, beta T)

// kernel is a micro-kernel with its register tile (mr x nr) and the cache
// blocking the driver uses with it (mc x kc blocks of A, kc x nc of B).
// mc is a multiple of mr, nc of nr. When n <= narrow.nr the driver uses
// narrow instead, which wastes less of its tile on padding.
type kernel[T float] struct {
	name       string
	mr, nr     int
	mc, kc, nc int
	fn         kernelFunc[T]
	narrow     *kernel[T]
	pk         packer[T] // for packing; the zero value uses Go loops
	path       Path      // the lowest Path that may run it
	isNarrow   bool      // only reached as another kernel's narrow
}

// packer holds the assembly routines of packing for vectors of v values.
// transpose sets dst[p*w+i] = src[i*ld+p] for i < r <= v and p < nblk*v;
// copy copies rows of nv vectors with lane masks (see copyRows).
type packer[T float] struct {
	transpose func(dst *T, w int, src *T, ld, r, nblk int)
	copy      func(dst *T, ldd int, src *T, lds, rows, nv int, lmask, smask uint64)
	v         int
}

// kernels32 and kernels64 hold the kernels this CPU can run, fastest first;
// the portable Go kernel is always last. Filled by init.
var (
	kernels32 []kernel[float32]
	kernels64 []kernel[float64]
)

// active32 and active64 are the kernels Sgemm and Dgemm use; tests swap them
// to cover every kernel, the portable one included.
var (
	active32 *kernel[float32]
	active64 *kernel[float64]
)

// useGonum makes Sgemm and Dgemm call gonum's: set on amd64 CPUs without
// AVX2, where gonum's SSE2 assembly is faster than the portable kernel.
var useGonum bool

// genericMR and genericNR are the tile of the portable kernel: its 16
// accumulators fit the 32 floating-point registers of arm64, ppc64le,
// riscv64 and s390x (on amd64, used only with -tags purego, they spill).
const genericMR, genericNR = 4, 4

// addGeneric appends the portable kernel (always last).
func addGeneric() {
	kernels32 = append(kernels32, kernel[float32]{name: "generic", mr: genericMR, nr: genericNR, mc: 128, kc: 256, nc: 1024, fn: kernelGeneric[float32]})
	kernels64 = append(kernels64, kernel[float64]{name: "generic", mr: genericMR, nr: genericNR, mc: 128, kc: 256, nc: 1024, fn: kernelGeneric[float64]})
}

// kernelName returns the name of the micro-kernel Sgemm and Dgemm use now:
// "avx512", "avx2", "generic" (the portable Go kernel: off amd64, with -tags
// purego, or on the generic path) or "gonum" (amd64 without AVX2: gonum's Sgemm
// and Dgemm are called). The public view of the choice is Active.
func kernelName() string {
	if useGonum {
		return "gonum"
	}
	return active32.name
}

// kernelGeneric is the portable 4x4 micro-kernel.
func kernelGeneric[T float](k int, ap, bp, cp *T, ldc int, alpha, beta T) {
	a := unsafe.Slice(ap, k*genericMR)
	b := unsafe.Slice(bp, k*genericNR)
	var c00, c01, c02, c03, c10, c11, c12, c13 T
	var c20, c21, c22, c23, c30, c31, c32, c33 T
	for p := 0; p < k; p++ {
		av := a[p*genericMR : p*genericMR+genericMR : p*genericMR+genericMR]
		bv := b[p*genericNR : p*genericNR+genericNR : p*genericNR+genericNR]
		a0, a1, a2, a3 := av[0], av[1], av[2], av[3]
		b0, b1, b2, b3 := bv[0], bv[1], bv[2], bv[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	c := unsafe.Slice(cp, 3*ldc+genericNR)
	store4(c[0:4:4], alpha, beta, c00, c01, c02, c03)
	store4(c[ldc:ldc+4:ldc+4], alpha, beta, c10, c11, c12, c13)
	store4(c[2*ldc:2*ldc+4:2*ldc+4], alpha, beta, c20, c21, c22, c23)
	store4(c[3*ldc:3*ldc+4:3*ldc+4], alpha, beta, c30, c31, c32, c33)
}

// store4 writes alpha*(x0..x3) + beta*c into c, not reading c when beta == 0.
func store4[T float](c []T, alpha, beta T, x0, x1, x2, x3 T) {
	if beta == 0 {
		c[0], c[1], c[2], c[3] = alpha*x0, alpha*x1, alpha*x2, alpha*x3
		return
	}
	c[0] = alpha*x0 + beta*c[0]
	c[1] = alpha*x1 + beta*c[1]
	c[2] = alpha*x2 + beta*c[2]
	c[3] = alpha*x3 + beta*c[3]
}
