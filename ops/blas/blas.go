package blas

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
	"gorgonia.org/gorgonia"
)

// Implementation is a gonum BLAS whose Sgemm and Dgemm run this package's
// packed, cache-blocked, multi-threaded GEMM; every other routine is
// gonum's (gonum.Implementation, embedded). The zero value is ready to use.
type Implementation struct {
	gonum.Implementation

	// Threads caps the goroutines one Sgemm or Dgemm call uses.
	// Zero (the default) means runtime.GOMAXPROCS(0).
	Threads int
}

var (
	_ blas.Float32  = Implementation{}
	_ blas.Float64  = Implementation{}
	_ gorgonia.BLAS = Implementation{}
)

// Install makes gorgonia (and gorgonia.org/tensor) use Implementation{}
// for every matrix product. It returns the BLAS that was in use, so a
// caller can restore it with gorgonia.Use.
func Install() (previous gorgonia.BLAS) {
	previous = gorgonia.WhichBLAS()
	gorgonia.Use(Implementation{})
	return previous
}

// Panic messages: the same as gonum's, since callers may see either.
const (
	mLT0         = "blas: m < 0"
	nLT0         = "blas: n < 0"
	kLT0         = "blas: k < 0"
	badTranspose = "blas: illegal transpose"
	badLdA       = "blas: bad leading dimension of A"
	badLdB       = "blas: bad leading dimension of B"
	badLdC       = "blas: bad leading dimension of C"
	shortA       = "blas: insufficient length of a"
	shortB       = "blas: insufficient length of b"
	shortC       = "blas: insufficient length of c"
)

// Sgemm performs one of the matrix-matrix operations
//
//	C = alpha * A * B + beta * C
//	C = alpha * Aᵀ * B + beta * C
//	C = alpha * A * Bᵀ + beta * C
//	C = alpha * Aᵀ * Bᵀ + beta * C
//
// where A is an m×k or k×m dense matrix, B is an n×k or k×n dense matrix, C
// is an m×n matrix, and alpha and beta are scalars. tA and tB specify
// whether A or B are transposed. Arguments are checked as gonum checks them
// and bad ones panic with gonum's messages. When beta is zero C is not
// read, so NaNs in C do not propagate; when alpha is zero A and B are not
// read (as in the reference BLAS).
func (impl Implementation) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if useGonum {
		impl.Implementation.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	checkGemm(tA, tB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	g := gemmArgs[float32]{kn: active32, tA: isTrans(tA), tB: isTrans(tB), m: m, n: n, k: k,
		alpha: alpha, beta: beta, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc}
	gemm(&g, impl.Threads)
}

// Dgemm performs one of the matrix-matrix operations
//
//	C = alpha * A * B + beta * C
//	C = alpha * Aᵀ * B + beta * C
//	C = alpha * A * Bᵀ + beta * C
//	C = alpha * Aᵀ * Bᵀ + beta * C
//
// where A is an m×k or k×m dense matrix, B is an n×k or k×n dense matrix, C
// is an m×n matrix, and alpha and beta are scalars. tA and tB specify
// whether A or B are transposed. Arguments are checked as gonum checks them
// and bad ones panic with gonum's messages. When beta is zero C is not
// read, so NaNs in C do not propagate; when alpha is zero A and B are not
// read (as in the reference BLAS).
func (impl Implementation) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	if useGonum {
		impl.Implementation.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	checkGemm(tA, tB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	g := gemmArgs[float64]{kn: active64, tA: isTrans(tA), tB: isTrans(tB), m: m, n: n, k: k,
		alpha: alpha, beta: beta, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc}
	gemm(&g, impl.Threads)
}

func isTrans(t blas.Transpose) bool { return t == blas.Trans || t == blas.ConjTrans }

// checkGemm panics as gonum's Dgemm does, in the same order, on bad
// arguments.
func checkGemm(tA, tB blas.Transpose, m, n, k, lenA, lda, lenB, ldb, lenC, ldc int) {
	switch tA {
	default:
		panic(badTranspose)
	case blas.NoTrans, blas.Trans, blas.ConjTrans:
	}
	switch tB {
	default:
		panic(badTranspose)
	case blas.NoTrans, blas.Trans, blas.ConjTrans:
	}
	if m < 0 {
		panic(mLT0)
	}
	if n < 0 {
		panic(nLT0)
	}
	if k < 0 {
		panic(kLT0)
	}
	aTrans, bTrans := isTrans(tA), isTrans(tB)
	if (aTrans && lda < max(1, m)) || (!aTrans && lda < max(1, k)) {
		panic(badLdA)
	}
	if (bTrans && ldb < max(1, k)) || (!bTrans && ldb < max(1, n)) {
		panic(badLdB)
	}
	if ldc < max(1, n) {
		panic(badLdC)
	}
	if m == 0 || n == 0 {
		return
	}
	// For k == 0 the length checks below are trivially satisfied.
	if (aTrans && lenA < (k-1)*lda+m) || (!aTrans && lenA < (m-1)*lda+k) {
		panic(shortA)
	}
	if (bTrans && lenB < (n-1)*ldb+k) || (!bTrans && lenB < (k-1)*ldb+n) {
		panic(shortB)
	}
	if lenC < (m-1)*ldc+n {
		panic(shortC)
	}
}
