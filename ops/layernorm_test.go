package ops

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func TestLayerNormGrad(t *testing.T) {
	cases := []struct {
		shape        []int
		axes         int
		weight, bias bool
	}{
		{[]int{3, 5}, 1, true, true},
		{[]int{3, 5}, 1, false, false},
		{[]int{3, 5}, 1, true, false},
		{[]int{3, 5}, 1, false, true},
		{[]int{1, 6}, 1, true, true}, // batch 1
		{[]int{6}, 1, true, true},    // one row
		{[]int{4, 1}, 1, true, true}, // rows of one element: x̂ = 0
		{[]int{2, 3, 4}, 2, true, true},
		{[]int{2, 3, 4}, 1, true, true},
		{[]int{2, 3, 2}, 3, false, true}, // every axis
	}
	for _, dt := range dtypes {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%v/%v/axes%d/w%v/b%v", dt, c.shape, c.axes, c.weight, c.bias), func(t *testing.T) {
				checkGradT(t, func() (*gorgonia.Node, []*gorgonia.Node, error) {
					g := gorgonia.NewGraph()
					x := newInput(g, dt, "x", c.shape, uniform(5, size(c.shape), -2, 2))
					wrt := []*gorgonia.Node{x}
					norm := c.shape[len(c.shape)-c.axes:]
					var w, b *gorgonia.Node
					if c.weight {
						w = newInput(g, dt, "weight", norm, uniform(6, size(norm), 0.5, 1.5))
						wrt = append(wrt, w)
					}
					if c.bias {
						b = newInput(g, dt, "bias", norm, uniform(7, size(norm), -1, 1))
						wrt = append(wrt, b)
					}
					y, err := LayerNorm(x, w, b, LayerNormOptions{Axes: c.axes})
					return y, wrt, err
				})
			})
		}
	}
}

// TestLayerNormValues checks outputs worked out by hand: a row (1, 2, 3) normalises
// to (-1, 0, 1)·sqrt(3/2) (variance 2/3), whatever its offset or scale, and constant
// rows give the bias.
func TestLayerNormValues(t *testing.T) {
	k := math.Sqrt(1.5)
	cases := []struct {
		name string
		x    []float64
		eps  float64
		y    []float64
		big  bool // not representable in float32
	}{
		{"1 2 3", []float64{1, 2, 3, 1, 2, 3}, 1e-300, []float64{-k, 0, k, -k, 0, k}, false},
		{"offset and scale", []float64{-1e3 + 2, -1e3 + 4, -1e3 + 6, 1e-3, 2e-3, 3e-3}, 1e-300, []float64{-k, 0, k, -k, 0, k}, false},
		{"far from 0", []float64{1e15 + 1, 1e15 + 2, 1e15 + 3, -1e15 - 3, -1e15 - 2, -1e15 - 1}, 1e-300, []float64{-k, 0, k, -k, 0, k}, true},
		{"huge spread", []float64{-1e150, 0, 1e150, 0, 0, 0}, 1e-300, []float64{-k, 0, k, 0, 0, 0}, true},
		{"zeros and constants", []float64{0, 0, 0, -7, -7, -7}, 1e-5, []float64{0, 0, 0, 0, 0, 0}, false},
		// eps counts: variance 2/3 + eps 1/3 = 1, so x̂ = x - mean.
		{"eps 1/3", []float64{1, 2, 3, 5, 5, 5}, 1.0 / 3, []float64{-1, 0, 1, 0, 0, 0}, false},
	}
	for _, dt := range dtypes {
		rtol := 1e-14
		if dt == tensor.Float32 {
			rtol = 3e-7
		}
		for _, c := range cases {
			if dt == tensor.Float32 && c.big {
				continue
			}
			t.Run(fmt.Sprintf("%v/%s", dt, c.name), func(t *testing.T) {
				got, err := runGraph(func(g *gorgonia.ExprGraph) ([]*gorgonia.Node, error) {
					x := newInput(g, dt, "x", []int{2, 3}, c.x)
					y, err := LayerNorm(x, nil, nil, LayerNormOptions{Eps: c.eps})
					return []*gorgonia.Node{y}, err
				})
				if err != nil {
					t.Fatal(err)
				}
				if ok, msg := closeTo(got[0], c.y, rtol, 1e-7); !ok {
					t.Errorf("LayerNorm(%v): %s", c.x, msg)
				}
			})
		}
	}
}

// TestLayerNormAffine checks y = x̂·weight + bias and the parameter gradients of
// Sum(y): dweight = Σ x̂ over rows, dbias = the number of rows, dx = weight·0 summed
// (the gradient of a sum of normalised values is 0).
func TestLayerNormAffine(t *testing.T) {
	k := math.Sqrt(1.5)
	for _, dt := range dtypes {
		got, err := runGraph(func(g *gorgonia.ExprGraph) ([]*gorgonia.Node, error) {
			x := newInput(g, dt, "x", []int{2, 3}, []float64{1, 2, 3, 30, 20, 10})
			w := newInput(g, dt, "weight", []int{3}, []float64{2, 3, 4})
			b := newInput(g, dt, "bias", []int{3}, []float64{-1, 0, 1})
			y, err := LayerNorm(x, w, b, LayerNormOptions{Eps: 1e-300})
			if err != nil {
				return nil, err
			}
			s, err := gorgonia.Sum(y)
			if err != nil {
				return nil, err
			}
			grads, err := gorgonia.Grad(s, x, w, b)
			if err != nil {
				return nil, err
			}
			return append([]*gorgonia.Node{y}, grads...), nil
		})
		if err != nil {
			t.Fatal(err)
		}
		rtol := 1e-14
		if dt == tensor.Float32 {
			rtol = 3e-7
		}
		want := [][]float64{
			{-2*k - 1, 0, 4*k + 1, 2*k - 1, 0, -4*k + 1},
			{0, 0, 0, 0, 0, 0}, // Σ_j w_j·∂x̂_j/∂x_i is not 0 in general, see below
			{0, 0, 0},
			{2, 2, 2},
		}
		// dx of Sum(x̂·w): rstd·(w - mean(w) - x̂·mean(w·x̂)); rows x̂ = (-k, 0, k) and
		// (k, 0, -k), rstd = k (row 1) and k/10 (row 2), mean(w) = 3, mean(w·x̂) = ±2k/3.
		for r, s := range []struct{ rstd, sign float64 }{{k, 1}, {k / 10, -1}} {
			xh := []float64{-k * s.sign, 0, k * s.sign}
			for j, wj := range []float64{2, 3, 4} {
				want[1][3*r+j] = s.rstd * (wj - 3 - xh[j]*s.sign*2*k/3)
			}
		}
		for i, name := range []string{"y", "dx", "dweight", "dbias"} {
			if ok, msg := closeTo(got[i], want[i], rtol, 1e-12); !ok {
				t.Errorf("%v: %s: %s", dt, name, msg)
			}
		}
	}
}

func TestLayerNormErrors(t *testing.T) {
	g := gorgonia.NewGraph()
	x := newInput(g, tensor.Float64, "x", []int{2, 3}, make([]float64, 6))
	w3 := newInput(g, tensor.Float64, "w3", []int{3}, make([]float64, 3))
	w2 := newInput(g, tensor.Float64, "w2", []int{2}, make([]float64, 2))
	w23 := newInput(g, tensor.Float64, "w23", []int{2, 3}, make([]float64, 6))
	cases := []struct {
		name string
		x    *gorgonia.Node
		w, b *gorgonia.Node
		cfg  LayerNormOptions
		want string
	}{
		{"nil x", nil, nil, nil, LayerNormOptions{}, "x is nil"},
		{"too many axes", x, nil, nil, LayerNormOptions{Axes: 3}, "Axes 3 for x of shape (2, 3), want in [1, 2]"},
		{"negative axes", x, nil, nil, LayerNormOptions{Axes: -1}, "Axes = -1"},
		{"negative eps", x, nil, nil, LayerNormOptions{Eps: -1}, "Eps = -1, want finite and > 0"},
		{"infinite eps", x, nil, nil, LayerNormOptions{Eps: math.Inf(1)}, "Eps = +Inf"},
		{"weight shape", x, w2, nil, LayerNormOptions{}, "weight has shape (2), want (3)"},
		{"bias shape", x, nil, w23, LayerNormOptions{}, "bias has shape (2, 3), want (3)"},
		{"weight for two axes", x, w3, nil, LayerNormOptions{Axes: 2}, "weight has shape (3), want (2, 3)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if y, err := LayerNorm(c.x, c.w, c.b, c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("LayerNorm = %v, %v; want an error saying %q", y, err, c.want)
			}
		})
	}
	// Ops differing in eps, axes or affine inputs are distinct nodes.
	seen := map[*gorgonia.Node]string{}
	for _, v := range []struct {
		name string
		w, b *gorgonia.Node
		cfg  LayerNormOptions
	}{
		{"default", nil, nil, LayerNormOptions{}},
		{"eps 1.1e-5", nil, nil, LayerNormOptions{Eps: 1.1e-5}},
		{"two axes", nil, nil, LayerNormOptions{Axes: 2}},
		{"weight", w3, nil, LayerNormOptions{}},
		{"bias", nil, w3, LayerNormOptions{}},
	} {
		y, err := LayerNorm(x, v.w, v.b, v.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if other, dup := seen[y]; dup {
			t.Errorf("LayerNorm %s and %s are one node", v.name, other)
		}
		seen[y] = v.name
	}
}
