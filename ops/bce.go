package ops

import (
	"fmt"
	"hash"
	"io"
	"math"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// BCEWithLogits returns the mean binary cross-entropy between sigmoid(logits) and
// targets, a scalar: PyTorch's F.binary_cross_entropy_with_logits with the default
// mean reduction. logits and targets have the same shape, of any rank >= 1, and the
// same dtype; targets are probabilities in [0, 1] (soft labels are fine; the range is
// not checked).
//
// Each element contributes max(x, 0) - x*t + log(1 + exp(-|x|)), which equals
// -t*log(sigmoid(x)) - (1-t)*log(1-sigmoid(x)) but never takes the log of 0: logits
// of ±1000 give finite values. It replaces gorgonia.BinaryXent, which is NaN at p = 1.
//
// Both inputs are differentiable: d loss/d logits = (sigmoid(x) - t) / count * dy and
// d loss/d targets = -x / count * dy, count being the number of elements.
func BCEWithLogits(logits, targets *gorgonia.Node) (*gorgonia.Node, error) {
	const name = "BCEWithLogits"
	if err := checkFloat(name, "logits", logits); err != nil {
		return nil, err
	}
	if err := checkFloat(name, "targets", targets); err != nil {
		return nil, err
	}
	if logits.Dtype() != targets.Dtype() {
		return nil, errors.Errorf("ops: %s: logits have dtype %v, targets %v, want the same", name, logits.Dtype(), targets.Dtype())
	}
	ls, ts := logits.Shape(), targets.Shape()
	if ls.Dims() == 0 {
		return nil, errors.Errorf("ops: %s: logits are a scalar, want at least 1-D", name)
	}
	if !sameShape(ls, ts) {
		return nil, errors.Errorf("ops: %s: logits have shape %v, targets %v, want the same", name, ls, ts)
	}
	return apply(name, bceOp{dims: ls.Dims()}, logits, targets)
}

// bceOp is the mean binary cross-entropy with logits of two dims-D tensors. dims is
// needed only by Type.
type bceOp struct{ dims int }

var (
	_ gorgonia.Op   = bceOp{}
	_ gorgonia.SDOp = bceOp{}
	_ gorgonia.Op   = bceGradOp{}
)

func (op bceOp) Arity() int { return 2 }

func (op bceOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(tensorType(op.dims, a), tensorType(op.dims, a), a)
}

func (op bceOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	if _, err := bceShapes(op, in); err != nil {
		return nil, err
	}
	return tensor.ScalarShape(), nil
}

func (op bceOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	x, t, err := bceArgs(op, in)
	if err != nil {
		return nil, err
	}
	var loss float64
	if x.Dtype() == tensor.Float32 {
		loss = bceForward(elems[float32](x), elems[float32](t))
	} else {
		loss = bceForward(elems[float64](x), elems[float64](t))
	}
	return scalarOf(x.Dtype(), loss), nil
}

func (op bceOp) ReturnsPtr() bool      { return false }
func (op bceOp) CallsExtern() bool     { return false }
func (op bceOp) OverwritesInput() int  { return -1 }
func (op bceOp) WriteHash(h hash.Hash) { io.WriteString(h, op.String()) }
func (op bceOp) Hashcode() uint32      { return hash32(op.String()) }
func (op bceOp) String() string {
	return fmt.Sprintf("ops.BCEWithLogits{dims=%d, reduction=mean}", op.dims)
}

func (op bceOp) DiffWRT(inputs int) []bool {
	d := make([]bool, inputs)
	for i := range d {
		d[i] = i < 2
	}
	return d
}

func (op bceOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if len(inputs) != 2 {
		return nil, errors.Errorf("ops: %v: SymDiff got %d inputs, want 2", op, len(inputs))
	}
	out := make(gorgonia.Nodes, 2)
	for wrt := range out {
		d, err := apply("BCEWithLogits backward", bceGradOp{dims: op.dims, wrt: wrt}, inputs[0], inputs[1], grad)
		if err != nil {
			return nil, err
		}
		out[wrt] = d
	}
	return out, nil
}

// bceForward returns mean(max(x, 0) - x*t + log1p(exp(-|x|))).
func bceForward[T float](x, t []T) float64 {
	var sum float64
	for i := range x {
		xi, ti := float64(x[i]), float64(t[i])
		sum += math.Max(xi, 0) - xi*ti + math.Log1p(math.Exp(-math.Abs(xi)))
	}
	return sum / float64(len(x))
}

// bceGradOp maps (logits, targets, dy) to the gradient of the mean BCE with respect
// to input wrt: 0 (logits) or 1 (targets).
type bceGradOp struct {
	dims int
	wrt  int
}

func (op bceGradOp) Arity() int { return 3 }

func (op bceGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	t := tensorType(op.dims, a)
	return hm.NewFnType(t, t, a, t)
}

func (op bceGradOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	s, err := bceShapes(op, in)
	if err != nil {
		return nil, err
	}
	return s.Clone(), nil
}

func (op bceGradOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	x, t, err := bceArgs(op, in)
	if err != nil {
		return nil, err
	}
	dy, err := scalarArg(op, in[2], 2)
	if err != nil {
		return nil, err
	}
	dx := tensor.New(tensor.WithShape(x.Shape().Clone()...), tensor.Of(x.Dtype()))
	if x.Dtype() == tensor.Float32 {
		bceBackward(elems[float32](x), elems[float32](t), elems[float32](dx), dy, op.wrt)
	} else {
		bceBackward(elems[float64](x), elems[float64](t), elems[float64](dx), dy, op.wrt)
	}
	return dx, nil
}

func (op bceGradOp) ReturnsPtr() bool      { return false }
func (op bceGradOp) CallsExtern() bool     { return false }
func (op bceGradOp) OverwritesInput() int  { return -1 }
func (op bceGradOp) WriteHash(h hash.Hash) { io.WriteString(h, op.String()) }
func (op bceGradOp) Hashcode() uint32      { return hash32(op.String()) }
func (op bceGradOp) String() string {
	wrt := "logits"
	if op.wrt != 0 {
		wrt = "targets"
	}
	return fmt.Sprintf("ops.BCEWithLogitsGrad{dims=%d, reduction=mean, wrt=%s}", op.dims, wrt)
}

// bceBackward writes (sigmoid(x) - t)/count*dy (wrt 0) or -x/count*dy (wrt 1).
func bceBackward[T float](x, t, dx []T, dy float64, wrt int) {
	scale := dy / float64(len(x))
	for i := range x {
		xi := float64(x[i])
		if wrt == 0 {
			dx[i] = T((sigmoid(xi) - float64(t[i])) * scale)
		} else {
			dx[i] = T(-xi * scale)
		}
	}
}

// sigmoid is 1/(1+exp(-x)), written so that exp never overflows.
func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// sameShape reports whether a and b have the same dimensions (unlike
// tensor.Shape.Eq, which equates (n) with (n, 1)).
func sameShape(a, b tensor.Shape) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// bceShapes checks the (logits, targets) shapes given to InferShape.
func bceShapes(op gorgonia.Op, in []gorgonia.DimSizer) (tensor.Shape, error) {
	x, err := shapeArg(op, in, 0)
	if err != nil {
		return nil, err
	}
	t, err := shapeArg(op, in, 1)
	if err != nil {
		return nil, err
	}
	if !sameShape(x, t) {
		return nil, errors.Errorf("ops: %v: logits %v, targets %v, want the same shape", op, x, t)
	}
	return x, nil
}

// bceArgs checks the values given to Do and returns logits and targets.
func bceArgs(op gorgonia.Op, in []gorgonia.Value) (x, t *tensor.Dense, err error) {
	if err = checkArity(op, in); err != nil {
		return nil, nil, err
	}
	if x, err = denseArg(op, in[0], 0); err != nil {
		return nil, nil, err
	}
	if t, err = denseArg(op, in[1], 1); err != nil {
		return nil, nil, err
	}
	if !sameShape(x.Shape(), t.Shape()) || x.Dtype() != t.Dtype() || x.Size() == 0 {
		return nil, nil, errors.Errorf("ops: %v: logits %v %v, targets %v %v, want the same non-empty shape and dtype", op, x.Shape(), x.Dtype(), t.Shape(), t.Dtype())
	}
	return x, t, nil
}
