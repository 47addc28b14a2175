package ops

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func TestSoftmaxCrossEntropyGrad(t *testing.T) {
	cases := []struct {
		name string
		n, c int
	}{
		{"4x3", 4, 3},
		{"batch 1", 1, 5},
		{"one class", 6, 1},
		{"two classes", 3, 2},
		{"3x7", 3, 7},
	}
	for _, dt := range dtypes {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%v/%s", dt, c.name), func(t *testing.T) {
				checkGradT(t, func() (*gorgonia.Node, []*gorgonia.Node, error) {
					g := gorgonia.NewGraph()
					x := newInput(g, dt, "logits", []int{c.n, c.c}, uniform(5, c.n*c.c, -3, 3))
					l := newInput(g, dt, "labels", []int{c.n}, classes(6, c.n, c.c))
					y, err := SoftmaxCrossEntropy(x, l)
					return y, []*gorgonia.Node{x}, err
				})
			})
		}
	}
}

// TestSoftmaxCrossEntropySpecialValues checks losses worked out by hand.
func TestSoftmaxCrossEntropySpecialValues(t *testing.T) {
	ln3 := math.Log(3)
	cases := []struct {
		name   string
		n, c   int
		logits []float64
		labels []float64
		want   float64
	}{
		{"zeros", 2, 3, []float64{0, 0, 0, 0, 0, 0}, []float64{0, 2}, ln3},
		{"confident and right", 1, 2, []float64{1000, -1000}, []float64{0}, 0},
		{"confident and wrong", 1, 2, []float64{1000, -1000}, []float64{1}, 2000},
		{"all -1000", 1, 3, []float64{-1000, -1000, -1000}, []float64{1}, ln3},
		{"all +1000", 1, 3, []float64{1000, 1000, 1000}, []float64{2}, ln3},
		{"mean over rows", 2, 2, []float64{1000, -1000, 0, 0}, []float64{1, 0}, (2000 + math.Ln2) / 2},
		{"one class", 2, 1, []float64{-7, 1000}, []float64{0, 0}, 0},
	}
	for _, dt := range dtypes {
		rtol := 1e-12
		if dt == tensor.Float32 {
			rtol = 1e-6
		}
		for _, c := range cases {
			t.Run(fmt.Sprintf("%v/%s", dt, c.name), func(t *testing.T) {
				got, err := runGraph(func(g *gorgonia.ExprGraph) ([]*gorgonia.Node, error) {
					x := newInput(g, dt, "logits", []int{c.n, c.c}, c.logits)
					l := newInput(g, dt, "labels", []int{c.n}, c.labels)
					y, err := SoftmaxCrossEntropy(x, l)
					return []*gorgonia.Node{y}, err
				})
				if err != nil {
					t.Fatal(err)
				}
				if ok, msg := closeTo(got[0], []float64{c.want}, rtol, 1e-300); !ok {
					t.Errorf("SoftmaxCrossEntropy(%v, %v): %s", c.logits, c.labels, msg)
				}
			})
		}
	}
}

// TestSoftmaxCrossEntropyBadLabels checks that a label that is not a class index
// fails the run with an error naming the row, forward and backward, without a panic.
func TestSoftmaxCrossEntropyBadLabels(t *testing.T) {
	cases := []struct {
		name   string
		labels []float64
		want   string
	}{
		{"too large", []float64{0, 3}, "label 3 at row 1 is not an integer class in [0, 3)"},
		{"negative", []float64{-1, 0}, "label -1 at row 0"},
		{"fraction", []float64{0, 1.5}, "label 1.5 at row 1"},
		{"NaN", []float64{math.NaN(), 0}, "label NaN at row 0"},
		{"Inf", []float64{0, math.Inf(1)}, "label +Inf at row 1"},
	}
	for _, dt := range dtypes {
		for _, c := range cases {
			for _, backward := range []bool{false, true} {
				t.Run(fmt.Sprintf("%v/%s/backward=%v", dt, c.name, backward), func(t *testing.T) {
					_, err := runGraph(func(g *gorgonia.ExprGraph) ([]*gorgonia.Node, error) {
						x := newInput(g, dt, "logits", []int{2, 3}, make([]float64, 6))
						l := newInput(g, dt, "labels", []int{2}, c.labels)
						if backward {
							dy := newInput(g, dt, "dy", nil, []float64{1})
							y, err := sceGradDef.Apply(struct{}{}, x, l, dy)
							return []*gorgonia.Node{y}, err
						}
						y, err := SoftmaxCrossEntropy(x, l)
						return []*gorgonia.Node{y}, err
					})
					if err == nil || !strings.Contains(err.Error(), c.want) {
						t.Fatalf("run error %v, want one saying %q", err, c.want)
					}
				})
			}
		}
	}
}

func TestSoftmaxCrossEntropyErrors(t *testing.T) {
	g := gorgonia.NewGraph()
	x := newInput(g, tensor.Float64, "x", []int{4, 3}, make([]float64, 12))
	x32 := newInput(g, tensor.Float32, "x32", []int{4, 3}, make([]float64, 12))
	v3 := newInput(g, tensor.Float64, "v3", []int{3}, make([]float64, 3))
	v4 := newInput(g, tensor.Float64, "v4", []int{4}, make([]float64, 4))
	col := newInput(g, tensor.Float64, "col", []int{4, 1}, make([]float64, 4))
	i4 := gorgonia.NewVector(g, tensor.Int, gorgonia.WithShape(4), gorgonia.WithName("i4"))
	cases := []struct {
		name           string
		logits, labels *gorgonia.Node
		want           string
	}{
		{"nil logits", nil, v4, "logits is nil"},
		{"nil labels", x, nil, "labels is nil"},
		{"1-D logits", v4, v4, "logits have shape (4), want (N, C)"},
		{"labels too short", x, v3, "labels have shape (3), want (4)"},
		{"labels (N, 1)", x, col, "labels have shape (4, 1), want (4)"},
		{"int labels", x, i4, "labels has dtype int"},
		{"mixed dtypes", x32, v4, "want the same"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, err := SoftmaxCrossEntropy(c.logits, c.labels)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("SoftmaxCrossEntropy = %v, %v; want an error saying %q", n, err, c.want)
			}
		})
	}
}

// TestSoftmaxCrossEntropyLabelsNotDifferentiable: asking for the labels' gradient is
// an error from Grad, not a panic.
func TestSoftmaxCrossEntropyLabelsNotDifferentiable(t *testing.T) {
	_, err := CheckGrad(func() (*gorgonia.Node, []*gorgonia.Node, error) {
		g := gorgonia.NewGraph()
		x := newInput(g, tensor.Float64, "logits", []int{2, 3}, uniform(1, 6, -1, 1))
		l := newInput(g, tensor.Float64, "labels", []int{2}, []float64{0, 2})
		y, err := SoftmaxCrossEntropy(x, l)
		return y, []*gorgonia.Node{l}, err
	}, CheckConfig{})
	if err == nil || !strings.Contains(err.Error(), "differentiating") {
		t.Fatalf("CheckGrad wrt labels: error %v, want a differentiation error", err)
	}
}
