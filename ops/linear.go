package ops

import (
	"fmt"
	"hash"
	"io"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Linear returns x·w + b for x (N, In), w (In, Out) and b (Out), or x·w when b is nil:
// the fully connected layer, one node. The output is (N, Out).
//
// It replaces gorgonia.Mul followed by gorgonia.BroadcastAdd for speed. That pair is
// two forward nodes and two outputs (the product, then the sum), and its backward
// builds the bias gradient from a broadcast-reduction node. Here the forward is one
// GEMM (the BLAS gorgonia's tensor package uses: tensor.WhichBLAS) followed by one pass
// that adds the bias; its values are bit for bit those of Mul then BroadcastAdd (the
// same GEMM call, then the same float additions). The backward is three nodes,
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
	if err := checkFloat(name, "x", x); err != nil {
		return nil, err
	}
	if err := checkFloat(name, "w", w); err != nil {
		return nil, err
	}
	op := linearOp{bias: b != nil, relu: relu, out: new(outBuf)}
	in := []*gorgonia.Node{x, w}
	if b != nil {
		if err := checkFloat(name, "b", b); err != nil {
			return nil, err
		}
		in = append(in, b)
	}
	shapes := make([]tensor.Shape, len(in))
	for i, n := range in {
		if n.Dtype() != x.Dtype() {
			return nil, errors.Errorf("ops: %s: %s has dtype %v, x %v, want the same", name, linearArgNames[i], n.Dtype(), x.Dtype())
		}
		shapes[i] = n.Shape()
	}
	if _, err := op.outShape(shapes); err != nil {
		return nil, err
	}
	return apply(name, op, in...)
}

var linearArgNames = []string{"x", "w", "b"}

// linearOp is y = x·w (+ b), rectified when relu is set.
type linearOp struct {
	bias, relu bool
	out        *outBuf // not in String: memory, not a parameter
}

// linearInputGradOp maps (dy, w) to dx = dy·wᵀ.
type linearInputGradOp struct{ out *outBuf }

// linearWeightGradOp maps (x, dy) to dw = xᵀ·dy.
type linearWeightGradOp struct{ out *outBuf }

// biasGradOp maps dy (N, Out) to its column sums (Out).
type biasGradOp struct{ out *outBuf }

var (
	_ gorgonia.Op   = linearOp{}
	_ gorgonia.SDOp = linearOp{}
	_ gorgonia.Op   = linearInputGradOp{}
	_ gorgonia.Op   = linearWeightGradOp{}
	_ gorgonia.Op   = biasGradOp{}
)

func (op linearOp) Arity() int {
	if op.bias {
		return 3
	}
	return 2
}

func (op linearOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	m := gorgonia.TensorType{Dims: 2, Of: a}
	if op.bias {
		return hm.NewFnType(m, m, gorgonia.TensorType{Dims: 1, Of: a}, m)
	}
	return hm.NewFnType(m, m, m)
}

func (op linearOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	s := make([]tensor.Shape, len(in))
	for i := range in {
		var err error
		if s[i], err = shapeArg(op, in, i); err != nil {
			return nil, err
		}
	}
	return op.outShape(s)
}

// outShape checks the input shapes and returns the output's.
func (op linearOp) outShape(s []tensor.Shape) (tensor.Shape, error) {
	if len(s) != op.Arity() {
		return nil, errors.Errorf("ops: %v: got %d inputs, want %d", op, len(s), op.Arity())
	}
	x, w := s[0], s[1]
	if x.Dims() != 2 || w.Dims() != 2 || x[1] != w[0] {
		return nil, errors.Errorf("ops: %v: x %v and w %v, want (N, In) and (In, Out)", op, x, w)
	}
	if x[0] <= 0 || x[1] <= 0 || w[1] <= 0 {
		return nil, errors.Errorf("ops: %v: x %v and w %v, want every dimension > 0", op, x, w)
	}
	if op.bias && (s[2].Dims() != 1 || s[2][0] != w[1]) {
		return nil, errors.Errorf("ops: %v: b %v, want (%d)", op, s[2], w[1])
	}
	return tensor.Shape{x[0], w[1]}, nil
}

func (op linearOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	ds, err := linearArgs(op, in)
	if err != nil {
		return nil, err
	}
	shapes := make([]tensor.Shape, len(ds))
	for i, d := range ds {
		shapes[i] = d.Shape()
	}
	ys, err := op.outShape(shapes)
	if err != nil {
		return nil, err
	}
	y := op.out.newOut(ds[0].Dtype(), ys)
	n, k, m := ys[0], shapes[0][1], ys[1]
	if ds[0].Dtype() == tensor.Float32 {
		var b []float32
		if op.bias {
			b = elems[float32](ds[2])
		}
		linearForward(elems[float32](ds[0]), elems[float32](ds[1]), b, elems[float32](y), n, k, m, op.relu, sgemm)
	} else {
		var b []float64
		if op.bias {
			b = elems[float64](ds[2])
		}
		linearForward(elems[float64](ds[0]), elems[float64](ds[1]), b, elems[float64](y), n, k, m, op.relu, dgemm)
	}
	return y, nil
}

func (op linearOp) ReturnsPtr() bool      { return false }
func (op linearOp) CallsExtern() bool     { return false }
func (op linearOp) OverwritesInput() int  { return -1 }
func (op linearOp) WriteHash(h hash.Hash) { io.WriteString(h, op.String()) }
func (op linearOp) Hashcode() uint32      { return hash32(op.String()) }
func (op linearOp) String() string {
	return fmt.Sprintf("ops.Linear{bias=%t, relu=%t}", op.bias, op.relu)
}

func (op linearOp) DiffWRT(inputs int) []bool {
	d := make([]bool, inputs)
	for i := range d {
		d[i] = true
	}
	return d
}

func (op linearOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if len(inputs) != op.Arity() {
		return nil, errors.Errorf("ops: %v: SymDiff got %d inputs, want %d", op, len(inputs), op.Arity())
	}
	dy := grad
	if op.relu {
		var err error
		if dy, err = apply("ReLUGrad", reluGradOp{out: new(outBuf)}, output, grad); err != nil {
			return nil, err
		}
	}
	x, w := inputs[0], inputs[1]
	dx, err := apply("LinearInputGrad", linearInputGradOp{out: new(outBuf)}, dy, w)
	if err != nil {
		return nil, err
	}
	dw, err := apply("LinearWeightGrad", linearWeightGradOp{out: new(outBuf)}, x, dy)
	if err != nil {
		return nil, err
	}
	if !op.bias {
		return gorgonia.Nodes{dx, dw}, nil
	}
	db, err := apply("BiasGrad", biasGradOp{out: new(outBuf)}, dy)
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{dx, dw, db}, nil
}

func (op linearInputGradOp) Arity() int { return 2 }
func (op linearInputGradOp) Type() hm.Type {
	m := gorgonia.TensorType{Dims: 2, Of: hm.TypeVariable('a')}
	return hm.NewFnType(m, m, m)
}

func (op linearInputGradOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	dy, err := shapeArg(op, in, 0)
	if err != nil {
		return nil, err
	}
	w, err := shapeArg(op, in, 1)
	if err != nil {
		return nil, err
	}
	return op.outShape(dy, w)
}

func (op linearInputGradOp) outShape(dy, w tensor.Shape) (tensor.Shape, error) {
	if dy.Dims() != 2 || w.Dims() != 2 || dy[1] != w[1] {
		return nil, errors.Errorf("ops: %v: output gradient %v and w %v, want (N, Out) and (In, Out)", op, dy, w)
	}
	return tensor.Shape{dy[0], w[0]}, nil
}

func (op linearInputGradOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	ds, err := linearArgs(op, in)
	if err != nil {
		return nil, err
	}
	dy, w := ds[0], ds[1]
	xs, err := op.outShape(dy.Shape(), w.Shape())
	if err != nil {
		return nil, err
	}
	dx := op.out.newOut(dy.Dtype(), xs)
	n, k, m := xs[0], xs[1], dy.Shape()[1]
	// dx (n, k) = dy (n, m) · wᵀ, w stored (k, m): the call gorgonia's Mul backward makes.
	if dy.Dtype() == tensor.Float32 {
		sgemm(false, true, n, k, m, elems[float32](dy), m, elems[float32](w), m, 0, elems[float32](dx), k)
	} else {
		dgemm(false, true, n, k, m, elems[float64](dy), m, elems[float64](w), m, 0, elems[float64](dx), k)
	}
	return dx, nil
}

func (op linearInputGradOp) ReturnsPtr() bool      { return false }
func (op linearInputGradOp) CallsExtern() bool     { return false }
func (op linearInputGradOp) OverwritesInput() int  { return -1 }
func (op linearInputGradOp) WriteHash(h hash.Hash) { io.WriteString(h, op.String()) }
func (op linearInputGradOp) Hashcode() uint32      { return hash32(op.String()) }
func (op linearInputGradOp) String() string        { return "ops.LinearInputGrad{}" }

func (op linearWeightGradOp) Arity() int { return 2 }
func (op linearWeightGradOp) Type() hm.Type {
	m := gorgonia.TensorType{Dims: 2, Of: hm.TypeVariable('a')}
	return hm.NewFnType(m, m, m)
}

func (op linearWeightGradOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	x, err := shapeArg(op, in, 0)
	if err != nil {
		return nil, err
	}
	dy, err := shapeArg(op, in, 1)
	if err != nil {
		return nil, err
	}
	return op.outShape(x, dy)
}

func (op linearWeightGradOp) outShape(x, dy tensor.Shape) (tensor.Shape, error) {
	if x.Dims() != 2 || dy.Dims() != 2 || x[0] != dy[0] {
		return nil, errors.Errorf("ops: %v: x %v and output gradient %v, want (N, In) and (N, Out)", op, x, dy)
	}
	return tensor.Shape{x[1], dy[1]}, nil
}

func (op linearWeightGradOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	ds, err := linearArgs(op, in)
	if err != nil {
		return nil, err
	}
	x, dy := ds[0], ds[1]
	ws, err := op.outShape(x.Shape(), dy.Shape())
	if err != nil {
		return nil, err
	}
	dw := op.out.newOut(x.Dtype(), ws)
	k, m, n := ws[0], ws[1], x.Shape()[0]
	// dw (k, m) = xᵀ · dy, x stored (n, k): the call gorgonia's Mul backward makes.
	if x.Dtype() == tensor.Float32 {
		sgemm(true, false, k, m, n, elems[float32](x), k, elems[float32](dy), m, 0, elems[float32](dw), m)
	} else {
		dgemm(true, false, k, m, n, elems[float64](x), k, elems[float64](dy), m, 0, elems[float64](dw), m)
	}
	return dw, nil
}

func (op linearWeightGradOp) ReturnsPtr() bool      { return false }
func (op linearWeightGradOp) CallsExtern() bool     { return false }
func (op linearWeightGradOp) OverwritesInput() int  { return -1 }
func (op linearWeightGradOp) WriteHash(h hash.Hash) { io.WriteString(h, op.String()) }
func (op linearWeightGradOp) Hashcode() uint32      { return hash32(op.String()) }
func (op linearWeightGradOp) String() string        { return "ops.LinearWeightGrad{}" }

func (op biasGradOp) Arity() int { return 1 }
func (op biasGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(gorgonia.TensorType{Dims: 2, Of: a}, gorgonia.TensorType{Dims: 1, Of: a})
}

func (op biasGradOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	s, err := shapeArg(op, in, 0)
	if err != nil {
		return nil, err
	}
	if s.Dims() != 2 {
		return nil, errors.Errorf("ops: %v: output gradient %v, want (N, Out)", op, s)
	}
	return tensor.Shape{s[1]}, nil
}

func (op biasGradOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	ds, err := linearArgs(op, in)
	if err != nil {
		return nil, err
	}
	s := ds[0].Shape()
	if s.Dims() != 2 {
		return nil, errors.Errorf("ops: %v: output gradient %v, want (N, Out)", op, s)
	}
	db := op.out.newOut(ds[0].Dtype(), tensor.Shape{s[1]})
	if ds[0].Dtype() == tensor.Float32 {
		columnSums(elems[float32](ds[0]), elems[float32](db), s[0], s[1])
	} else {
		columnSums(elems[float64](ds[0]), elems[float64](db), s[0], s[1])
	}
	return db, nil
}

func (op biasGradOp) ReturnsPtr() bool      { return false }
func (op biasGradOp) CallsExtern() bool     { return false }
func (op biasGradOp) OverwritesInput() int  { return -1 }
func (op biasGradOp) WriteHash(h hash.Hash) { io.WriteString(h, op.String()) }
func (op biasGradOp) Hashcode() uint32      { return hash32(op.String()) }
func (op biasGradOp) String() string        { return "ops.BiasGrad{}" }

// linearArgs returns the values given to Do as contiguous float tensors of one dtype.
func linearArgs(op gorgonia.Op, in []gorgonia.Value) ([]*tensor.Dense, error) {
	if err := checkArity(op, in); err != nil {
		return nil, err
	}
	ds := make([]*tensor.Dense, len(in))
	for i, v := range in {
		d, err := denseArg(op, v, i)
		if err != nil {
			return nil, err
		}
		if i > 0 && d.Dtype() != ds[0].Dtype() {
			return nil, errors.Errorf("ops: %v: input %d has dtype %v, input 0 %v, want the same", op, i, d.Dtype(), ds[0].Dtype())
		}
		ds[i] = d
	}
	return ds, nil
}
