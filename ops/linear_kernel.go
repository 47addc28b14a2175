package ops

import (
	gblas "gonum.org/v1/gonum/blas"

	"github.com/gradflow/gradflow/ops/blas"
	"github.com/gradflow/gradflow/ops/kern"
)

// gemmFunc is C (m, n) = op(A)·op(B) + beta·C for row-major matrices, op a transpose
// when tA or tB is set: sgemm or dgemm.
type gemmFunc[T float] func(tA, tB bool, m, n, k int, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int)

// sgemm and dgemm are gradflow's GEMM (ops/blas), called directly: gradflow's kernels
// do not depend on which BLAS gorgonia uses for its own ops (graph installs ops/blas
// there too, by default).
func sgemm(tA, tB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	blas.Implementation{}.Sgemm(trans(tA), trans(tB), m, n, k, 1, a, lda, b, ldb, beta, c, ldc)
}

func dgemm(tA, tB bool, m, n, k int, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	blas.Implementation{}.Dgemm(trans(tA), trans(tB), m, n, k, 1, a, lda, b, ldb, beta, c, ldc)
}

// sgemmSerial and dgemmSerial are sgemm and dgemm on the calling goroutine alone, for
// kernels whose workers already use every core (one GEMM per sample or per head).
func sgemmSerial(tA, tB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	blas.Implementation{Threads: 1}.Sgemm(trans(tA), trans(tB), m, n, k, 1, a, lda, b, ldb, beta, c, ldc)
}

func dgemmSerial(tA, tB bool, m, n, k int, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	blas.Implementation{Threads: 1}.Dgemm(trans(tA), trans(tB), m, n, k, 1, a, lda, b, ldb, beta, c, ldc)
}

// gemmOf and serialGemm return sgemm and sgemmSerial for float32, dgemm and
// dgemmSerial for float64.
func gemmOf[T float]() gemmFunc[T] {
	if _, ok := any(T(0)).(float32); ok {
		return any(gemmFunc[float32](sgemm)).(gemmFunc[T])
	}
	return any(gemmFunc[float64](dgemm)).(gemmFunc[T])
}

func serialGemm[T float]() gemmFunc[T] {
	if _, ok := any(T(0)).(float32); ok {
		return any(gemmFunc[float32](sgemmSerial)).(gemmFunc[T])
	}
	return any(gemmFunc[float64](dgemmSerial)).(gemmFunc[T])
}

func trans(t bool) gblas.Transpose {
	if t {
		return gblas.Trans
	}
	return gblas.NoTrans
}

// linearForward writes x·w (+ b), rectified if relu, into y: x is (n, k), w (k, m), b
// (m) or nil, y (n, m). The GEMM is the call gorgonia's Mul makes (beta 0), and the
// bias is added afterwards element by element as BroadcastAdd does, so the values are
// bit for bit those of Mul then BroadcastAdd (then ReLU). Adding the bias through the
// GEMM (C pre-filled with it, beta 1) would save no pass worth having and round
// differently, since the GEMM accumulates over k in blocks.
func linearForward[T float](x, w, b, y []T, n, k, m int, relu bool, gemm gemmFunc[T]) {
	gemm(false, false, n, m, k, x, k, w, m, 0, y, m)
	if b == nil && !relu {
		return
	}
	for i := 0; i < n; i++ {
		row := y[i*m : (i+1)*m]
		if b != nil {
			kern.Add(row, b)
		}
		if relu {
			kern.ReLU(row, row)
		}
	}
}

// columnSums writes the sums of the columns of x (n, m) into out (m), accumulating
// row by row in T as gorgonia's reduction along axis 0 does.
func columnSums[T float](x, out []T, n, m int) {
	out = out[:m]
	clear(out)
	for i := 0; i < n; i++ {
		kern.Add(out, x[i*m:(i+1)*m])
	}
}
