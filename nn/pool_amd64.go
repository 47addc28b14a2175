//go:build amd64 && !purego

package nn

import "github.com/gradflow/gradflow/ops/blas"

// Implemented in pool_amd64.s.
//
//go:noescape
func maxPool2FwdAVX512S(r0, r1, y *float32, nfull int, tail uint64)

//go:noescape
func maxPool2FwdAVX512D(r0, r1, y *float64, nfull int, tail uint64)

//go:noescape
func maxPool2BwdAVX512S(r0, r1, y, dy, d0, d1 *float32, nfull int, tail uint64)

//go:noescape
func maxPool2BwdAVX512D(r0, r1, y, dy, d0, d1 *float64, nfull int, tail uint64)

func init() { pool2Asm = blas.AVX512() }

func maxPool2FwdS(r0, r1, y *float32, nfull int, tail uint64) {
	maxPool2FwdAVX512S(r0, r1, y, nfull, tail)
}
func maxPool2FwdD(r0, r1, y *float64, nfull int, tail uint64) {
	maxPool2FwdAVX512D(r0, r1, y, nfull, tail)
}
func maxPool2BwdS(r0, r1, y, dy, d0, d1 *float32, nfull int, tail uint64) {
	maxPool2BwdAVX512S(r0, r1, y, dy, d0, d1, nfull, tail)
}
func maxPool2BwdD(r0, r1, y, dy, d0, d1 *float64, nfull int, tail uint64) {
	maxPool2BwdAVX512D(r0, r1, y, dy, d0, d1, nfull, tail)
}
