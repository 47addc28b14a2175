//go:build amd64 && !purego

package blas

// Implemented in col2im_amd64.s.
//
//go:noescape
func col2imAVX512S(col, dx *float32, c, kh, kw, oh, nchunk int, masks, smasks *uint16, rowB, owB, qstepB, pB, planeB, backB, nchB, qmB int)

//go:noescape
func col2imAVX512D(col, dx *float64, c, kh, kw, oh, nchunk int, masks, smasks *uint16, rowB, owB, qstepB, pB, planeB, backB, nchB, qmB int)

// Implemented in col2im_avx2_amd64.s.
//
//go:noescape
func col2imAVX2S(col, dx *float32, c, kh, kw, oh, nchunk int, masks, smasks *uint32, rowB, owB, qstepB, pB, planeB, backB, nchB, qmB int)

//go:noescape
func col2imAVX2D(col, dx *float64, c, kh, kw, oh, nchunk int, masks, smasks *uint32, rowB, owB, qstepB, pB, planeB, backB, nchB, qmB int)

// The AVX-512 col2im runs on the PathAVX512 path, the AVX2 one (vector masks) on
// PathAVX2.
var _ = onPath(func(p Path) {
	col2imAsm32, col2imAsm64 = col2imAsm[float32]{}, col2imAsm[float64]{}
	if p == PathAVX512 {
		col2imAsm32 = col2imAsm[float32]{ok: true, v: 16}
		col2imAsm64 = col2imAsm[float64]{ok: true, v: 8}
	}
	if p == PathAVX2 {
		col2imAsm32 = col2imAsm[float32]{ok: true, v: 8, vecMasks: true}
		col2imAsm64 = col2imAsm[float64]{ok: true, v: 4, vecMasks: true}
	}
})

// col2imS and col2imD call the assembly; st holds its byte strides rowB, owB, qstepB,
// pB, planeB, backB, nchB and qmB.
func col2imS(col, dx *float32, c, kh, kw, oh, nchunk int, masks, smasks *uint16, st [8]int) {
	col2imAVX512S(col, dx, c, kh, kw, oh, nchunk, masks, smasks, st[0], st[1], st[2], st[3], st[4], st[5], st[6], st[7])
}

func col2imD(col, dx *float64, c, kh, kw, oh, nchunk int, masks, smasks *uint16, st [8]int) {
	col2imAVX512D(col, dx, c, kh, kw, oh, nchunk, masks, smasks, st[0], st[1], st[2], st[3], st[4], st[5], st[6], st[7])
}

// col2imVecS and col2imVecD call the AVX2 assembly, whose masks are 32-byte vectors.
func col2imVecS(col, dx *float32, c, kh, kw, oh, nchunk int, masks, smasks *uint32, st [8]int) {
	col2imAVX2S(col, dx, c, kh, kw, oh, nchunk, masks, smasks, st[0], st[1], st[2], st[3], st[4], st[5], st[6], st[7])
}

func col2imVecD(col, dx *float64, c, kh, kw, oh, nchunk int, masks, smasks *uint32, st [8]int) {
	col2imAVX2D(col, dx, c, kh, kw, oh, nchunk, masks, smasks, st[0], st[1], st[2], st[3], st[4], st[5], st[6], st[7])
}
