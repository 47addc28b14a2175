package blas

import (
	"fmt"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// panicMessage returns the value f panics with, or nil.
func panicMessage(f func()) (msg any) {
	defer func() { msg = recover() }()
	f()
	return nil
}

// TestGemmArgumentChecks checks that bad arguments panic exactly as in
// gonum (same message, same precedence) and that legal corner cases do not.
func TestGemmArgumentChecks(t *testing.T) {
	const N, T, C, bad = blas.NoTrans, blas.Trans, blas.ConjTrans, blas.Transpose('X')
	s := make([]float64, 100) // long enough for every legal case below
	cases := []struct {
		name        string
		tA, tB      blas.Transpose
		m, n, k     int
		la, lda     int
		lb, ldb     int
		lc, ldc     int
		alpha, beta float64
	}{
		{"ok", N, N, 3, 4, 5, 15, 5, 20, 4, 12, 4, 1, 0},
		{"ok conj", C, C, 3, 4, 5, 15, 3, 20, 5, 12, 4, 1, 0},
		{"bad tA", bad, N, 3, 4, 5, 15, 5, 20, 4, 12, 4, 1, 0},
		{"bad tB", N, bad, 3, 4, 5, 15, 5, 20, 4, 12, 4, 1, 0},
		{"bad both", bad, bad, -1, 4, 5, 15, 5, 20, 4, 12, 4, 1, 0},
		{"m<0", N, N, -1, 4, 5, 15, 5, 20, 4, 12, 4, 1, 0},
		{"n<0", N, N, 3, -1, 5, 15, 5, 20, 4, 12, 4, 1, 0},
		{"k<0", N, N, 3, 4, -1, 15, 5, 20, 4, 12, 4, 1, 0},
		{"m<0 and n<0", N, N, -1, -1, 5, 15, 5, 20, 4, 12, 4, 1, 0},
		{"lda<k", N, N, 3, 4, 5, 15, 4, 20, 4, 12, 4, 1, 0},
		{"lda<m trans", T, N, 3, 4, 5, 15, 2, 20, 4, 12, 4, 1, 0},
		{"lda=0 k=0", N, N, 3, 4, 0, 0, 0, 0, 4, 12, 4, 1, 0},
		{"ldb<n", N, N, 3, 4, 5, 15, 5, 20, 3, 12, 4, 1, 0},
		{"ldb<k trans", N, T, 3, 4, 5, 15, 5, 20, 4, 12, 4, 1, 0},
		{"ldc<n", N, N, 3, 4, 5, 15, 5, 20, 4, 12, 3, 1, 0},
		{"lda and ldc bad", N, N, 3, 4, 5, 15, 4, 20, 4, 12, 3, 1, 0},
		{"short a", N, N, 3, 4, 5, 14, 5, 20, 4, 12, 4, 1, 0},
		{"short a trans", T, N, 3, 4, 5, 14, 3, 20, 4, 12, 4, 1, 0},
		{"short b", N, N, 3, 4, 5, 15, 5, 19, 4, 12, 4, 1, 0},
		{"short b trans", N, T, 3, 4, 5, 15, 5, 19, 5, 12, 4, 1, 0},
		{"short c", N, N, 3, 4, 5, 15, 5, 20, 4, 11, 4, 1, 0},
		{"short a and c", N, N, 3, 4, 5, 14, 5, 20, 4, 11, 4, 1, 0},
		{"m=0 short slices", N, N, 0, 4, 5, 0, 5, 0, 4, 0, 4, 1, 0},
		{"n=0 short slices", N, N, 3, 0, 5, 0, 5, 0, 1, 0, 1, 1, 0},
		{"k=0 nil a and b", N, N, 3, 4, 0, 0, 1, 0, 4, 12, 4, 2, 0.5},
		{"alpha=0", N, N, 3, 4, 5, 15, 5, 20, 4, 12, 4, 0, 2},
		{"padded ld", T, T, 3, 4, 5, 5*7 - 4, 7, 4*9 - 4, 9, 2*6 + 4, 6, -1, 1},
	}
	seen := map[any]bool{}
	for _, c := range cases {
		sl := func(n int) []float64 { return s[:n:n] }
		for _, dtype := range []string{"float32", "float64"} {
			t.Run(fmt.Sprintf("%s/%s", c.name, dtype), func(t *testing.T) {
				call := func(impl interface {
					blas.Float32Level3
					blas.Float64Level3
				}) func() {
					if dtype == "float32" {
						s32 := make([]float32, 100)
						sl32 := func(n int) []float32 { return s32[:n:n] }
						return func() {
							impl.Sgemm(c.tA, c.tB, c.m, c.n, c.k, float32(c.alpha), sl32(c.la), c.lda, sl32(c.lb), c.ldb, float32(c.beta), sl32(c.lc), c.ldc)
						}
					}
					return func() {
						impl.Dgemm(c.tA, c.tB, c.m, c.n, c.k, c.alpha, sl(c.la), c.lda, sl(c.lb), c.ldb, c.beta, sl(c.lc), c.ldc)
					}
				}
				got := panicMessage(call(Implementation{}))
				want := panicMessage(call(gonum.Implementation{}))
				if got != want {
					t.Errorf("panic = %v, want %v (gonum)", got, want)
				}
				seen[want] = true
			})
		}
	}
	// The table must reach every check: ten messages and no panic.
	for _, msg := range []any{nil, badTranspose, mLT0, nLT0, kLT0, badLdA, badLdB, badLdC, shortA, shortB, shortC} {
		if !seen[msg] {
			t.Errorf("no case panics with %v", msg)
		}
	}
}

// TestGemmZeroAlloc checks that a call allocates nothing once the packing
// buffers and the workers exist, on one goroutine and on several.
func TestGemmZeroAlloc(t *testing.T) {
	for _, n := range []int{40, 300} { // one goroutine; split across GOMAXPROCS
		a32, c32 := make([]float32, n*n), make([]float32, n*n)
		a64, c64 := make([]float64, n*n), make([]float64, n*n)
		f32 := func() { Implementation{}.Sgemm(blas.NoTrans, blas.Trans, n, n, n, 1, a32, n, a32, n, 0, c32, n) }
		f64 := func() { Implementation{}.Dgemm(blas.Trans, blas.NoTrans, n, n, n, 1, a64, n, a64, n, 1, c64, n) }
		f32()
		f64()
		if got := testing.AllocsPerRun(10, f32); got != 0 {
			t.Errorf("Sgemm n=%d: %v allocations per call, want 0", n, got)
		}
		if got := testing.AllocsPerRun(10, f64); got != 0 {
			t.Errorf("Dgemm n=%d: %v allocations per call, want 0", n, got)
		}
	}
}
