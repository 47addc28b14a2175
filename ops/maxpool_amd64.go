//go:build amd64 && !purego

package ops

//go:generate go run gen_maxpool.go

import "github.com/gradflow/gradflow/ops/blas"

// Implemented in maxpool_amd64.s.
//
//go:noescape
func maxPool2FwdAVX512S(x, y *float32, rows, wB, yB, nfull int, tail uint64)

//go:noescape
func maxPool2FwdAVX512D(x, y *float64, rows, wB, yB, nfull int, tail uint64)

//go:noescape
func maxPool2BwdAVX512S(x, y, dy, dx *float32, rows, wB, yB, nfull int, tail uint64)

//go:noescape
func maxPool2BwdAVX512D(x, y, dy, dx *float64, rows, wB, yB, nfull int, tail uint64)

func init() { pool2Asm = blas.AVX512() }

func maxPool2FwdS(x, y *float32, rows, wB, yB, nfull int, tail uint64) {
	maxPool2FwdAVX512S(x, y, rows, wB, yB, nfull, tail)
}

func maxPool2FwdD(x, y *float64, rows, wB, yB, nfull int, tail uint64) {
	maxPool2FwdAVX512D(x, y, rows, wB, yB, nfull, tail)
}

func maxPool2BwdS(x, y, dy, dx *float32, rows, wB, yB, nfull int, tail uint64) {
	maxPool2BwdAVX512S(x, y, dy, dx, rows, wB, yB, nfull, tail)
}

func maxPool2BwdD(x, y, dy, dx *float64, rows, wB, yB, nfull int, tail uint64) {
	maxPool2BwdAVX512D(x, y, dy, dx, rows, wB, yB, nfull, tail)
}
