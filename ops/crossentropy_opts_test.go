package ops

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

type ceGolden struct {
	Name      string
	Shape     []int
	X         []float64
	Labels    []float64
	Ignore    int
	Smoothing float64
	Weight    []float64
	Sum       bool
	Loss      float64
	Grad      []float64
}

func (c ceGolden) options() CrossEntropyOptions {
	return CrossEntropyOptions{IgnoreIndex: Ignore(c.Ignore), LabelSmoothing: c.Smoothing, Weight: c.Weight, Sum: c.Sum}
}

func loadCEGolden(t *testing.T) []ceGolden {
	t.Helper()
	b, err := os.ReadFile("../testdata/ops/ce.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Cases []ceGolden }
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f.Cases
}

// TestCrossEntropyGolden compares loss and gradient with torch's cross_entropy
// (testdata/ops/gen_ce.py): f64 to 1e-12, f32 to 1e-5.
func TestCrossEntropyGolden(t *testing.T) {
	for _, dt := range dtypes {
		tol := 1e-12
		if dt == tensor.Float32 {
			tol = 1e-5
		}
		for _, c := range loadCEGolden(t) {
			vals, err := runGraph(func(g *gorgonia.ExprGraph) ([]*gorgonia.Node, error) {
				x := newInput(g, dt, "logits", c.Shape, c.X)
				l := newInput(g, dt, "labels", c.Shape[:len(c.Shape)-1], c.Labels)
				y, err := CrossEntropy(x, l, c.options())
				if err != nil {
					return nil, err
				}
				grads, err := gorgonia.Grad(y, x)
				if err != nil {
					return nil, err
				}
				return []*gorgonia.Node{y, grads[0]}, nil
			})
			if err != nil {
				t.Fatalf("%v %s: %v", dt, c.Name, err)
			}
			if ok, msg := closeTo(vals[0], []float64{c.Loss}, tol, tol); !ok {
				t.Errorf("%v %s: loss: %s", dt, c.Name, msg)
			}
			if ok, msg := closeTo(vals[1], c.Grad, tol, tol); !ok {
				t.Errorf("%v %s: gradient: %s", dt, c.Name, msg)
			}
		}
	}
}

func TestCrossEntropyGrad(t *testing.T) {
	for _, dt := range dtypes {
		for _, c := range loadCEGolden(t) {
			t.Run(fmt.Sprintf("%v/%s", dt, c.Name), func(t *testing.T) {
				checkGradT(t, func() (*gorgonia.Node, []*gorgonia.Node, error) {
					g := gorgonia.NewGraph()
					x := newInput(g, dt, "logits", c.Shape, c.X)
					l := newInput(g, dt, "labels", c.Shape[:len(c.Shape)-1], c.Labels)
					y, err := CrossEntropy(x, l, c.options())
					return y, []*gorgonia.Node{x}, err
				})
			})
		}
	}
}

// TestCrossEntropyDefaultsMatchSoftmaxCrossEntropy: with the zero options it is the
// loss SoftmaxCrossEntropy computes (same value, same gradient, to rounding).
func TestCrossEntropyDefaultsMatchSoftmaxCrossEntropy(t *testing.T) {
	x := uniform(3, 12, -4, 4)
	l := classes(4, 4, 3)
	run := func(f func(x, l *gorgonia.Node) (*gorgonia.Node, error)) [][]float64 {
		vals, err := runGraph(func(g *gorgonia.ExprGraph) ([]*gorgonia.Node, error) {
			xn := newInput(g, tensor.Float64, "x", []int{4, 3}, x)
			ln := newInput(g, tensor.Float64, "l", []int{4}, l)
			y, err := f(xn, ln)
			if err != nil {
				return nil, err
			}
			gr, err := gorgonia.Grad(y, xn)
			if err != nil {
				return nil, err
			}
			return []*gorgonia.Node{y, gr[0]}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return vals
	}
	a := run(func(x, l *gorgonia.Node) (*gorgonia.Node, error) { return CrossEntropy(x, l, CrossEntropyOptions{}) })
	b := run(SoftmaxCrossEntropy)
	for i := range a {
		if ok, msg := closeTo(a[i], b[i], 1e-15, 1e-15); !ok {
			t.Errorf("output %d: %s", i, msg)
		}
	}
}

func TestCrossEntropyErrors(t *testing.T) {
	g := gorgonia.NewGraph()
	x := newInput(g, tensor.Float64, "x", []int{2, 3}, uniform(1, 6, -1, 1))
	l := newInput(g, tensor.Float64, "l", []int{2}, []float64{0, 2})
	seq := newInput(g, tensor.Float64, "s", []int{2, 4, 3}, uniform(1, 24, -1, 1))
	for _, c := range []struct {
		x, l *gorgonia.Node
		opt  CrossEntropyOptions
		want string
	}{
		{x, l, CrossEntropyOptions{LabelSmoothing: 1.5}, "LabelSmoothing"},
		{x, l, CrossEntropyOptions{LabelSmoothing: math.NaN()}, "LabelSmoothing"},
		{x, l, CrossEntropyOptions{Weight: []float64{1, 2}}, "2 values for 3 classes"},
		{x, l, CrossEntropyOptions{Weight: []float64{1, -2, 1}}, "Weight[1]"},
		{seq, l, CrossEntropyOptions{}, "want (N, C) and (N), or (N, T, C) and (N, T)"},
		{x, seq, CrossEntropyOptions{}, "want (N, C)"},
	} {
		if _, err := CrossEntropy(c.x, c.l, c.opt); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err = %v, want %q", c.opt, err, c.want)
		}
	}
	// A label out of range fails the run, naming the row; the ignored label does not.
	_, err := runGraph(func(g *gorgonia.ExprGraph) ([]*gorgonia.Node, error) {
		x := newInput(g, tensor.Float64, "x", []int{3, 3}, uniform(1, 9, -1, 1))
		l := newInput(g, tensor.Float64, "l", []int{3}, []float64{0, -100, 3})
		y, err := CrossEntropy(x, l, CrossEntropyOptions{})
		return []*gorgonia.Node{y}, err
	})
	if err == nil || !strings.Contains(err.Error(), "row 2") {
		t.Errorf("label 3 of 3 classes: err = %v", err)
	}
	// Every target ignored: NaN, as PyTorch's mean of nothing.
	vals, err := runGraph(func(g *gorgonia.ExprGraph) ([]*gorgonia.Node, error) {
		x := newInput(g, tensor.Float64, "x", []int{2, 3}, uniform(1, 6, -1, 1))
		l := newInput(g, tensor.Float64, "l", []int{2}, []float64{-100, -100})
		y, err := CrossEntropy(x, l, CrossEntropyOptions{})
		return []*gorgonia.Node{y}, err
	})
	if err != nil || !math.IsNaN(vals[0][0]) {
		t.Errorf("all ignored: %v, %v; want NaN", vals, err)
	}
}
