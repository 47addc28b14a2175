//go:build !openblas

package graph

import "github.com/gradflow/gradflow/ops/blas"

// gradflow multiplies matrices with its own GEMM (ops/blas: packed, cache-blocked,
// AVX2/AVX-512 kernels on both cores), 10-50x faster than gonum's pure-Go one that
// gorgonia uses by default. Importing graph installs it for every gorgonia and
// gorgonia/tensor matrix product in the process; gorgonia.Use(gonum.Implementation{})
// switches back. Build with -tags openblas to use OpenBLAS instead (blas_openblas.go).
func init() { blas.Install() }
