package ops

import (
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/ops/blas"
	"github.com/gradflow/gradflow/ops/kern"
)

// TestGELUFloat32Kernel checks the float32 kernels (AVX-512 where the CPU has it, and
// the Go ones) against the float64 ones (math.Erfc and math.Exp) on a dense grid,
// random points and special values: every result within one float32 ulp, nearly all
// equal, NaN kept.
func TestGELUFloat32Kernel(t *testing.T) {
	if blas.Active() < blas.PathAVX512 {
		t.Log("no AVX-512: only the Go kernels checked")
	}
	kernelPaths(t, testGELUFloat32Kernel)
}

func testGELUFloat32Kernel(t *testing.T) {
	var xs []float32
	for x := -20.0; x <= 20; x += 1.0 / 512 {
		xs = append(xs, float32(x))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		xs = append(xs, float32(rng.NormFloat64()*3))
	}
	xs = append(xs, 0, float32(math.Copysign(0, -1)), 1e-30, -1e-30, 1e30, -1e30, math.MaxFloat32, -math.MaxFloat32,
		float32(math.Inf(1)), float32(math.Inf(-1)), 18.3, -18.3, 18.4, -18.4, 1e-45, -1e-45)
	nan := len(xs)
	xs = append(xs, float32(math.NaN()), 1, 2, 3, 4, 5, 6, 7) // NaN in a full AVX-512 block
	dy := make([]float32, len(xs))
	for i := range dy {
		dy[i] = 1
	}
	y := make([]float32, len(xs))
	dx := make([]float32, len(xs))
	kern.GELU32(xs, y)
	kern.GELUGrad32(xs, dy, dx)
	var diffY, diffD int
	if !math.IsNaN(float64(y[nan])) || !math.IsNaN(float64(dx[nan])) {
		t.Errorf("GELU(NaN) = %v, GELU'(NaN) = %v, want NaN", y[nan], dx[nan])
	}
	for i, x := range xs {
		if i == nan {
			continue
		}
		wantY, wantD := float32(gelu(float64(x))), float32(geluGrad(float64(x)))
		if !withinULP(y[i], wantY) {
			t.Errorf("GELU(%g) = %g, want %g (float64 kernel)", x, y[i], wantY)
		}
		if !withinULP(dx[i], wantD) {
			t.Errorf("GELU'(%g) = %g, want %g (float64 kernel)", x, dx[i], wantD)
		}
		if y[i] != wantY {
			diffY++
		}
		if dx[i] != wantD {
			diffD++
		}
	}
	// Rounding of a 1e-10 relative error flips about one result in a thousand.
	if limit := len(xs) / 200; diffY > limit || diffD > limit {
		t.Errorf("%d values and %d derivatives of %d differ from the float64 kernel's, want <= %d", diffY, diffD, len(xs), limit)
	}
}

// withinULP reports whether a and b are equal or adjacent float32s (±0 equal).
func withinULP(a, b float32) bool {
	if a == b {
		return true
	}
	if math.Signbit(float64(a)) != math.Signbit(float64(b)) {
		return math.Abs(float64(a)) < 1e-44 && math.Abs(float64(b)) < 1e-44
	}
	d := int64(math.Float32bits(a)) - int64(math.Float32bits(b))
	return d == 1 || d == -1
}

// TestGELUParallel runs GELU's op on a tensor large enough to be split across cores,
// forward and backward, and checks it against the serial kernels bit for bit.
func TestGELUParallel(t *testing.T) {
	n := 3*parallelMin + 7
	rng := rand.New(rand.NewPCG(3, 4))
	for _, dt := range dtypes {
		x := tensor.New(tensor.WithShape(n), tensor.Of(dt))
		dy := tensor.New(tensor.WithShape(n), tensor.Of(dt))
		for i := 0; i < n; i++ {
			x.Set(i, castTo(dt, rng.NormFloat64()*2))
			dy.Set(i, castTo(dt, rng.NormFloat64()))
		}
		fwd, bwd := geluOp(t, x, false), geluOp(t, x, true)
		for run := 0; run < 2; run++ { // the second run reuses the outputs' memory
			yv, err := fwd.Do(x)
			if err != nil {
				t.Fatal(err)
			}
			dv, err := bwd.Do(x, dy)
			if err != nil {
				t.Fatal(err)
			}
			y, d := yv.(*tensor.Dense), dv.(*tensor.Dense)
			for i := 0; i < n; i++ {
				xi, dyi := toF64(x.Get(i)), toF64(dy.Get(i))
				var wantY, wantD float64
				if dt == tensor.Float32 {
					var ys, ds [1]float32
					kern.GELU32([]float32{float32(xi)}, ys[:])
					kern.GELUGrad32([]float32{float32(xi)}, []float32{float32(dyi)}, ds[:])
					wantY, wantD = float64(ys[0]), float64(ds[0])
				} else {
					wantY, wantD = gelu(xi), geluGrad(xi)*dyi
				}
				if gotY, gotD := toF64(y.Get(i)), toF64(d.Get(i)); gotY != wantY || gotD != wantD {
					t.Fatalf("%v run %d element %d: GELU %g, grad %g; want %g, %g", dt, run, i, gotY, gotD, wantY, wantD)
				}
			}
		}
	}
}

func castTo(dt tensor.Dtype, v float64) any {
	if dt == tensor.Float32 {
		return float32(v)
	}
	return v
}

func toF64(v any) float64 {
	if f, ok := v.(float32); ok {
		return float64(f)
	}
	return v.(float64)
}

// geluOp returns the op of GELU (or with grad, of its gradient) for a tensor like x,
// to run its Forward directly.
func geluOp(t *testing.T, x *tensor.Dense, grad bool) *defOp[struct{}] {
	t.Helper()
	s := x.Shape().Clone()
	if grad {
		return &defOp[struct{}]{def: geluTensorGradDef, dtype: x.Dtype(), in: []tensor.Shape{s, s}, out: s}
	}
	return &defOp[struct{}]{def: geluTensorDef, dtype: x.Dtype(), in: []tensor.Shape{s}, out: s}
}
