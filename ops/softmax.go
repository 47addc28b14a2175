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

// Softmax returns exp(x) / sum(exp(x)) along axis: every slice of x along axis is
// turned into a probability distribution. x may have any rank >= 1; axis may be
// negative (-1 is the last axis). The output has x's shape and dtype.
//
// It replaces gorgonia.SoftMax, whose gradient is wrong for column vectors (it
// normalises axis 0 forward and axis 1 backward). The forward subtracts the max of
// each slice, so it neither overflows nor underflows for logits of ±1000.
// The backward is dx = y * (dy - sum(dy*y, axis)).
func Softmax(x *gorgonia.Node, axis int) (*gorgonia.Node, error) {
	return newSoftmax(x, axis, false)
}

// LogSoftmax returns x - log(sum(exp(x))) along axis, the log of Softmax computed
// without taking the log of a number that may have underflowed to 0. Shapes and axes
// are as for Softmax. The backward is dx = dy - exp(y) * sum(dy, axis).
//
// It replaces gorgonia.LogSoftMax, whose hash collides with SoftMax's: asking for
// both on one input returns the softmax node twice.
func LogSoftmax(x *gorgonia.Node, axis int) (*gorgonia.Node, error) {
	return newSoftmax(x, axis, true)
}

func newSoftmax(x *gorgonia.Node, axis int, log bool) (*gorgonia.Node, error) {
	op := softmaxOp{log: log}
	name := op.name()
	if err := checkFloat(name, "x", x); err != nil {
		return nil, err
	}
	dims := x.Shape().Dims()
	if dims == 0 {
		return nil, errors.Errorf("ops: %s: x is a scalar, want at least 1-D", name)
	}
	a, err := normAxis(name, axis, dims)
	if err != nil {
		return nil, err
	}
	op.axis = a
	return apply(name, op, x)
}

// softmaxOp is Softmax or LogSoftmax along axis (normalised to >= 0).
type softmaxOp struct {
	axis int
	log  bool
}

var (
	_ gorgonia.Op   = softmaxOp{}
	_ gorgonia.SDOp = softmaxOp{}
	_ gorgonia.Op   = softmaxGradOp{}
)

func (op softmaxOp) name() string {
	if op.log {
		return "LogSoftmax"
	}
	return "Softmax"
}

func (op softmaxOp) Arity() int { return 1 }

func (op softmaxOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(a, a)
}

func (op softmaxOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	s, err := shapeArg(op, in, 0)
	if err != nil {
		return nil, err
	}
	if op.axis >= s.Dims() {
		return nil, errors.Errorf("ops: %v: input shape %v has no axis %d", op, s, op.axis)
	}
	return s.Clone(), nil
}

func (op softmaxOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	if err := checkArity(op, in); err != nil {
		return nil, err
	}
	x, err := denseArg(op, in[0], 0)
	if err != nil {
		return nil, err
	}
	if op.axis >= x.Dims() {
		return nil, errors.Errorf("ops: %v: input shape %v has no axis %d", op, x.Shape(), op.axis)
	}
	outer, n, inner := splitAxis(x.Shape(), op.axis)
	y := tensor.New(tensor.WithShape(x.Shape().Clone()...), tensor.Of(x.Dtype()))
	if x.Dtype() == tensor.Float32 {
		softmaxForward(elems[float32](x), elems[float32](y), outer, n, inner, op.log)
	} else {
		softmaxForward(elems[float64](x), elems[float64](y), outer, n, inner, op.log)
	}
	return y, nil
}

func (op softmaxOp) ReturnsPtr() bool      { return false }
func (op softmaxOp) CallsExtern() bool     { return false }
func (op softmaxOp) OverwritesInput() int  { return -1 }
func (op softmaxOp) WriteHash(h hash.Hash) { io.WriteString(h, op.String()) }
func (op softmaxOp) Hashcode() uint32      { return hash32(op.String()) }
func (op softmaxOp) String() string        { return fmt.Sprintf("ops.%s{axis=%d}", op.name(), op.axis) }

func (op softmaxOp) DiffWRT(inputs int) []bool { return diffFirst(inputs) }

func (op softmaxOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if len(inputs) != 1 {
		return nil, errors.Errorf("ops: %v: SymDiff got %d inputs, want 1", op, len(inputs))
	}
	dx, err := apply(op.name()+" backward", softmaxGradOp(op), output, grad)
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{dx}, nil
}

// softmaxForward writes softmax (or log-softmax) of x into y, x and y viewed as
// [outer][n][inner] and normalised along n.
func softmaxForward[T float](x, y []T, outer, n, inner int, log bool) {
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			base := o*n*inner + i
			lse := logSumExp(x[base:], n, inner)
			for k := 0; k < n; k++ {
				j := base + k*inner
				if log {
					y[j] = T(float64(x[j]) - lse)
				} else {
					y[j] = T(math.Exp(float64(x[j]) - lse))
				}
			}
		}
	}
}

// softmaxGradOp maps (y, dy) to dx for the softmaxOp with the same fields, y being
// that op's output. It has no derivative of its own (gradflow offers no second
// order gradients).
type softmaxGradOp softmaxOp

func (op softmaxGradOp) Arity() int { return 2 }

func (op softmaxGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(a, a, a)
}

func (op softmaxGradOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	y, err := shapeArg(op, in, 0)
	if err != nil {
		return nil, err
	}
	dy, err := shapeArg(op, in, 1)
	if err != nil {
		return nil, err
	}
	if !y.Eq(dy) {
		return nil, errors.Errorf("ops: %v: output shape %v, gradient shape %v, want equal", op, y, dy)
	}
	return y.Clone(), nil
}

func (op softmaxGradOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	if err := checkArity(op, in); err != nil {
		return nil, err
	}
	y, err := denseArg(op, in[0], 0)
	if err != nil {
		return nil, err
	}
	dy, err := denseArg(op, in[1], 1)
	if err != nil {
		return nil, err
	}
	if !y.Shape().Eq(dy.Shape()) || y.Dtype() != dy.Dtype() {
		return nil, errors.Errorf("ops: %v: output %v %v, gradient %v %v, want the same shape and dtype", op, y.Shape(), y.Dtype(), dy.Shape(), dy.Dtype())
	}
	if op.axis >= y.Dims() {
		return nil, errors.Errorf("ops: %v: input shape %v has no axis %d", op, y.Shape(), op.axis)
	}
	outer, n, inner := splitAxis(y.Shape(), op.axis)
	dx := tensor.New(tensor.WithShape(y.Shape().Clone()...), tensor.Of(y.Dtype()))
	if y.Dtype() == tensor.Float32 {
		softmaxBackward(elems[float32](y), elems[float32](dy), elems[float32](dx), outer, n, inner, op.log)
	} else {
		softmaxBackward(elems[float64](y), elems[float64](dy), elems[float64](dx), outer, n, inner, op.log)
	}
	return dx, nil
}

func (op softmaxGradOp) ReturnsPtr() bool      { return false }
func (op softmaxGradOp) CallsExtern() bool     { return false }
func (op softmaxGradOp) OverwritesInput() int  { return -1 }
func (op softmaxGradOp) WriteHash(h hash.Hash) { io.WriteString(h, op.String()) }
func (op softmaxGradOp) Hashcode() uint32      { return hash32(op.String()) }
func (op softmaxGradOp) String() string {
	return fmt.Sprintf("ops.%sGrad{axis=%d}", softmaxOp(op).name(), op.axis)
}

// softmaxBackward writes dx from the forward output y and the incoming gradient dy:
// softmax: dx = y * (dy - sum(dy*y)); log-softmax: dx = dy - exp(y) * sum(dy),
// the sums along n.
func softmaxBackward[T float](y, dy, dx []T, outer, n, inner int, log bool) {
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			base := o*n*inner + i
			var s float64
			for k := 0; k < n; k++ {
				j := base + k*inner
				if log {
					s += float64(dy[j])
				} else {
					s += float64(dy[j]) * float64(y[j])
				}
			}
			for k := 0; k < n; k++ {
				j := base + k*inner
				if log {
					dx[j] = T(float64(dy[j]) - math.Exp(float64(y[j]))*s)
				} else {
					dx[j] = T(float64(y[j]) * (float64(dy[j]) - s))
				}
			}
		}
	}
}

// diffFirst is DiffWRT for ops differentiable in their first input only.
// noDiff is DiffWRT for a backward op: no input is differentiated (gradflow has no
// second-order gradients), so gorgonia.Grad through it stops with an error rather than
// a panic in gorgonia's analysis.
func noDiff(inputs int) []bool { return make([]bool, inputs) }

func diffFirst(inputs int) []bool {
	d := make([]bool, inputs)
	if inputs > 0 {
		d[0] = true
	}
	return d
}
