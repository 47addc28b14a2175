//go:build amd64 && !purego

package ops

import "github.com/gradflow/gradflow/ops/blas"

// Implemented in gates_amd64.s; n is a multiple of 8.
//
//go:noescape
func lstmCellAVX512(row, cPrev, bias *float32, h, n int)

//go:noescape
func lstmCellGradAVX512(row, drow, cPrev, dh, dc, dg *float32, h, n int)

//go:noescape
func gruCellAVX512(row, hp, hPrev, bih, bhh *float32, h, n int)

//go:noescape
func tanhBiasAVX512(x, bias *float32, n int)

// gateAsm selects the AVX-512 gate kernels for float32 (where ops/blas found AVX-512F
// and the ZMM state); tests switch it off to check the Go ones.
var gateAsm = blas.AVX512()
