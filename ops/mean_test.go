package ops

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

var meanCases = []struct {
	shape []int
	axis  int
}{
	{[]int{4}, 0}, // scalar output
	{[]int{1}, -1},
	{[]int{5, 1}, 0}, // column vector
	{[]int{5, 1}, 1}, // an axis of size 1
	{[]int{1, 6}, 1}, // batch 1
	{[]int{3, 4}, 0},
	{[]int{3, 4}, -1},
	{[]int{2, 3, 4}, 1},
	{[]int{2, 1, 3, 2}, 2},
}

func TestMeanGrad(t *testing.T) {
	for _, dt := range dtypes {
		for _, c := range meanCases {
			t.Run(fmt.Sprintf("%v/%v/axis%d", dt, c.shape, c.axis), func(t *testing.T) {
				checkGradT(t, unary(dt, c.shape, func(x *gorgonia.Node) (*gorgonia.Node, error) {
					return Mean(x, c.axis)
				}))
			})
		}
	}
}

// TestMeanValues compares Mean with gorgonia.Mean, forward and the gradient of
// Sum(y), on every case, over two runs of one machine (the second reuses the outputs'
// memory).
func TestMeanValues(t *testing.T) {
	for _, dt := range dtypes {
		for _, c := range meanCases {
			t.Run(fmt.Sprintf("%v/%v/axis%d", dt, c.shape, c.axis), func(t *testing.T) {
				n := size(c.shape)
				build := func(mean func(*gorgonia.Node) (*gorgonia.Node, error)) (*gorgonia.ExprGraph, []*gorgonia.Node, error) {
					g := gorgonia.NewGraph()
					x := newInput(g, dt, "x", c.shape, uniform(5, n, -3, 3))
					y, err := mean(x)
					if err != nil {
						return nil, nil, err
					}
					s, err := gorgonia.Sum(y)
					if err != nil {
						return nil, nil, err
					}
					gr, err := gorgonia.Grad(s, x)
					if err != nil {
						return nil, nil, err
					}
					return g, []*gorgonia.Node{y, gr[0]}, nil
				}
				run := func(mean func(*gorgonia.Node) (*gorgonia.Node, error), runs int) [][]float64 {
					g, nodes, err := build(mean)
					if err != nil {
						t.Fatal(err)
					}
					vals := make([]gorgonia.Value, len(nodes))
					for i, nd := range nodes {
						gorgonia.Read(nd, &vals[i])
					}
					m := gorgonia.NewTapeMachine(g)
					defer m.Close()
					for r := 0; r < runs; r++ {
						m.Reset()
						if err := m.RunAll(); err != nil {
							t.Fatal(err)
						}
					}
					out := make([][]float64, len(vals))
					for i, v := range vals {
						out[i] = valueF64(v)
					}
					return out
				}
				axis := c.axis
				if axis < 0 {
					axis += len(c.shape)
				}
				got := run(func(x *gorgonia.Node) (*gorgonia.Node, error) { return Mean(x, c.axis) }, 2)
				want := run(func(x *gorgonia.Node) (*gorgonia.Node, error) { return gorgonia.Mean(x, axis) }, 1)
				tol := 1e-15
				if dt == tensor.Float32 {
					tol = 1e-6
				}
				for k, what := range []string{"mean", "gradient"} {
					if len(got[k]) != len(want[k]) {
						t.Fatalf("%s: %d values, gorgonia %d", what, len(got[k]), len(want[k]))
					}
					for i := range want[k] {
						if math.Abs(got[k][i]-want[k][i]) > tol*(1+math.Abs(want[k][i])) {
							t.Errorf("%s[%d] = %v, gorgonia.Mean %v", what, i, got[k][i], want[k][i])
						}
					}
				}
			})
		}
	}
}

func valueF64(v gorgonia.Value) []float64 {
	switch x := v.(type) {
	case *gorgonia.F64:
		return []float64{float64(*x)}
	case *gorgonia.F32:
		return []float64{float64(*x)}
	case *tensor.Dense:
		return denseF64(x)
	}
	return nil
}

func TestMeanErrors(t *testing.T) {
	g := gorgonia.NewGraph()
	x := newInput(g, tensor.Float64, "x", []int{2, 3}, make([]float64, 6))
	if _, err := Mean(x, 2); err == nil || !strings.HasPrefix(err.Error(), "ops: Mean") {
		t.Errorf("axis 2 of a matrix: err = %v", err)
	}
	s := newInput(g, tensor.Float64, "s", nil, []float64{1})
	if _, err := Mean(s, 0); err == nil {
		t.Error("Mean of a scalar: no error")
	}
}
