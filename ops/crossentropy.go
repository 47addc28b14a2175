package ops

import (
	"hash"
	"io"
	"math"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// SoftmaxCrossEntropy returns the mean over the batch of -log softmax(logits)[label],
// a scalar: the loss of PyTorch's F.cross_entropy with integer class targets.
//
// logits has shape (N, C): N examples, C classes. labels has shape (N) and holds
// class indices in [0, C) stored in the logits' dtype (3 is 3.0). A label that is
// not an integer in range makes the run fail with an error naming the row.
//
// It is one op rather than LogSoftmax, a gather and a mean, because the fused form
// is numerically safe (log-sum-exp shifted by the row max: logits of ±1000 give a
// finite loss) and its gradient is cheap: d loss/d logits = (softmax(logits) -
// onehot(labels)) / N * dy. labels get no gradient.
func SoftmaxCrossEntropy(logits, labels *gorgonia.Node) (*gorgonia.Node, error) {
	const name = "SoftmaxCrossEntropy"
	if err := checkFloat(name, "logits", logits); err != nil {
		return nil, err
	}
	if err := checkFloat(name, "labels", labels); err != nil {
		return nil, err
	}
	if logits.Dtype() != labels.Dtype() {
		return nil, errors.Errorf("ops: %s: logits have dtype %v, labels %v, want the same", name, logits.Dtype(), labels.Dtype())
	}
	ls, ts := logits.Shape(), labels.Shape()
	if ls.Dims() != 2 {
		return nil, errors.Errorf("ops: %s: logits have shape %v, want (N, C)", name, ls)
	}
	if ts.Dims() != 1 || ts[0] != ls[0] {
		return nil, errors.Errorf("ops: %s: labels have shape %v, want (%d) for logits %v", name, ts, ls[0], ls)
	}
	return apply(name, sceOp{}, logits, labels)
}

// sceOp is the mean softmax cross-entropy of (logits (N, C), labels (N)).
type sceOp struct{}

var (
	_ gorgonia.Op   = sceOp{}
	_ gorgonia.SDOp = sceOp{}
	_ gorgonia.Op   = sceGradOp{}
)

func (op sceOp) Arity() int { return 2 }

func (op sceOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(tensorType(2, a), tensorType(1, a), a)
}

func (op sceOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	if _, _, err := sceShapes(op, in); err != nil {
		return nil, err
	}
	return tensor.ScalarShape(), nil
}

func (op sceOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	x, t, err := sceArgs(op, in)
	if err != nil {
		return nil, err
	}
	var loss float64
	if x.Dtype() == tensor.Float32 {
		loss, err = sceForward(elems[float32](x), elems[float32](t), x.Shape()[1])
	} else {
		loss, err = sceForward(elems[float64](x), elems[float64](t), x.Shape()[1])
	}
	if err != nil {
		return nil, errors.Wrapf(err, "ops: %v", op)
	}
	return scalarOf(x.Dtype(), loss), nil
}

func (op sceOp) ReturnsPtr() bool      { return false }
func (op sceOp) CallsExtern() bool     { return false }
func (op sceOp) OverwritesInput() int  { return -1 }
func (op sceOp) WriteHash(h hash.Hash) { io.WriteString(h, op.String()) }
func (op sceOp) Hashcode() uint32      { return hash32(op.String()) }
func (op sceOp) String() string        { return "ops.SoftmaxCrossEntropy{reduction=mean}" }

func (op sceOp) DiffWRT(inputs int) []bool { return diffFirst(inputs) }

func (op sceOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if len(inputs) != 2 {
		return nil, errors.Errorf("ops: %v: SymDiff got %d inputs, want 2", op, len(inputs))
	}
	dx, err := apply("SoftmaxCrossEntropy backward", sceGradOp{}, inputs[0], inputs[1], grad)
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{dx, nil}, nil
}

// sceForward returns mean_n(logsumexp(x[n]) - x[n][label[n]]) for x viewed as (N, c).
func sceForward[T float](x, labels []T, c int) (float64, error) {
	var sum float64
	for n := range labels {
		k, err := classIndex(float64(labels[n]), n, c)
		if err != nil {
			return 0, err
		}
		row := x[n*c : (n+1)*c]
		lse := logSumExp(row, c, 1)
		sum += lse - float64(row[k])
	}
	return sum / float64(len(labels)), nil
}

// sceGradOp maps (logits, labels, dy) to d loss/d logits = (softmax - onehot)/N * dy.
type sceGradOp struct{}

func (op sceGradOp) Arity() int { return 3 }

func (op sceGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(tensorType(2, a), tensorType(1, a), a, tensorType(2, a))
}

func (op sceGradOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	ls, _, err := sceShapes(op, in)
	if err != nil {
		return nil, err
	}
	return ls.Clone(), nil
}

func (op sceGradOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	x, t, err := sceArgs(op, in)
	if err != nil {
		return nil, err
	}
	dy, err := scalarArg(op, in[2], 2)
	if err != nil {
		return nil, err
	}
	dx := tensor.New(tensor.WithShape(x.Shape().Clone()...), tensor.Of(x.Dtype()))
	if x.Dtype() == tensor.Float32 {
		err = sceBackward(elems[float32](x), elems[float32](t), elems[float32](dx), x.Shape()[1], dy)
	} else {
		err = sceBackward(elems[float64](x), elems[float64](t), elems[float64](dx), x.Shape()[1], dy)
	}
	if err != nil {
		return nil, errors.Wrapf(err, "ops: %v", op)
	}
	return dx, nil
}

func (op sceGradOp) ReturnsPtr() bool      { return false }
func (op sceGradOp) CallsExtern() bool     { return false }
func (op sceGradOp) OverwritesInput() int  { return -1 }
func (op sceGradOp) WriteHash(h hash.Hash) { io.WriteString(h, op.String()) }
func (op sceGradOp) Hashcode() uint32      { return hash32(op.String()) }
func (op sceGradOp) String() string        { return "ops.SoftmaxCrossEntropyGrad{reduction=mean}" }

// sceBackward writes dx = (softmax(x[n]) - onehot(label[n])) / N * dy.
func sceBackward[T float](x, labels, dx []T, c int, dy float64) error {
	scale := dy / float64(len(labels))
	for n := range labels {
		k, err := classIndex(float64(labels[n]), n, c)
		if err != nil {
			return err
		}
		row := x[n*c : (n+1)*c]
		lse := logSumExp(row, c, 1)
		for j := range row {
			p := math.Exp(float64(row[j]) - lse)
			if j == k {
				p--
			}
			dx[n*c+j] = T(p * scale)
		}
	}
	return nil
}

// classIndex returns label v of row n as an index into c classes, or an error if v is
// not an integer in [0, c).
func classIndex(v float64, n, c int) (int, error) {
	if v != math.Trunc(v) || v < 0 || v >= float64(c) {
		return 0, errors.Errorf("label %v at row %d is not an integer class in [0, %d)", v, n, c)
	}
	return int(v), nil
}

// sceShapes checks the (logits, labels) shapes given to InferShape.
func sceShapes(op gorgonia.Op, in []gorgonia.DimSizer) (logits, labels tensor.Shape, err error) {
	if logits, err = shapeArg(op, in, 0); err != nil {
		return nil, nil, err
	}
	if labels, err = shapeArg(op, in, 1); err != nil {
		return nil, nil, err
	}
	if logits.Dims() != 2 || labels.Dims() != 1 || labels[0] != logits[0] {
		return nil, nil, errors.Errorf("ops: %v: logits %v, labels %v, want (N, C) and (N)", op, logits, labels)
	}
	return logits, labels, nil
}

// sceArgs checks the values given to Do and returns logits and labels.
func sceArgs(op gorgonia.Op, in []gorgonia.Value) (x, t *tensor.Dense, err error) {
	if err = checkArity(op, in); err != nil {
		return nil, nil, err
	}
	if x, err = denseArg(op, in[0], 0); err != nil {
		return nil, nil, err
	}
	if t, err = denseArg(op, in[1], 1); err != nil {
		return nil, nil, err
	}
	xs, ts := x.Shape(), t.Shape()
	if xs.Dims() != 2 || ts.Dims() != 1 || ts[0] != xs[0] || x.Dtype() != t.Dtype() {
		return nil, nil, errors.Errorf("ops: %v: logits %v %v, labels %v %v, want (N, C) and (N) of one dtype", op, xs, x.Dtype(), ts, t.Dtype())
	}
	return x, t, nil
}
