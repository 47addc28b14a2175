//go:build amd64 && !purego

package optim

import "github.com/gradflow/gradflow/ops/blas"

// haveAVX2 reports whether the CPU runs AVX2 (ops/blas detects it at start-up and
// picks its GEMM kernels accordingly).
var haveAVX2 = blas.Kernel() == "avx512" || blas.Kernel() == "avx2"

// adamCoeffs32 is adamCoeffs[float32]'s scalars laid out for the assembly kernel.
type adamCoeffs32 struct {
	beta1, beta2, oneMinusBeta1, oneMinusBeta2, l2, decay, stepSize, bc2Sqrt, eps float32
}

// adamCoeffs64 is adamCoeffs[float64]'s scalars laid out for the assembly kernel.
type adamCoeffs64 struct {
	beta1, beta2, oneMinusBeta1, oneMinusBeta2, l2, decay, stepSize, bc2Sqrt, eps float64
}

//go:noescape
func adamF32AVX2(wp, gp, mp, vp *float32, n int, c *adamCoeffs32)

//go:noescape
func adamF64AVX2(wp, gp, mp, vp *float64, n int, c *adamCoeffs64)

// adamFast runs the vectorised kernel over the longest prefix that fills whole
// vectors (8 float32 or 4 float64 values) and
// returns how many elements it did; the caller finishes the tail. It applies to
// Adam and AdamW without AMSGrad and without Adam's coupled L2 term; results
// are bit-identical to adamUpdate's scalar loop.
func adamFast[T optimFloat](w, g, m, v []T, c adamCoeffs[T]) int {
	if !haveAVX2 || c.amsgrad || c.l2 != 0 || len(w) < 8 {
		return 0
	}
	switch w := any(w).(type) {
	case []float32:
		g, m, v := any(g).([]float32), any(m).([]float32), any(v).([]float32)
		n := len(w) &^ 7
		if len(g) < n || len(m) < n || len(v) < n {
			return 0
		}
		k := adamCoeffs32{
			beta1: float32(c.beta1), beta2: float32(c.beta2),
			oneMinusBeta1: float32(c.oneMinusBeta1), oneMinusBeta2: float32(c.oneMinusBeta2),
			decay: float32(c.decay), stepSize: float32(c.stepSize), bc2Sqrt: float32(c.bc2Sqrt), eps: float32(c.eps),
		}
		adamF32AVX2(&w[0], &g[0], &m[0], &v[0], n, &k)
		return n
	case []float64:
		g, m, v := any(g).([]float64), any(m).([]float64), any(v).([]float64)
		n := len(w) &^ 3
		if len(g) < n || len(m) < n || len(v) < n {
			return 0
		}
		k := adamCoeffs64{
			beta1: float64(c.beta1), beta2: float64(c.beta2),
			oneMinusBeta1: float64(c.oneMinusBeta1), oneMinusBeta2: float64(c.oneMinusBeta2),
			decay: float64(c.decay), stepSize: float64(c.stepSize), bc2Sqrt: float64(c.bc2Sqrt), eps: float64(c.eps),
		}
		adamF64AVX2(&w[0], &g[0], &m[0], &v[0], n, &k)
		return n
	}
	return 0
}
