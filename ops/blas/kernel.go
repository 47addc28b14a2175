package blas

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
