package ops

import (
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Linear returns x·w + b for x (N, In), w (In, Out) and b (Out), or x·w when b is nil:
// the fully connected layer, one node. The output is (N, Out). x may have more
// leading axes, as PyTorch's F.linear allows: (N, T, In) gives (N, T, Out), every
// row of the last axis transformed alike (one GEMM over the N·T rows, no copy).
//
// It replaces gorgonia.Mul followed by gorgonia.BroadcastAdd for speed. That pair is
// two forward nodes and two outputs (the product, then the sum), and its backward
// builds the bias gradient from a broadcast-reduction node. Here the forward is one
// GEMM (gradflow's ops/blas, the one graph installs into gorgonia) followed by one pass
// that adds the bias; its values are bit for bit those of Mul then BroadcastAdd with
// that BLAS (the same GEMM call, then the same float additions). The backward is three nodes,
// dx = dy·wᵀ and dw = xᵀ·dy, each one GEMM with a transposed operand passed as a flag
// (no transpose is materialised), and db, the column sums of dy (accumulated row by
// row in the dtype, as gorgonia's reduction does).
func Linear(x, w, b *gorgonia.Node) (*gorgonia.Node, error) { return linear("Linear", x, w, b, false) }

// LinearReLU returns ReLU(Linear(x, w, b)) as one node: the forward adds the bias and
// rectifies in one pass over the GEMM's output, and the backward masks dy by
// output > 0 once before the three gradient products. Values and gradients are bit for
// bit those of ReLU(Linear(x, w, b)); it saves one (N, Out) tensor and one pass over
// it. nn.Sequential uses it for a Linear layer followed by nn.ReLU.
func LinearReLU(x, w, b *gorgonia.Node) (*gorgonia.Node, error) {
	return linear("LinearReLU", x, w, b, true)
}

func linear(name string, x, w, b *gorgonia.Node, relu bool) (*gorgonia.Node, error) {
	in := []*gorgonia.Node{x, w}
	if b != nil {
		in = append(in, b)
	}
	for i, n := range in {
		if err := checkFloat(name, linearArgNames[i], n); err != nil {
			return nil, err
		}
		if n.Dtype() != x.Dtype() {
			return nil, errors.Errorf("ops: %s: %s has dtype %v, x %v, want the same", name, linearArgNames[i], n.Dtype(), x.Dtype())
		}
	}
	return linearDef.Apply(linearParams{ReLU: relu}, in...)
}

var linearArgNames = []string{"x", "w", "b"}

// linearParams say whether the output is rectified (LinearReLU). A third input is the
// bias.
type linearParams struct{ ReLU bool }

// linearDef is y = x·w (+ b), rectified when ReLU is set.
var linearDef = &Def[linearParams]{
	Name:  "Linear",
	Arity: Variadic,
	Shape: func(_ linearParams, s []tensor.Shape) (tensor.Shape, error) {
		if len(s) != 2 && len(s) != 3 {
			return nil, errors.Errorf("got %d inputs, want x, w and an optional b", len(s))
		}
		x, w := s[0], s[1]
		if x.Dims() < 2 || w.Dims() != 2 || x[x.Dims()-1] != w[0] {
			return nil, errors.Errorf("x %v and w %v, want (N, In) and (In, Out), or (N, ..., In)", x, w)
		}
		for _, d := range x {
			if d <= 0 {
				return nil, errors.Errorf("x %v and w %v, want every dimension > 0", x, w)
			}
		}
		if w[1] <= 0 {
			return nil, errors.Errorf("x %v and w %v, want every dimension > 0", x, w)
		}
		if len(s) == 3 && (s[2].Dims() != 1 || s[2][0] != w[1]) {
			return nil, errors.Errorf("b %v, want (%d)", s[2], w[1])
		}
		return withLast(x, w[1]), nil
	},
	Forward: func(p linearParams, in []*tensor.Dense, y *tensor.Dense) error {
		n, k, m := rowsOf(in[0].Shape()), in[1].Shape()[0], in[1].Shape()[1]
		if y.Dtype() == tensor.Float32 {
			var b []float32
			if len(in) == 3 {
				b = elems[float32](in[2])
			}
			linearForward(elems[float32](in[0]), elems[float32](in[1]), b, elems[float32](y), n, k, m, p.ReLU, sgemm)
		} else {
			var b []float64
			if len(in) == 3 {
				b = elems[float64](in[2])
			}
			linearForward(elems[float64](in[0]), elems[float64](in[1]), b, elems[float64](y), n, k, m, p.ReLU, dgemm)
		}
		return nil
	},
	Backward: func(p linearParams, in []*gorgonia.Node, y, dy *gorgonia.Node) ([]*gorgonia.Node, error) {
		if p.ReLU {
			var err error
			if dy, err = reluGradDef.Apply(struct{}{}, y, dy); err != nil {
				return nil, err
			}
		}
		x, w := in[0], in[1]
		dx, err := linearInputGradDef.Apply(struct{}{}, dy, w)
		if err != nil {
			return nil, err
		}
		dw, err := linearWeightGradDef.Apply(struct{}{}, x, dy)
		if err != nil {
			return nil, err
		}
		if len(in) == 2 {
			return []*gorgonia.Node{dx, dw}, nil
		}
		db, err := biasGradDef.Apply(struct{}{}, dy)
		if err != nil {
			return nil, err
		}
		return []*gorgonia.Node{dx, dw, db}, nil
	},
}

// linearInputGradDef maps (dy, w) to dx = dy·wᵀ.
var linearInputGradDef = &Def[struct{}]{
	Name:  "LinearInputGrad",
	Arity: 2,
	Shape: func(_ struct{}, s []tensor.Shape) (tensor.Shape, error) {
		dy, w := s[0], s[1]
		if dy.Dims() < 2 || w.Dims() != 2 || dy[dy.Dims()-1] != w[1] {
			return nil, errors.Errorf("output gradient %v and w %v, want (N, ..., Out) and (In, Out)", dy, w)
		}
		return withLast(dy, w[0]), nil
	},
	Forward: func(_ struct{}, in []*tensor.Dense, dx *tensor.Dense) error {
		dy, w := in[0], in[1]
		n, k, m := rowsOf(dx.Shape()), w.Shape()[0], w.Shape()[1]
		// dx (n, k) = dy (n, m) · wᵀ, w stored (k, m): the call gorgonia's Mul backward makes.
		if dy.Dtype() == tensor.Float32 {
			sgemm(false, true, n, k, m, elems[float32](dy), m, elems[float32](w), m, 0, elems[float32](dx), k)
		} else {
			dgemm(false, true, n, k, m, elems[float64](dy), m, elems[float64](w), m, 0, elems[float64](dx), k)
		}
		return nil
	},
}

// linearWeightGradDef maps (x, dy) to dw = xᵀ·dy.
var linearWeightGradDef = &Def[struct{}]{
	Name:  "LinearWeightGrad",
	Arity: 2,
	Shape: func(_ struct{}, s []tensor.Shape) (tensor.Shape, error) {
		x, dy := s[0], s[1]
		if x.Dims() < 2 || dy.Dims() != x.Dims() || !x[:x.Dims()-1].Eq(dy[:dy.Dims()-1]) {
			return nil, errors.Errorf("x %v and output gradient %v, want (N, ..., In) and (N, ..., Out)", x, dy)
		}
		return tensor.Shape{x[x.Dims()-1], dy[dy.Dims()-1]}, nil
	},
	Forward: func(_ struct{}, in []*tensor.Dense, dw *tensor.Dense) error {
		x, dy := in[0], in[1]
		k, m, n := dw.Shape()[0], dw.Shape()[1], rowsOf(x.Shape())
		// dw (k, m) = xᵀ · dy, x stored (n, k): the call gorgonia's Mul backward makes.
		if x.Dtype() == tensor.Float32 {
			sgemm(true, false, k, m, n, elems[float32](x), k, elems[float32](dy), m, 0, elems[float32](dw), m)
		} else {
			dgemm(true, false, k, m, n, elems[float64](x), k, elems[float64](dy), m, 0, elems[float64](dw), m)
		}
		return nil
	},
}

// biasGradDef maps dy (N, Out) to its column sums (Out).
var biasGradDef = &Def[struct{}]{
	Name:  "BiasGrad",
	Arity: 1,
	Shape: func(_ struct{}, s []tensor.Shape) (tensor.Shape, error) {
		if s[0].Dims() < 2 {
			return nil, errors.Errorf("output gradient %v, want (N, ..., Out)", s[0])
		}
		return tensor.Shape{s[0][s[0].Dims()-1]}, nil
	},
	Forward: func(_ struct{}, in []*tensor.Dense, db *tensor.Dense) error {
		s := in[0].Shape()
		rows, cols := rowsOf(s), s[s.Dims()-1]
		if db.Dtype() == tensor.Float32 {
			columnSums(elems[float32](in[0]), elems[float32](db), rows, cols)
		} else {
			columnSums(elems[float64](in[0]), elems[float64](db), rows, cols)
		}
		return nil
	},
}

// rowsOf returns the number of rows of s seen as a matrix over its last axis: the
// product of every dimension but the last.
func rowsOf(s tensor.Shape) int {
	n := 1
	for _, d := range s[:s.Dims()-1] {
		n *= d
	}
	return n
}

// withLast returns a copy of s with its last dimension set to d.
func withLast(s tensor.Shape, d int) tensor.Shape {
	out := s.Clone()
	out[len(out)-1] = d
	return out
}
