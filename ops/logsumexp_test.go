package ops

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func TestLogSumExpGrad(t *testing.T) {
	cases := []struct {
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
	for _, dt := range dtypes {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%v/%v/axis%d", dt, c.shape, c.axis), func(t *testing.T) {
				checkGradT(t, unary(dt, c.shape, func(x *gorgonia.Node) (*gorgonia.Node, error) {
					return LogSumExp(x, c.axis)
				}))
			})
		}
	}
}

func TestLogSumExpSpecialValues(t *testing.T) {
	inf := math.Inf(1)
	cases := []struct {
		name  string
		shape []int
		axis  int
		x     []float64
		y, dx []float64 // dx: the gradient of Sum(y)
	}{
		// gorgonia.LogSumExp gives 1.505 here.
		{"1 2 3", []int{3}, 0, []float64{1, 2, 3}, []float64{3 + math.Log(1+math.Exp(-1)+math.Exp(-2))},
			[]float64{math.Exp(1 - 3.40760596444438), math.Exp(2 - 3.40760596444438), math.Exp(3 - 3.40760596444438)}},
		{"zeros", []int{4}, 0, []float64{0, 0, 0, 0}, []float64{math.Log(4)}, []float64{0.25, 0.25, 0.25, 0.25}},
		{"one element", []int{1}, 0, []float64{-7}, []float64{-7}, []float64{1}},
		{"+1000 twice", []int{2}, 0, []float64{1000, 1000}, []float64{1000 + math.Ln2}, []float64{0.5, 0.5}},
		{"-1000 and 0", []int{2}, 0, []float64{-1000, 0}, []float64{0}, []float64{0, 1}},
		{"matrix axis 0", []int{2, 2}, 0, []float64{1000, -5, 1000, -5}, []float64{1000 + math.Ln2, -5 + math.Ln2},
			[]float64{0.5, 0.5, 0.5, 0.5}},
		{"all -Inf", []int{2}, 0, []float64{-inf, -inf}, []float64{-inf}, []float64{0, 0}},
		{"+Inf", []int{3}, 0, []float64{inf, 1, inf}, []float64{inf}, []float64{0.5, 0, 0.5}},
		{"-Inf and a number", []int{2}, 0, []float64{-inf, 3}, []float64{3}, []float64{0, 1}},
	}
	for _, dt := range dtypes {
		rtol := 1e-14
		if dt == tensor.Float32 {
			rtol = 3e-7
		}
		for _, c := range cases {
			t.Run(fmt.Sprintf("%v/%s", dt, c.name), func(t *testing.T) {
				got, err := runGraph(func(g *gorgonia.ExprGraph) ([]*gorgonia.Node, error) {
					x := newInput(g, dt, "x", c.shape, c.x)
					y, err := LogSumExp(x, c.axis)
					if err != nil {
						return nil, err
					}
					s := y
					if !y.Shape().IsScalar() {
						if s, err = gorgonia.Sum(y); err != nil {
							return nil, err
						}
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
				for i := range c.y {
					if !closeOrSame(got[0][i], c.y[i], rtol, 1e-300) {
						t.Errorf("LogSumExp(%v)[%d] = %.17g, want %.17g", c.x, i, got[0][i], c.y[i])
					}
				}
				if ok, msg := closeTo(got[1], c.dx, rtol, 1e-300); !ok {
					t.Errorf("gradient of LogSumExp(%v): %s", c.x, msg)
				}
			})
		}
	}
}

// TestGorgoniaLogSumExpIsWrong documents why LogSumExp exists.
func TestGorgoniaLogSumExpIsWrong(t *testing.T) {
	got, err := runGraph(func(g *gorgonia.ExprGraph) ([]*gorgonia.Node, error) {
		y, err := gorgonia.LogSumExp(newInput(g, tensor.Float64, "x", []int{3}, []float64{1, 2, 3}), 0)
		return []*gorgonia.Node{y}, err
	})
	if err == nil && math.Abs(got[0][0]-3.40760596444438) < 1e-6 {
		t.Errorf("gorgonia.LogSumExp([1 2 3]) = %v, right; has gorgonia been fixed? Then update GORGONIA.md", got[0])
	}
}

func TestLogSumExpErrors(t *testing.T) {
	g := gorgonia.NewGraph()
	m := newInput(g, tensor.Float64, "m", []int{2, 3}, make([]float64, 6))
	s := newInput(g, tensor.Float64, "s", nil, []float64{1})
	cases := []struct {
		name string
		x    *gorgonia.Node
		axis int
		want string
	}{
		{"nil", nil, 0, "x is nil"},
		{"scalar", s, 0, "want at least 1-D"},
		{"axis 2", m, 2, "axis 2 out of range for a 2-D input"},
		{"axis -3", m, -3, "axis -3 out of range"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if y, err := LogSumExp(c.x, c.axis); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("LogSumExp = %v, %v; want an error saying %q", y, err, c.want)
			}
		})
	}
	a, _ := LogSumExp(m, 0)
	b, _ := LogSumExp(m, 1)
	if a == b {
		t.Errorf("LogSumExp along axes 0 and 1 is one node")
	}
}
