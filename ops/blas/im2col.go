package blas

import "unsafe"

// Im2col32 writes the im2col matrix of a valid convolution (unit stride and dilation,
// no padding) of the image x, c planes of h x w, with a kh x kw kernel: one row per
// tap (channel, kernel row, kernel column), in that order, each holding the oh x ow
// block of its plane that the tap meets (oh = h-kh+1, ow = w-kw+1), row after row.
// col must hold c*kh*kw*oh*ow values. With AVX-512 the whole matrix is written by one
// assembly loop of masked vector moves; nn's convolution uses it for small images,
// whose rows of a few values make a copy call per row slow. It panics if the sizes do
// not fit.
func Im2col32(x []float32, c, h, w, kh, kw int, col []float32) {
	im2col(&im2colAsm32, x, c, h, w, kh, kw, col)
}

// Im2col64 is Im2col32 for float64.
func Im2col64(x []float64, c, h, w, kh, kw int, col []float64) {
	im2col(&im2colAsm64, x, c, h, w, kh, kw, col)
}

// im2colAsm is an assembly Im2col for vectors of v values (fn nil: none).
type im2colAsm[T float] struct {
	fn func(x, col *T, c, h, w, kh, kw, oh, ow, nv int, tail uint64, tb int)
	v  int
}

// Set by init where the CPU runs them; tests clear them to cover the Go loop.
var (
	im2colAsm32 im2colAsm[float32]
	im2colAsm64 im2colAsm[float64]
)

func im2col[T float](as *im2colAsm[T], x []T, c, h, w, kh, kw int, col []T) {
	oh, ow := h-kh+1, w-kw+1
	if c <= 0 || kh <= 0 || kw <= 0 || oh <= 0 || ow <= 0 {
		panic("blas: Im2col: bad sizes")
	}
	if len(x) < c*h*w || len(col) < c*kh*kw*oh*ow {
		panic("blas: Im2col: slice too short")
	}
	if as.fn != nil {
		tail := ow % as.v
		var zero T
		as.fn(&x[0], &col[0], c, h, w, kh, kw, oh, ow, ow/as.v, laneMask(tail, as.v), tail*int(unsafe.Sizeof(zero)))
		return
	}
	dst := col
	for ch := 0; ch < c; ch++ {
		plane := x[ch*h*w : (ch+1)*h*w]
		for p := 0; p < kh; p++ {
			for q := 0; q < kw; q++ {
				for i := 0; i < oh; i++ {
					copy(dst[:ow], plane[(p+i)*w+q:])
					dst = dst[ow:]
				}
			}
		}
	}
}
