//go:build amd64 && !purego

package train

import "github.com/gradflow/gradflow/ops/blas"

// haveAVX2 reports whether the CPU runs AVX2 (ops/blas detects it at start-up and
// picks its GEMM kernels accordingly).
var haveAVX2 = blas.Kernel() == "avx512" || blas.Kernel() == "avx2"

// adamCoeffs32 is adamCoeffs[float32]'s scalars laid out for the assembly kernel.
type adamCoeffs32 struct {
	beta1, beta2, oneMinusBeta1, oneMinusBeta2, l2, decay, stepSize, bc2Sqrt, eps float32
}

//go:noescape
func adamF32AVX2(wp, gp, mp, vp *float32, n int, c *adamCoeffs32)

// adamFast runs the vectorised kernel over the longest multiple-of-8 prefix and
// returns how many elements it did; the caller finishes the tail. It applies to
// float32 Adam and AdamW without AMSGrad and without Adam's coupled L2 term; results
// are bit-identical to adamUpdate's scalar loop.
func adamFast[T optimFloat](w, g, m, v []T, c adamCoeffs[T]) int {
	if !haveAVX2 || c.amsgrad || c.l2 != 0 || len(w) < 8 {
		return 0
	}
	w32, ok := any(w).([]float32)
	if !ok {
		return 0
	}
	g32, m32, v32 := any(g).([]float32), any(m).([]float32), any(v).([]float32)
	n := len(w32) &^ 7
	if len(g32) < n || len(m32) < n || len(v32) < n {
		return 0
	}
	k := adamCoeffs32{
		beta1: float32(c.beta1), beta2: float32(c.beta2),
		oneMinusBeta1: float32(c.oneMinusBeta1), oneMinusBeta2: float32(c.oneMinusBeta2),
		decay: float32(c.decay), stepSize: float32(c.stepSize), bc2Sqrt: float32(c.bc2Sqrt), eps: float32(c.eps),
	}
	adamF32AVX2(&w32[0], &g32[0], &m32[0], &v32[0], n, &k)
	return n
}
