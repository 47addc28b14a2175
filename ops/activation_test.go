package ops

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

var activations = []struct {
	name string
	f    func(*gorgonia.Node) (*gorgonia.Node, error)
}{{"GELU", GELU}, {"GELUTanh", GELUTanh}, {"SiLU", SiLU}}

// oddShapes are the shapes every element-wise op is checked on: a scalar, batch 1,
// column and row vectors, a matrix and a 3-D tensor.
var oddShapes = [][]int{nil, {1}, {4}, {5, 1}, {1, 6}, {3, 4}, {2, 3, 2}}

func TestActivationGrad(t *testing.T) {
	for _, a := range activations {
		for _, dt := range dtypes {
			for _, shape := range oddShapes {
				t.Run(fmt.Sprintf("%s/%v/%v", a.name, dt, shape), func(t *testing.T) {
					checkGradT(t, unary(dt, shape, a.f))
				})
			}
			// Beyond the interval unary draws from: the tails, where GELU's
			// derivative overshoots 1 and SiLU's dips below 0.
			t.Run(fmt.Sprintf("%s/%v/tails", a.name, dt), func(t *testing.T) {
				checkGradT(t, func() (*gorgonia.Node, []*gorgonia.Node, error) {
					g := gorgonia.NewGraph()
					x := newInput(g, dt, "x", []int{8}, []float64{-9, -6, -3.5, -2.2, 2.2, 3.5, 6, 9})
					y, err := a.f(x)
					return y, []*gorgonia.Node{x}, err
				})
			})
		}
	}
}

// TestActivationSpecialValues checks values worked out by hand or by closed forms
// independent of the kernels: 0, ±1, large, extreme and infinite inputs, and the
// derivative through Grad of Sum.
func TestActivationSpecialValues(t *testing.T) {
	phi := func(x float64) float64 { return 0.5 * (1 + math.Erf(x/math.Sqrt2)) } // the normal CDF
	inf := math.Inf(1)
	e30 := math.Exp(-30)                                // σ(±30) = 1/(1+e30), e30/(1+e30)
	x30 := 30.0                                         // a variable: x30/√2 rounds as the kernel's does
	g30 := 0.5 * math.Erfc(x30/math.Sqrt2)              // Φ(-30), 4.9e-198
	d30 := g30 - 30*math.Exp(-450)/math.Sqrt(2*math.Pi) // GELU'(-30)
	xs := []float64{0, 1, -1, 30, -30, 1000, -1000, 1e30, -1e30, inf, -inf}
	cases := []struct {
		name    string
		f       func(*gorgonia.Node) (*gorgonia.Node, error)
		y, dydx []float64
	}{
		{"GELU", GELU,
			[]float64{0, phi(1), -phi(-1), 30, -30 * g30, 1000, 0, 1e30, 0, inf, 0},
			[]float64{0.5, phi(1) + math.Exp(-0.5)/math.Sqrt(2*math.Pi), phi(-1) - math.Exp(-0.5)/math.Sqrt(2*math.Pi), 1, d30, 1, 0, 1, 0, 1, 0}},
		{"GELUTanh", GELUTanh,
			[]float64{0, 0.5 * (1 + math.Tanh(sqrt2Pi*1.044715)), -0.5 * (1 - math.Tanh(sqrt2Pi*1.044715)), 30, 0, 1000, 0, 1e30, 0, inf, 0},
			[]float64{0.5, 1.0829640838457826, -0.08296408384578252, 1, 0, 1, 0, 1, 0, 1, 0}},
		{"SiLU", SiLU,
			[]float64{0, 1 / (1 + math.Exp(-1)), -1 / (1 + math.E), 30 / (1 + math.Exp(-30)), -30 / (1 + math.Exp(30)), 1000, 0, 1e30, 0, inf, 0},
			[]float64{0.5, 0.9276705118714869, 0.07232948812851325, (1 + 30*e30/(1+e30)) / (1 + e30), e30 / (1 + e30) * (1 - 30/(1+e30)), 1, 0, 1, 0, 1, 0}},
	}
	for _, dt := range dtypes {
		rtol, atol := 1e-14, 1e-300
		if dt == tensor.Float32 {
			rtol, atol = 2e-7, 1e-38 // float32 rounding of results; 1e30 and ±Inf are representable
		}
		for _, c := range cases {
			t.Run(fmt.Sprintf("%v/%s", dt, c.name), func(t *testing.T) {
				got, err := runGraph(func(g *gorgonia.ExprGraph) ([]*gorgonia.Node, error) {
					x := newInput(g, dt, "x", []int{len(xs)}, xs)
					y, err := c.f(x)
					if err != nil {
						return nil, err
					}
					s, err := gorgonia.Sum(y)
					if err != nil {
						return nil, err
					}
					grads, err := gorgonia.Grad(s, x)
					if err != nil {
						return nil, err
					}
					return []*gorgonia.Node{y, grads[0]}, nil
				})
				if err != nil {
					t.Fatal(err)
				}
				for i, x := range xs {
					if !closeOrSame(got[0][i], c.y[i], rtol, atol) {
						t.Errorf("%s(%g) = %.17g, want %.17g", c.name, x, got[0][i], c.y[i])
					}
					if !closeOrSame(got[1][i], c.dydx[i], rtol, atol) {
						t.Errorf("%s'(%g) = %.17g, want %.17g", c.name, x, got[1][i], c.dydx[i])
					}
				}
			})
		}
	}
}

// closeOrSame is closeTo for one value, equal infinities included.
func closeOrSame(got, want, rtol, atol float64) bool {
	if math.IsInf(want, 0) {
		return got == want
	}
	return math.Abs(got-want) <= atol+rtol*math.Abs(want)
}

// TestActivationNaN checks that NaN propagates (it is not hidden as a limit).
func TestActivationNaN(t *testing.T) {
	for _, a := range activations {
		got, err := runGraph(func(g *gorgonia.ExprGraph) ([]*gorgonia.Node, error) {
			y, err := a.f(newInput(g, tensor.Float64, "x", []int{2}, []float64{math.NaN(), 1}))
			return []*gorgonia.Node{y}, err
		})
		if err != nil {
			t.Fatal(err)
		}
		if !math.IsNaN(got[0][0]) || math.IsNaN(got[0][1]) {
			t.Errorf("%s(NaN, 1) = %v, want NaN, a number", a.name, got[0])
		}
	}
}

func TestActivationDistinctNodes(t *testing.T) {
	g := gorgonia.NewGraph()
	x := newInput(g, tensor.Float64, "x", []int{3}, []float64{1, 2, 3})
	seen := map[*gorgonia.Node]string{}
	for _, a := range activations {
		y, err := a.f(x)
		if err != nil {
			t.Fatal(err)
		}
		if other, dup := seen[y]; dup {
			t.Errorf("%s and %s are one node", a.name, other)
		}
		seen[y] = a.name
		if again, _ := a.f(x); again != y {
			t.Errorf("%s twice on one input: two nodes, want one", a.name)
		}
	}
}

func TestActivationErrors(t *testing.T) {
	g := gorgonia.NewGraph()
	ints := gorgonia.NewMatrix(g, tensor.Int, gorgonia.WithShape(2, 2), gorgonia.WithName("ints"))
	for _, a := range activations {
		for _, x := range []*gorgonia.Node{nil, ints} {
			if y, err := a.f(x); err == nil || !strings.HasPrefix(err.Error(), "ops: "+a.name) {
				t.Errorf("%s(%v) = %v, %v; want an error", a.name, x, y, err)
			}
		}
	}
}
