package ops

import (
	"fmt"
	"math"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// gorgoniaCase is one gorgonia op that gradflow relies on, checked by CheckGrad in
// float64 and float32. docs/ops.md points at these subtests by name:
// TestGorgoniaChecked/<op>/<case>.
type gorgoniaCase struct {
	op, name string
	shapes   [][]int // input shapes; nil is a scalar
	kinked   bool    // inputs kept 0.2 away from 0 (ReLU kinks)
	positive bool    // inputs in [0.5, 2] (Log, Sqrt)
	f        func(in []*gorgonia.Node) (*gorgonia.Node, error)
}

func one(f func(*gorgonia.Node) (*gorgonia.Node, error)) func([]*gorgonia.Node) (*gorgonia.Node, error) {
	return func(in []*gorgonia.Node) (*gorgonia.Node, error) { return f(in[0]) }
}

func two(f func(a, b *gorgonia.Node) (*gorgonia.Node, error)) func([]*gorgonia.Node) (*gorgonia.Node, error) {
	return func(in []*gorgonia.Node) (*gorgonia.Node, error) { return f(in[0], in[1]) }
}

var gorgoniaCases = []gorgoniaCase{
	{op: "Mul", name: "matmul", shapes: [][]int{{3, 4}, {4, 2}}, f: two(gorgonia.Mul)},
	{op: "Mul", name: "batch 1", shapes: [][]int{{1, 4}, {4, 1}}, f: two(gorgonia.Mul)},
	{op: "Mul", name: "matrix-vector", shapes: [][]int{{3, 4}, {4}}, f: two(gorgonia.Mul)},
	{op: "Mul", name: "scalar", shapes: [][]int{{2, 3}, nil}, f: two(gorgonia.Mul)},
	{op: "HadamardProd", name: "matrix", shapes: [][]int{{2, 3}, {2, 3}}, f: two(gorgonia.HadamardProd)},
	{op: "HadamardProd", name: "column", shapes: [][]int{{4, 1}, {4, 1}}, f: two(gorgonia.HadamardProd)},
	{op: "Add", name: "matrix", shapes: [][]int{{2, 3}, {2, 3}}, f: two(gorgonia.Add)},
	{op: "Sub", name: "matrix", shapes: [][]int{{2, 3}, {2, 3}}, f: two(gorgonia.Sub)},
	{op: "BroadcastAdd", name: "bias (N, Out) + (Out)", shapes: [][]int{{3, 4}, {4}},
		f: func(in []*gorgonia.Node) (*gorgonia.Node, error) {
			return gorgonia.BroadcastAdd(in[0], in[1], nil, []byte{0})
		}},
	{op: "BroadcastAdd", name: "batch 1", shapes: [][]int{{1, 3}, {3}},
		f: func(in []*gorgonia.Node) (*gorgonia.Node, error) {
			return gorgonia.BroadcastAdd(in[0], in[1], nil, []byte{0})
		}},
	{op: "BroadcastHadamardProd", name: "(N, T, D) * (N, T, 1)", shapes: [][]int{{2, 3, 2}, {2, 3, 1}},
		f: func(in []*gorgonia.Node) (*gorgonia.Node, error) {
			return gorgonia.BroadcastHadamardProd(in[0], in[1], nil, []byte{2})
		}},
	{op: "Rectify", name: "matrix", shapes: [][]int{{3, 4}}, kinked: true, f: one(gorgonia.Rectify)},
	{op: "LeakyRelu", name: "alpha 0.1", shapes: [][]int{{3, 4}}, kinked: true,
		f: one(func(x *gorgonia.Node) (*gorgonia.Node, error) { return gorgonia.LeakyRelu(x, 0.1) })},
	{op: "Sigmoid", name: "matrix", shapes: [][]int{{3, 4}}, f: one(gorgonia.Sigmoid)},
	{op: "Tanh", name: "matrix", shapes: [][]int{{3, 4}}, f: one(gorgonia.Tanh)},
	{op: "Softplus", name: "matrix", shapes: [][]int{{3, 4}}, f: one(gorgonia.Softplus)},
	{op: "Neg", name: "matrix", shapes: [][]int{{2, 3}}, f: one(gorgonia.Neg)},
	{op: "Square", name: "matrix", shapes: [][]int{{2, 3}}, f: one(gorgonia.Square)},
	{op: "Exp", name: "matrix", shapes: [][]int{{2, 3}}, f: one(gorgonia.Exp)},
	{op: "Log", name: "matrix", shapes: [][]int{{2, 3}}, positive: true, f: one(gorgonia.Log)},
	{op: "Sqrt", name: "matrix", shapes: [][]int{{2, 3}}, positive: true, f: one(gorgonia.Sqrt)},
	{op: "Mean", name: "all", shapes: [][]int{{3, 4}},
		f: one(func(x *gorgonia.Node) (*gorgonia.Node, error) { return gorgonia.Mean(x) })},
	{op: "Mean", name: "axis 0", shapes: [][]int{{3, 4}},
		f: one(func(x *gorgonia.Node) (*gorgonia.Node, error) { return gorgonia.Mean(x, 0) })},
	{op: "Mean", name: "axis 1 of 3-D", shapes: [][]int{{2, 3, 4}},
		f: one(func(x *gorgonia.Node) (*gorgonia.Node, error) { return gorgonia.Mean(x, 1) })},
	{op: "Sum", name: "all", shapes: [][]int{{3, 4}},
		f: one(func(x *gorgonia.Node) (*gorgonia.Node, error) { return gorgonia.Sum(x) })},
	{op: "Sum", name: "axis 1", shapes: [][]int{{3, 4}},
		f: one(func(x *gorgonia.Node) (*gorgonia.Node, error) { return gorgonia.Sum(x, 1) })},
	{op: "Sum", name: "column axis 0", shapes: [][]int{{4, 1}},
		f: one(func(x *gorgonia.Node) (*gorgonia.Node, error) { return gorgonia.Sum(x, 0) })},
	{op: "Conv2d", name: "k3 pad 1", shapes: [][]int{{1, 2, 4, 4}, {3, 2, 3, 3}},
		f: func(in []*gorgonia.Node) (*gorgonia.Node, error) {
			return gorgonia.Conv2d(in[0], in[1], tensor.Shape{3, 3}, []int{1, 1}, []int{1, 1}, []int{1, 1})
		}},
	{op: "Conv2d", name: "k2 stride 2 batch 2", shapes: [][]int{{2, 1, 4, 4}, {2, 1, 2, 2}},
		f: func(in []*gorgonia.Node) (*gorgonia.Node, error) {
			return gorgonia.Conv2d(in[0], in[1], tensor.Shape{2, 2}, []int{0, 0}, []int{2, 2}, []int{1, 1})
		}},
	{op: "MaxPool2D", name: "k2 s2", shapes: [][]int{{1, 2, 4, 4}},
		f: one(func(x *gorgonia.Node) (*gorgonia.Node, error) {
			return gorgonia.MaxPool2D(x, tensor.Shape{2, 2}, []int{0, 0}, []int{2, 2})
		})},
	{op: "Reshape", name: "(2, 6) to (3, 4)", shapes: [][]int{{2, 6}},
		f: one(func(x *gorgonia.Node) (*gorgonia.Node, error) { return gorgonia.Reshape(x, tensor.Shape{3, 4}) })},
	{op: "Concat", name: "axis 0", shapes: [][]int{{2, 3}, {1, 3}},
		f: func(in []*gorgonia.Node) (*gorgonia.Node, error) { return gorgonia.Concat(0, in...) }},
	{op: "Concat", name: "axis 1 of three", shapes: [][]int{{2, 1}, {2, 3}, {2, 2}},
		f: func(in []*gorgonia.Node) (*gorgonia.Node, error) { return gorgonia.Concat(1, in...) }},
	{op: "Concat", name: "column vectors", shapes: [][]int{{3, 1}, {2, 1}},
		f: func(in []*gorgonia.Node) (*gorgonia.Node, error) { return gorgonia.Concat(0, in...) }},
	{op: "Concat", name: "middle axis of 3-D", shapes: [][]int{{2, 1, 2}, {2, 2, 2}},
		f: func(in []*gorgonia.Node) (*gorgonia.Node, error) { return gorgonia.Concat(1, in...) }},
	{op: "Slice", name: "rows", shapes: [][]int{{4, 3}},
		f: one(func(x *gorgonia.Node) (*gorgonia.Node, error) { return gorgonia.Slice(x, gorgonia.S(1, 3)) })},
	{op: "Slice", name: "columns", shapes: [][]int{{3, 4}},
		f: one(func(x *gorgonia.Node) (*gorgonia.Node, error) { return gorgonia.Slice(x, nil, gorgonia.S(1, 3)) })},
	{op: "Slice", name: "one index drops the axis", shapes: [][]int{{2, 3, 2}},
		f: one(func(x *gorgonia.Node) (*gorgonia.Node, error) { return gorgonia.Slice(x, nil, gorgonia.S(1)) })},
	{op: "Transpose", name: "matrix", shapes: [][]int{{2, 3}},
		f: one(func(x *gorgonia.Node) (*gorgonia.Node, error) { return gorgonia.Transpose(x) })},
	{op: "Transpose", name: "(0, 2, 1, 3)", shapes: [][]int{{2, 3, 2, 2}},
		f: one(func(x *gorgonia.Node) (*gorgonia.Node, error) { return gorgonia.Transpose(x, 0, 2, 1, 3) })},
	{op: "BatchedMatMul", name: "plain", shapes: [][]int{{2, 3, 4}, {2, 4, 2}},
		f: func(in []*gorgonia.Node) (*gorgonia.Node, error) { return gorgonia.BatchedMatMul(in[0], in[1]) }},
	{op: "BatchedMatMul", name: "transposed b", shapes: [][]int{{2, 3, 4}, {2, 2, 4}},
		f: func(in []*gorgonia.Node) (*gorgonia.Node, error) {
			return gorgonia.BatchedMatMul(in[0], in[1], false, true)
		}},
	{op: "SoftMax", name: "rows (passes; column vectors fail)", shapes: [][]int{{2, 3}},
		f: one(func(x *gorgonia.Node) (*gorgonia.Node, error) { return gorgonia.SoftMax(x) })},
}

func TestGorgoniaChecked(t *testing.T) {
	for k, c := range gorgoniaCases {
		for _, dt := range dtypes {
			t.Run(fmt.Sprintf("%s/%s/%v", c.op, c.name, dt), func(t *testing.T) {
				checkGradT(t, func() (*gorgonia.Node, []*gorgonia.Node, error) {
					g := gorgonia.NewGraph()
					var in []*gorgonia.Node
					for i, s := range c.shapes {
						v := uniform(uint64(100*k+i), max(size(s), 1), -2, 2)
						for j := range v {
							switch {
							case c.positive:
								v[j] = 0.5 + math.Abs(v[j])*0.75
							case c.kinked && math.Abs(v[j]) < 0.2:
								v[j] += math.Copysign(0.2, v[j])
							}
						}
						in = append(in, newInput(g, dt, fmt.Sprint("in", i), s, v))
					}
					y, err := c.f(in)
					return y, in, err
				})
			})
		}
	}
}

// TestGorgoniaSoftplusValues checks gorgonia's Softplus where it is not a plain
// log1p(exp(x)): it returns x above 16 (float64; 14 in float32), an absolute error of
// exp(-x) ≤ 1.2e-7, and 0 below -708. Good enough to keep (the gradient check
// passes); docs/ops.md records the error.
func TestGorgoniaSoftplusValues(t *testing.T) {
	xs := []float64{0, 1, -1, 15, 17, 30, 1000, -30, -1000}
	for _, dt := range dtypes {
		got, err := runGraph(func(g *gorgonia.ExprGraph) ([]*gorgonia.Node, error) {
			y, err := gorgonia.Softplus(newInput(g, dt, "x", []int{len(xs)}, xs))
			return []*gorgonia.Node{y}, err
		})
		if err != nil {
			t.Fatal(err)
		}
		for i, x := range xs {
			want := math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x)))
			if d := math.Abs(got[0][i] - want); d > 1.2e-7+2e-7*math.Abs(want) {
				t.Errorf("%v: Softplus(%g) = %.17g, want %.17g (diff %.3g)", dt, x, got[0][i], want, d)
			}
		}
	}
}

// TestGorgoniaReshapeAliasesItsInput documents why ops.Reshape exists: the output of
// gorgonia.Reshape shares the input's memory, and Square's backward reuses its
// operand's memory, so one forward and backward run writes the gradient 2x over x.
func TestGorgoniaReshapeAliasesItsInput(t *testing.T) {
	g := gorgonia.NewGraph()
	x := newInput(g, tensor.Float64, "x", []int{2, 3}, []float64{1, -2, 3, -4, 5, -6})
	r := gorgonia.Must(gorgonia.Reshape(x, tensor.Shape{3, 2}))
	s := gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.Square(r))))
	if _, err := gorgonia.Grad(s, x); err != nil {
		t.Fatal(err)
	}
	vm := gorgonia.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	xs, _ := toFloat64s(x.Value())
	if ok, _ := closeTo(xs, []float64{1, -2, 3, -4, 5, -6}, 0, 0); ok {
		t.Errorf("x is intact after Square(gorgonia.Reshape(x)); has gorgonia been fixed? Then update docs/ops.md")
	}
}
