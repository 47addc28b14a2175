package ops

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

type softmaxFn struct {
	name string
	f    func(x *gorgonia.Node, axis int) (*gorgonia.Node, error)
}

var softmaxFns = []softmaxFn{{"Softmax", Softmax}, {"LogSoftmax", LogSoftmax}}

func TestSoftmaxGrad(t *testing.T) {
	cases := []struct {
		shape []int
		axis  int
	}{
		{[]int{4}, 0},
		{[]int{4}, -1},
		{[]int{5, 1}, 0}, // column vector: gorgonia.SoftMax gets this wrong
		{[]int{5, 1}, -1},
		{[]int{1, 6}, 1}, // batch 1
		{[]int{1, 6}, 0},
		{[]int{3, 4}, 0},
		{[]int{3, 4}, 1},
		{[]int{3, 4}, -2},
		{[]int{2, 3, 4}, 0},
		{[]int{2, 3, 4}, 1},
		{[]int{2, 3, 4}, -1},
		{[]int{2, 1, 3, 2}, 2},
	}
	for _, fn := range softmaxFns {
		for _, dt := range dtypes {
			for _, c := range cases {
				t.Run(fmt.Sprintf("%s/%v/%v/axis%d", fn.name, dt, c.shape, c.axis), func(t *testing.T) {
					checkGradT(t, unary(dt, c.shape, func(x *gorgonia.Node) (*gorgonia.Node, error) {
						return fn.f(x, c.axis)
					}))
				})
			}
		}
	}
}

// TestSoftmaxSpecialValues checks values worked out by hand: 0, ±1000 (exp would
// overflow or underflow without the max shift), negatives.
func TestSoftmaxSpecialValues(t *testing.T) {
	ln2, ln3 := math.Ln2, math.Log(3)
	cases := []struct {
		name          string
		shape         []int
		axis          int
		x             []float64
		soft, logSoft []float64
	}{
		{"zeros", []int{3}, 0, []float64{0, 0, 0},
			[]float64{1.0 / 3, 1.0 / 3, 1.0 / 3}, []float64{-ln3, -ln3, -ln3}},
		{"+1000 and 0", []int{2}, 0, []float64{1000, 0},
			[]float64{1, 0}, []float64{0, -1000}},
		{"+1000 twice", []int{2}, 0, []float64{1000, 1000},
			[]float64{0.5, 0.5}, []float64{-ln2, -ln2}},
		{"-1000 twice", []int{2}, 0, []float64{-1000, -1000},
			[]float64{0.5, 0.5}, []float64{-ln2, -ln2}},
		{"+1000 and -1000", []int{2}, 0, []float64{1000, -1000},
			[]float64{1, 0}, []float64{0, -2000}},
		{"negatives shifted", []int{2}, 0, []float64{-3, -3 - ln2},
			[]float64{2.0 / 3, 1.0 / 3}, []float64{math.Log(2.0 / 3), math.Log(1.0 / 3)}},
		{"column vector axis 0", []int{2, 1}, 0, []float64{1000, 1000},
			[]float64{0.5, 0.5}, []float64{-ln2, -ln2}},
		{"column vector axis 1", []int{2, 1}, 1, []float64{1000, -5},
			[]float64{1, 1}, []float64{0, 0}},
		{"2-D axis 0", []int{2, 2}, 0, []float64{1000, 0, -1000, 0},
			[]float64{1, 0.5, 0, 0.5}, []float64{0, -ln2, -2000, -ln2}},
	}
	for _, dt := range dtypes {
		rtol := 1e-12
		if dt == tensor.Float32 {
			rtol = 1e-6
		}
		for _, c := range cases {
			t.Run(fmt.Sprintf("%v/%s", dt, c.name), func(t *testing.T) {
				got, err := runGraph(func(g *gorgonia.ExprGraph) ([]*gorgonia.Node, error) {
					x := newInput(g, dt, "x", c.shape, c.x)
					s, err := Softmax(x, c.axis)
					if err != nil {
						return nil, err
					}
					l, err := LogSoftmax(x, c.axis)
					return []*gorgonia.Node{s, l}, err
				})
				if err != nil {
					t.Fatal(err)
				}
				if ok, msg := closeTo(got[0], c.soft, rtol, 1e-300); !ok {
					t.Errorf("Softmax(%v, %d): %s", c.x, c.axis, msg)
				}
				if ok, msg := closeTo(got[1], c.logSoft, rtol, 1e-300); !ok {
					t.Errorf("LogSoftmax(%v, %d): %s", c.x, c.axis, msg)
				}
			})
		}
	}
}

// TestSoftmaxDistinctNodes builds several softmaxes of one input in one graph: ops
// differing in kind or axis must be distinct nodes with distinct values (gorgonia's
// LogSoftMax hash omits isLog and returns the SoftMax node).
func TestSoftmaxDistinctNodes(t *testing.T) {
	var nodes []*gorgonia.Node
	vals, err := runGraph(func(g *gorgonia.ExprGraph) ([]*gorgonia.Node, error) {
		x := newInput(g, tensor.Float64, "x", []int{2, 3}, []float64{1, 2, 3, 4, 6, 8})
		for _, b := range []struct {
			f    func(*gorgonia.Node, int) (*gorgonia.Node, error)
			axis int
		}{{Softmax, 0}, {Softmax, 1}, {LogSoftmax, 0}, {LogSoftmax, 1}} {
			n, err := b.f(x, b.axis)
			if err != nil {
				return nil, err
			}
			nodes = append(nodes, n)
		}
		return nodes, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range nodes {
		for j := range i {
			if nodes[i] == nodes[j] {
				t.Errorf("nodes %d (%v) and %d (%v) are one node", i, nodes[i].Op(), j, nodes[j].Op())
			}
			if ok, _ := closeTo(vals[i], vals[j], 1e-9, 0); ok {
				t.Errorf("nodes %d and %d have the same value %v", i, j, vals[i])
			}
		}
	}
}

// TestSoftmaxSameOpMerges checks the other side of hashing: the same op on the same
// input is one node, and axis -1 is axis dims-1.
func TestSoftmaxSameOpMerges(t *testing.T) {
	g := gorgonia.NewGraph()
	x := newInput(g, tensor.Float64, "x", []int{2, 3}, uniform(1, 6, -1, 1))
	a, err1 := Softmax(x, 1)
	b, err2 := Softmax(x, -1)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if a != b {
		t.Errorf("Softmax(x, 1) and Softmax(x, -1) are two nodes, want one")
	}
}

func TestSoftmaxErrors(t *testing.T) {
	g := gorgonia.NewGraph()
	m := newInput(g, tensor.Float64, "m", []int{2, 3}, make([]float64, 6))
	s := newInput(g, tensor.Float64, "s", nil, []float64{1})
	i := gorgonia.NewMatrix(g, tensor.Int, gorgonia.WithShape(2, 2), gorgonia.WithName("i"))
	cases := []struct {
		name string
		x    *gorgonia.Node
		axis int
		want string
	}{
		{"nil", nil, 0, "x is nil"},
		{"scalar", s, 0, "want at least 1-D"},
		{"axis 2 of 2-D", m, 2, "axis 2 out of range for a 2-D input, want in [-2, 2)"},
		{"axis -3 of 2-D", m, -3, "axis -3 out of range"},
		{"int dtype", i, 0, "want float32 or float64"},
	}
	for _, fn := range softmaxFns {
		for _, c := range cases {
			t.Run(fn.name+"/"+c.name, func(t *testing.T) {
				n, err := fn.f(c.x, c.axis)
				if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "ops: "+fn.name) {
					t.Fatalf("%s = %v, %v; want an error saying %q", fn.name, n, err, c.want)
				}
			})
		}
	}
}

// TestGorgoniaSoftMaxColumnVectorIsWrong documents why Softmax exists: CheckGrad
// rejects gorgonia.SoftMax on an (n, 1) input and accepts ours.
func TestGorgoniaSoftMaxColumnVectorIsWrong(t *testing.T) {
	ours := unary(tensor.Float64, []int{5, 1}, func(x *gorgonia.Node) (*gorgonia.Node, error) { return Softmax(x, 0) })
	theirs := unary(tensor.Float64, []int{5, 1}, func(x *gorgonia.Node) (*gorgonia.Node, error) { return gorgonia.SoftMax(x) })
	if _, err := CheckGrad(ours, CheckConfig{}); err != nil {
		t.Errorf("ours: %v", err)
	}
	if _, err := CheckGrad(theirs, CheckConfig{}); err == nil {
		t.Errorf("gorgonia.SoftMax on (5, 1) passed; has gorgonia been fixed? Then update GORGONIA.md")
	}
}
