package ops

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func TestBCEWithLogitsGrad(t *testing.T) {
	shapes := [][]int{{4}, {1}, {1, 1}, {3, 2}, {5, 1}, {1, 6}, {2, 3, 2}}
	for _, dt := range dtypes {
		for _, shape := range shapes {
			t.Run(fmt.Sprintf("%v/%v", dt, shape), func(t *testing.T) {
				// Both inputs at once: the two gradient ops differ only in wrt, so a
				// hash that missed it would merge them and fail here.
				checkGradT(t, func() (*gorgonia.Node, []*gorgonia.Node, error) {
					g := gorgonia.NewGraph()
					n := size(shape)
					x := newInput(g, dt, "logits", shape, uniform(8, n, -4, 4))
					y := newInput(g, dt, "targets", shape, uniform(9, n, 0, 1))
					l, err := BCEWithLogits(x, y)
					return l, []*gorgonia.Node{x, y}, err
				})
			})
		}
	}
}

// TestBCEWithLogitsSpecialValues checks losses and gradients worked out by hand.
// Per element: loss max(x,0) - x*t + log(1+exp(-|x|)), d/dx sigmoid(x) - t,
// d/dt -x; all divided by the count (2 here).
func TestBCEWithLogitsSpecialValues(t *testing.T) {
	ln2 := math.Ln2
	cases := []struct {
		name   string
		x, t   []float64
		loss   float64
		dx, dt []float64
	}{
		{"zeros", []float64{0, 0}, []float64{0, 1}, ln2,
			[]float64{0.25, -0.25}, []float64{0, 0}},
		{"+1000 right", []float64{1000, 1000}, []float64{1, 1}, 0,
			[]float64{0, 0}, []float64{-500, -500}},
		{"-1000 right", []float64{-1000, -1000}, []float64{0, 0}, 0,
			[]float64{0, 0}, []float64{500, 500}},
		{"±1000 wrong", []float64{1000, -1000}, []float64{0, 1}, 1000,
			[]float64{0.5, -0.5}, []float64{-500, 500}},
		{"±1000 half", []float64{1000, -1000}, []float64{0.5, 0.5}, 500,
			[]float64{0.25, -0.25}, []float64{-500, 500}},
		{"negative", []float64{0, -math.Log(3)}, []float64{1, 0}, (ln2 + math.Log(4.0/3)) / 2,
			[]float64{(0.5 - 1) / 2, 0.25 / 2}, []float64{0, math.Log(3) / 2}},
	}
	for _, dt := range dtypes {
		rtol := 1e-12
		if dt == tensor.Float32 {
			rtol = 1e-6
		}
		for _, c := range cases {
			t.Run(fmt.Sprintf("%v/%s", dt, c.name), func(t *testing.T) {
				got, err := runGraph(func(g *gorgonia.ExprGraph) ([]*gorgonia.Node, error) {
					x := newInput(g, dt, "logits", []int{2}, c.x)
					y := newInput(g, dt, "targets", []int{2}, c.t)
					l, err := BCEWithLogits(x, y)
					if err != nil {
						return nil, err
					}
					grads, err := gorgonia.Grad(l, x, y)
					if err != nil {
						return nil, err
					}
					return []*gorgonia.Node{l, grads[0], grads[1]}, nil
				})
				if err != nil {
					t.Fatal(err)
				}
				for i, want := range [][]float64{{c.loss}, c.dx, c.dt} {
					if ok, msg := closeTo(got[i], want, rtol, 1e-15); !ok {
						t.Errorf("%s of BCEWithLogits(%v, %v): %s", []string{"loss", "d/dlogits", "d/dtargets"}[i], c.x, c.t, msg)
					}
				}
			})
		}
	}
}

func TestBCEWithLogitsErrors(t *testing.T) {
	g := gorgonia.NewGraph()
	m := newInput(g, tensor.Float64, "m", []int{3, 2}, make([]float64, 6))
	m32 := newInput(g, tensor.Float32, "m32", []int{3, 2}, make([]float64, 6))
	mt := newInput(g, tensor.Float64, "mt", []int{2, 3}, make([]float64, 6))
	v := newInput(g, tensor.Float64, "v", []int{3}, make([]float64, 3))
	col := newInput(g, tensor.Float64, "col", []int{3, 1}, make([]float64, 3))
	s := newInput(g, tensor.Float64, "s", nil, []float64{0})
	cases := []struct {
		name      string
		x, target *gorgonia.Node
		want      string
	}{
		{"nil logits", nil, m, "logits is nil"},
		{"nil targets", m, nil, "targets is nil"},
		{"shape mismatch", m, mt, "logits have shape (3, 2), targets (2, 3), want the same"},
		{"vector and column", v, col, "want the same"},
		{"scalar", s, s, "want at least 1-D"},
		{"mixed dtypes", m, m32, "want the same"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, err := BCEWithLogits(c.x, c.target)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("BCEWithLogits = %v, %v; want an error saying %q", n, err, c.want)
			}
		})
	}
}
