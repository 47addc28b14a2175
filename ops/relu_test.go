package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/ops/blas"
	"github.com/gradflow/gradflow/ops/kern"
)

// reluRef is PyTorch's relu, x < 0 ? 0 : x (NaN and -0 kept), the reference the
// kernels are tested against.
func reluRef(x float64) float64 {
	if x < 0 {
		return 0
	}
	return x
}

// kernelPaths runs f on every SIMD path this CPU has (ops/kern's assembly, AVX-512
// and AVX2 where present, and its Go bodies), forced with blas.SetPath.
func kernelPaths(t *testing.T, f func(t *testing.T)) {
	saved := blas.Active()
	defer func() {
		if err := blas.SetPath(saved); err != nil {
			t.Fatal(err)
		}
	}()
	for p := saved; p >= blas.PathGeneric; p-- {
		if !blas.Supported(p) { // arm64: NEON and generic only
			continue
		}
		if err := blas.SetPath(p); err != nil {
			t.Fatal(err)
		}
		t.Run(p.String(), f)
	}
}

// reluGradRef is PyTorch's threshold_backward for ReLU: 0 where y <= 0, else dy.
func reluGradRef(y, dy float64) float64 {
	if y <= 0 {
		return 0
	}
	return dy
}

// TestReLUSpecialValues checks values that JSON fixtures cannot hold, against
// PyTorch 1.13's behaviour: F.relu([nan, 0, -0, 1, -1, inf, -inf]) =
// [nan, 0, -0, 1, 0, inf, 0] and its gradient for dy = 2 is [2, 0, 0, 2, 0, 2, 0]; a
// NaN dy where y <= 0 gives 0 (a select, not a product).
func TestReLUSpecialValues(t *testing.T) { kernelPaths(t, testReLUSpecialValues) }

func testReLUSpecialValues(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	cases := []struct {
		x, dy, y, dx float64
	}{
		{nan, 2, nan, 2},
		{0, 2, 0, 0},
		{math.Copysign(0, -1), 2, math.Copysign(0, -1), 0},
		{1, 2, 1, 2},
		{-1, 2, 0, 0},
		{inf, 2, inf, 2},
		{-inf, 2, 0, 0},
		{-1, nan, 0, 0},
		{0, nan, 0, 0},
		{3, nan, 3, nan},
		{-math.SmallestNonzeroFloat64, 2, 0, 0},
		{math.SmallestNonzeroFloat64, 2, math.SmallestNonzeroFloat64, 2},
		{-math.MaxFloat64, 2, 0, 0},
		{-nan, 2, nan, 2}, // a NaN with its sign bit set, as x86 makes 0/0
	}
	same := func(a, b float64) bool {
		return math.Float64bits(a) == math.Float64bits(b) || (math.IsNaN(a) && math.IsNaN(b))
	}
	for _, dt := range dtypes {
		for _, c := range cases {
			name := fmt.Sprintf("%v/relu(%g)", dt, c.x)
			t.Run(name, func(t *testing.T) {
				x := c.x
				if dt == tensor.Float32 {
					x = float64(float32(x)) // the smallest float64s round to ±0
				}
				y, dx := reluValues(t, dt, x, c.dy)
				wantY, wantDX := reluRef(x), reluGradRef(reluRef(x), c.dy)
				if !same(y, wantY) {
					t.Errorf("ReLU(%g) = %g, want %g", x, y, wantY)
				}
				if !same(dx, wantDX) {
					t.Errorf("ReLU'(%g)·%g = %g, want %g", x, c.dy, dx, wantDX)
				}
				if dt == tensor.Float64 && (!same(y, c.y) || !same(dx, c.dx)) {
					t.Errorf("ReLU(%g) = %g, grad %g; want PyTorch's %g, %g", x, y, dx, c.y, c.dx)
				}
			})
		}
	}
}

// reluValues runs the forward and backward kernels on one element, placed in a vector
// long enough for the AVX2 path.
func reluValues(t *testing.T, dt tensor.Dtype, x, dy float64) (y, dx float64) {
	t.Helper()
	const n, at = 19, 13
	if dt == tensor.Float32 {
		xs, ys, dys, dxs := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
		xs[at], dys[at] = float32(x), float32(dy)
		kern.ReLU(xs[:16], ys)
		kern.ReLUGrad(ys[:16], dys, dxs)
		return float64(ys[at]), float64(dxs[at])
	}
	xs, ys, dys, dxs := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	xs[at], dys[at] = x, dy
	kern.ReLU(xs[:16], ys)
	kern.ReLUGrad(ys[:16], dys, dxs)
	return ys[at], dxs[at]
}

// TestReLUKernels compares the AVX2 and Go kernels with the plain definition on random
// bit patterns (every sign, magnitude and NaN) and lengths that leave tails.
func TestReLUKernels(t *testing.T) { kernelPaths(t, testReLUKernels) }

func testReLUKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 3, 4, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 1001} {
		x64 := make([]float64, n)
		for i := range x64 {
			x64[i] = math.Float64frombits(r.Uint64()) // every bit pattern, NaNs included
			if i%3 == 0 {
				x64[i] = r.NormFloat64()
			}
		}
		dy64 := make([]float64, n)
		for i := range dy64 {
			dy64[i] = r.NormFloat64()
		}
		y64, dx64 := make([]float64, n), make([]float64, n)
		kern.ReLU(x64, y64)
		kern.ReLUGrad(y64, dy64, dx64)
		x32, dy32 := make([]float32, n), make([]float32, n)
		for i := range x32 {
			x32[i] = math.Float32frombits(uint32(math.Float64bits(x64[i]) >> 32))
			dy32[i] = float32(dy64[i])
		}
		y32, dx32 := make([]float32, n), make([]float32, n)
		kern.ReLU(x32, y32)
		kern.ReLUGrad(y32, dy32, dx32)
		for i := 0; i < n; i++ {
			if w := reluRef(x64[i]); math.Float64bits(y64[i]) != math.Float64bits(w) && !(math.IsNaN(w) && math.IsNaN(y64[i])) {
				t.Fatalf("float64 relu(%g) = %g, want %g", x64[i], y64[i], w)
			}
			if w := reluGradRef(y64[i], dy64[i]); math.Float64bits(dx64[i]) != math.Float64bits(w) {
				t.Fatalf("float64 relu'(%g)·%g = %g, want %g", x64[i], dy64[i], dx64[i], w)
			}
			x := float64(x32[i])
			if w := reluRef(x); math.Float64bits(float64(y32[i])) != math.Float64bits(w) && !(math.IsNaN(w) && math.IsNaN(float64(y32[i]))) {
				t.Fatalf("float32 relu(%g) = %g, want %g", x, y32[i], w)
			}
			if w := reluGradRef(float64(y32[i]), float64(dy32[i])); math.Float64bits(float64(dx32[i])) != math.Float64bits(w) {
				t.Fatalf("float32 relu'(%g)·%g = %g, want %g", x, dy32[i], dx32[i], w)
			}
		}
	}
}

func TestReLUGrad(t *testing.T) {
	for _, dt := range dtypes {
		for _, shape := range [][]int{{3, 4}, {1, 5}, {6, 1}, {2, 3, 2}, {7}} {
			t.Run(fmt.Sprintf("%v/%v", dt, shape), func(t *testing.T) {
				vals := uniform(13, size(shape), -2, 2)
				for i, v := range vals { // keep finite differences off the kink at 0
					if math.Abs(v) < 0.1 {
						vals[i] = math.Copysign(0.1+math.Abs(v), v)
					}
				}
				checkGradT(t, func() (*gorgonia.Node, []*gorgonia.Node, error) {
					g := gorgonia.NewGraph()
					x := newInput(g, dt, "x", shape, vals)
					y, err := ReLU(x)
					return y, []*gorgonia.Node{x}, err
				})
			})
		}
	}
}

func TestGoldenReLU(t *testing.T) {
	var cases []struct {
		Name  string    `json:"name"`
		Shape []int     `json:"shape"`
		X     []float64 `json:"x"`
		W     []float64 `json:"w"`
		Y     []float64 `json:"y"`
		GradX []float64 `json:"grad_x"`
	}
	readGolden(t, "relu.json", &cases)
	if len(cases) == 0 {
		t.Fatal("no cases")
	}
	for _, dt := range dtypes {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%v/%s", dt, c.Name), func(t *testing.T) {
				checkGolden(t, dt, []goldenInput{{"x", c.Shape, c.X, c.GradX}}, c.W, c.Y,
					func(in []*gorgonia.Node) (*gorgonia.Node, error) { return ReLU(in[0]) })
			})
		}
	}
}

// TestReLUMatchesRectify: ReLU's values and gradients are gorgonia.Rectify's, bit for
// bit, except at -Inf (where Rectify's x*0 is NaN), for negative x (Rectify's x*0 is
// -0, ours +0, equal numbers) and for the gradient at 0: Rectify's mask is x >= 0, so it passes dy there, where
// PyTorch and ReLU give 0.
func TestReLUMatchesRectify(t *testing.T) {
	for _, dt := range dtypes {
		t.Run(dt.String(), func(t *testing.T) {
			vals := uniform(17, 40, -3, 3)
			vals[0], vals[1] = 0, math.Inf(1)
			run := func(f func(*gorgonia.Node) (*gorgonia.Node, error)) [][]float64 {
				got, err := runGraph(func(g *gorgonia.ExprGraph) ([]*gorgonia.Node, error) {
					x := newInput(g, dt, "x", []int{5, 8}, vals)
					w := newInput(g, dt, "w", []int{5, 8}, uniform(18, 40, -1, 1))
					y, err := f(x)
					if err != nil {
						return nil, err
					}
					loss := gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.HadamardProd(y, w))))
					grads, err := gorgonia.Grad(loss, x)
					if err != nil {
						return nil, err
					}
					return []*gorgonia.Node{y, grads[0]}, nil
				})
				if err != nil {
					t.Fatal(err)
				}
				return got
			}
			ours, theirs := run(ReLU), run(gorgonia.Rectify)
			if ours[1][0] != 0 || theirs[1][0] == 0 {
				t.Errorf("gradient at 0: ReLU %g, Rectify %g; want 0 and dy", ours[1][0], theirs[1][0])
			}
			for k, what := range []string{"y", "dx"} {
				for i := range ours[k] {
					if ours[k][i] != theirs[k][i] && !(k == 1 && i == 0) {
						t.Fatalf("%s[%d] = %g, Rectify gives %g", what, i, ours[k][i], theirs[k][i])
					}
				}
			}
		})
	}
}

func TestReLUErrors(t *testing.T) {
	g := gorgonia.NewGraph()
	xi := gorgonia.NewMatrix(g, tensor.Int, gorgonia.WithShape(2, 2), gorgonia.WithName("xi"))
	s := gorgonia.NewScalar(g, tensor.Float64, gorgonia.WithName("s"))
	for _, c := range []struct {
		name string
		x    *gorgonia.Node
		want string
	}{
		{"nil", nil, "x is nil"},
		{"int", xi, "dtype int"},
		{"scalar", s, "scalar"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := ReLU(c.x); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("ReLU(%s) error = %v, want one containing %q", c.name, err, c.want)
			}
		})
	}
}
