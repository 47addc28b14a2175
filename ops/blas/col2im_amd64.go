//go:build amd64 && !purego

package blas

// Implemented in col2im_amd64.s.
//
//go:noescape
func col2imAVX512S(col, dx *float32, c, kh, kw, oh, nchunk int, masks, smasks *uint16, rowB, owB, qstepB, pB, planeB, backB, nchB, qmB int)

//go:noescape
func col2imAVX512D(col, dx *float64, c, kh, kw, oh, nchunk int, masks, smasks *uint16, rowB, owB, qstepB, pB, planeB, backB, nchB, qmB int)

func init() {
	if _, avx512 := cpuFeatures(); avx512 {
		col2imAsm32 = col2imAsm[float32]{fn: col2imAVX512S, v: 16}
		col2imAsm64 = col2imAsm[float64]{fn: col2imAVX512D, v: 8}
	}
}
