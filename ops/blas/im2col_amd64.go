//go:build amd64 && !purego

package blas

// Implemented in im2col_amd64.s.
//
//go:noescape
func im2colAVX512S(x, col *float32, c, h, w, kh, kw, oh, ow, nv int, tail uint64, tb int)

//go:noescape
func im2colAVX512D(x, col *float64, c, h, w, kh, kw, oh, ow, nv int, tail uint64, tb int)

// Implemented in im2col_avx2_amd64.s.
//
//go:noescape
func im2colAVX2S(x, col *float32, c, h, w, kh, kw, oh, ow, nv int, tail uint64, tb int)

//go:noescape
func im2colAVX2D(x, col *float64, c, h, w, kh, kw, oh, ow, nv int, tail uint64, tb int)

// The AVX-512 im2col runs on the PathAVX512 path, the AVX2 one on PathAVX2.
var _ = onPath(func(p Path) {
	im2colAsm32, im2colAsm64 = im2colAsm[float32]{}, im2colAsm[float64]{}
	if p == PathAVX512 {
		im2colAsm32 = im2colAsm[float32]{fn: im2colAVX512S, v: 16}
		im2colAsm64 = im2colAsm[float64]{fn: im2colAVX512D, v: 8}
	}
	if p == PathAVX2 {
		im2colAsm32 = im2colAsm[float32]{fn: im2colAVX2S, v: 8}
		im2colAsm64 = im2colAsm[float64]{fn: im2colAVX2D, v: 4}
	}
})
