package blas

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// gemmCase is one GEMM problem. padA, padB and padC are added to the
// smallest legal leading dimensions.
type gemmCase struct {
	tA, tB           blas.Transpose
	m, n, k          int
	alpha, beta      float64
	padA, padB, padC int
	nanC             bool // fill C with NaN (only meaningful with beta == 0)
}

func (c gemmCase) String() string {
	return fmt.Sprintf("%c%c/m=%d,n=%d,k=%d/alpha=%g,beta=%g/pad=%d,%d,%d",
		c.tA, c.tB, c.m, c.n, c.k, c.alpha, c.beta, c.padA, c.padB, c.padC)
}

var transposes = []blas.Transpose{blas.NoTrans, blas.Trans}

// sentinel marks the padding of C, which Sgemm and Dgemm must not touch.
const sentinel = 12345

// kernelList returns the kernels available for T, fastest first.
func kernelList[T float]() []kernel[T] {
	if k, ok := any(&kernels32).(*[]kernel[T]); ok {
		return *k
	}
	return *any(&kernels64).(*[]kernel[T])
}

// useKernel makes Sgemm (T = float32) or Dgemm use kn until the test ends.
func useKernel[T float](t testing.TB, kn *kernel[T]) {
	oldGonum := useGonum
	useGonum = false
	t.Cleanup(func() { useGonum = oldGonum })
	if p, ok := any(&active32).(**kernel[T]); ok {
		old := *p
		*p = kn
		t.Cleanup(func() { *p = old })
		return
	}
	p := any(&active64).(**kernel[T])
	old := *p
	*p = kn
	t.Cleanup(func() { *p = old })
}

// setVar sets *v to x until the test ends.
func setVar(t testing.TB, v *int, x int) {
	old := *v
	*v = x
	t.Cleanup(func() { *v = old })
}

// dims returns the stored rows and columns of a matrix used as r x c,
// transposed in storage if trans.
func dims(trans blas.Transpose, r, c int) (rows, cols int) {
	if trans == blas.NoTrans {
		return r, c
	}
	return c, r
}

// randMatrix returns rows x cols values in [-1, 1) stored with leading
// dimension ld; the padding holds pad.
func randMatrix[T float](rng *rand.Rand, rows, cols, ld int, pad T) []T {
	s := make([]T, max(rows*ld, 1))
	for i := range s {
		if i%ld < cols && i/ld < rows {
			s[i] = T(2*rng.Float64() - 1)
		} else {
			s[i] = pad
		}
	}
	return s
}

// gemmCall calls Sgemm or Dgemm of impl with T's element type.
func gemmCall[T float](impl blas.Float64Level3, impl32 blas.Float32Level3, c gemmCase, a []T, lda int, b []T, ldb int, cm []T, ldc int) {
	switch a := any(a).(type) {
	case []float32:
		impl32.Sgemm(c.tA, c.tB, c.m, c.n, c.k, float32(c.alpha), a, lda, any(b).([]float32), ldb, float32(c.beta), any(cm).([]float32), ldc)
	case []float64:
		impl.Dgemm(c.tA, c.tB, c.m, c.n, c.k, c.alpha, a, lda, any(b).([]float64), ldb, c.beta, any(cm).([]float64), ldc)
	}
}

// eps is the machine epsilon of T.
func eps[T float]() float64 {
	var z T
	if unsafe.Sizeof(z) == 4 {
		return 0x1p-23
	}
	return 0x1p-52
}

// runCase runs c with impl and gonum's Implementation and compares
// them element by element. Both results lie within the standard forward
// error bound (k+2)*eps*(|alpha|*|A||B| + |beta|*|C|) of the exact product
// (Higham, Accuracy and Stability of Numerical Algorithms, 3.5), so they
// may differ by twice that.
func runCase[T float](t *testing.T, impl Implementation, c gemmCase, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, uint64(c.m*1000003+c.n*1009+c.k)))
	nan := T(math.NaN())
	ar, ac := dims(c.tA, c.m, c.k)
	br, bc := dims(c.tB, c.k, c.n)
	lda, ldb, ldc := max(ac, 1)+c.padA, max(bc, 1)+c.padB, max(c.n, 1)+c.padC
	// Padding of A and B is NaN: reading it would show in the result.
	a := randMatrix(rng, ar, ac, lda, nan)
	b := randMatrix(rng, br, bc, ldb, nan)
	c0 := randMatrix[T](rng, c.m, c.n, ldc, sentinel)
	if c.nanC {
		for i := 0; i < c.m; i++ {
			for j := 0; j < c.n; j++ {
				c0[i*ldc+j] = nan
			}
		}
	}
	want := append([]T(nil), c0...)
	got := append([]T(nil), c0...)
	gemmCall(gonum.Implementation{}, gonum.Implementation{}, c, a, lda, b, ldb, want, ldc)
	gemmCall(impl, impl, c, a, lda, b, ldb, got, ldc)

	tol := 2 * float64(c.k+2) * eps[T]()
	// bound[i*n+j] = |alpha| * sum_p |op(A)[i][p]| |op(B)[p][j]|.
	bound := make([]float64, c.m*c.n)
	if c.alpha != 0 {
		absB := make([]float64, c.k*c.n)
		for p := 0; p < c.k; p++ {
			for j := 0; j < c.n; j++ {
				if c.tB == blas.NoTrans {
					absB[p*c.n+j] = math.Abs(float64(b[p*ldb+j]))
				} else {
					absB[p*c.n+j] = math.Abs(float64(b[j*ldb+p]))
				}
			}
		}
		for i := 0; i < c.m; i++ {
			row := bound[i*c.n : i*c.n+c.n]
			for p := 0; p < c.k; p++ {
				var av T
				if c.tA == blas.NoTrans {
					av = a[i*lda+p]
				} else {
					av = a[p*lda+i]
				}
				s := math.Abs(c.alpha * float64(av))
				for j, bv := range absB[p*c.n : p*c.n+c.n] {
					row[j] += s * bv
				}
			}
		}
	}
	bad := 0
	for i := 0; i < max(c.m, 1); i++ {
		for j := 0; j < ldc; j++ {
			idx := i*ldc + j
			if idx >= len(got) {
				break
			}
			g, w := float64(got[idx]), float64(want[idx])
			if j >= c.n || i >= c.m {
				if g != sentinel {
					t.Errorf("%v: padding C[%d][%d] = %v, want untouched %v", c, i, j, g, sentinel)
					return
				}
				continue
			}
			if c.nanC && math.IsNaN(w) {
				t.Errorf("%v: reference gave NaN at C[%d][%d]", c, i, j)
				return
			}
			bnd := bound[i*c.n+j]
			if !c.nanC {
				bnd += math.Abs(c.beta) * math.Abs(float64(c0[idx]))
			}
			if math.IsNaN(g) || math.Abs(g-w) > tol*bnd {
				if bad++; bad <= 3 {
					t.Errorf("%v: C[%d][%d] = %v, want %v (tolerance %.3g)", c, i, j, g, w, tol*bnd)
				}
			}
		}
	}
	if bad > 3 {
		t.Errorf("%v: %d elements wrong", c, bad)
	}
}

// forEachKernel runs f with every kernel of T (the portable one included)
// as a subtest.
func forEachKernel[T float](t *testing.T, f func(t *testing.T)) {
	ks := kernelList[T]()
	for i := range ks {
		t.Run(ks[i].name, func(t *testing.T) {
			useKernel(t, &ks[i])
			f(t)
		})
	}
}
