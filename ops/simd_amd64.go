//go:build amd64 && !purego

package ops

import "github.com/gradflow/gradflow/ops/blas"

// Implemented in simd_amd64.s. n is a multiple of 8 (float32) or 4 (float64).

//go:noescape
func reluAVX2S(x, y *float32, n int)

//go:noescape
func reluAVX2D(x, y *float64, n int)

//go:noescape
func reluMaskAVX2S(y, dy, dx *float32, n int)

//go:noescape
func reluMaskAVX2D(y, dy, dx *float64, n int)

//go:noescape
func addAVX2S(dst, src *float32, n int)

//go:noescape
func addAVX2D(dst, src *float64, n int)

// useAVX2 selects the AVX2 kernels (where ops/blas found AVX2 and FMA); tests switch
// it off to check the Go ones.
var useAVX2 = blas.AVX2()
