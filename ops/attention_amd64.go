//go:build amd64 && !purego

package ops

import "github.com/gradflow/gradflow/ops/blas"

// Implemented in attention_amd64.s.
//
//go:noescape
func softmaxExpAVX512(x *float32, n int, scale, m float64) (sum float64)

// attnAsm selects the AVX-512 exponentials of the attention softmax; tests switch it
// off to check the Go loop.
var attnAsm = blas.AVX512()
