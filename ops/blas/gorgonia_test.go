package blas

import (
	"testing"

	"gonum.org/v1/gonum/blas"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// counting is Implementation counting its Sgemm and Dgemm calls.
type counting struct {
	Implementation
	calls *int
}

func (c counting) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, cm []float32, ldc int) {
	*c.calls++
	c.Implementation.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, cm, ldc)
}

func (c counting) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, cm []float64, ldc int) {
	*c.calls++
	c.Implementation.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, cm, ldc)
}

// TestGorgoniaMul runs y = sum(x*w) and its gradients through a gorgonia
// TapeMachine with this package as gorgonia's BLAS, and compares the
// product and the gradients (dx = 1*wᵀ, dw = xᵀ*1, products with
// transposed operands) with naive sums.
func TestGorgoniaMul(t *testing.T) {
	prev := Install()
	defer gorgonia.Use(prev)
	if _, ok := gorgonia.WhichBLAS().(Implementation); !ok {
		t.Fatalf("after Install, WhichBLAS() = %T, want Implementation", gorgonia.WhichBLAS())
	}
	calls := 0
	gorgonia.Use(counting{calls: &calls})

	const m, k, n = 20, 33, 17 // m*n*k above smallWork: the packed kernels run
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		t.Run(dt.String(), func(t *testing.T) {
			calls = 0
			xv, wv := make([]float64, m*k), make([]float64, k*n)
			for i := range xv {
				xv[i] = float64(i%7) - 3
			}
			for i := range wv {
				wv[i] = float64(i%5)*0.5 - 1
			}
			g := gorgonia.NewGraph()
			x := gorgonia.NewMatrix(g, dt, gorgonia.WithShape(m, k), gorgonia.WithName("x"), gorgonia.WithValue(dense(dt, []int{m, k}, xv)))
			w := gorgonia.NewMatrix(g, dt, gorgonia.WithShape(k, n), gorgonia.WithName("w"), gorgonia.WithValue(dense(dt, []int{k, n}, wv)))
			y := gorgonia.Must(gorgonia.Mul(x, w))
			cost := gorgonia.Must(gorgonia.Sum(y))
			if _, err := gorgonia.Grad(cost, x, w); err != nil {
				t.Fatal(err)
			}
			vm := gorgonia.NewTapeMachine(g)
			defer vm.Close()
			if err := vm.RunAll(); err != nil {
				t.Fatal(err)
			}
			if calls < 3 {
				t.Errorf("%d GEMM calls through the BLAS, want 3 (y, dx, dw)", calls)
			}
			want := make([]float64, m*n)
			for i := 0; i < m; i++ {
				for j := 0; j < n; j++ {
					for p := 0; p < k; p++ {
						want[i*n+j] += xv[i*k+p] * wv[p*n+j]
					}
				}
			}
			compare(t, "x*w", values(t, y.Value()), want)
			dx := make([]float64, m*k) // dx[i][p] = sum_j w[p][j]
			for i := 0; i < m; i++ {
				for p := 0; p < k; p++ {
					for j := 0; j < n; j++ {
						dx[i*k+p] += wv[p*n+j]
					}
				}
			}
			dw := make([]float64, k*n) // dw[p][j] = sum_i x[i][p]
			for p := 0; p < k; p++ {
				for j := 0; j < n; j++ {
					for i := 0; i < m; i++ {
						dw[p*n+j] += xv[i*k+p]
					}
				}
			}
			gx, err := x.Grad()
			if err != nil {
				t.Fatal(err)
			}
			gw, err := w.Grad()
			if err != nil {
				t.Fatal(err)
			}
			compare(t, "dx", values(t, gx), dx)
			compare(t, "dw", values(t, gw), dw)
		})
	}
}

func dense(dt tensor.Dtype, shape []int, v []float64) *tensor.Dense {
	if dt == tensor.Float32 {
		f := make([]float32, len(v))
		for i, x := range v {
			f[i] = float32(x)
		}
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(f))
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]float64(nil), v...)))
}

func values(t *testing.T, v gorgonia.Value) []float64 {
	t.Helper()
	switch d := v.Data().(type) {
	case []float32:
		out := make([]float64, len(d))
		for i, x := range d {
			out[i] = float64(x)
		}
		return out
	case []float64:
		return d
	}
	t.Fatalf("value of type %T", v.Data())
	return nil
}

// compare checks got against want; every input is a multiple of 0.5 and
// every sum is small, so float32 sums are exact.
func compare(t *testing.T, name string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", name, len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s[%d] = %v, want %v", name, i, got[i], want[i])
		}
	}
}
