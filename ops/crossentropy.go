package ops

import (
	"math"

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
	if err := checkLogitsLabels(name, logits, labels); err != nil {
		return nil, err
	}
	ls, ts := logits.Shape(), labels.Shape()
	if ls.Dims() != 2 {
		return nil, errors.Errorf("ops: %s: logits have shape %v, want (N, C)", name, ls)
	}
	if ts.Dims() != 1 || ts[0] != ls[0] {
		return nil, errors.Errorf("ops: %s: labels have shape %v, want (%d) for logits %v", name, ts, ls[0], ls)
	}
	return sceDef.Apply(struct{}{}, logits, labels)
}

// checkLogitsLabels checks a cross-entropy's two inputs: float nodes of one dtype.
func checkLogitsLabels(name string, logits, labels *gorgonia.Node) error {
	if err := checkFloat(name, "logits", logits); err != nil {
		return err
	}
	if err := checkFloat(name, "labels", labels); err != nil {
		return err
	}
	if logits.Dtype() != labels.Dtype() {
		return errors.Errorf("ops: %s: logits have dtype %v, labels %v, want the same", name, logits.Dtype(), labels.Dtype())
	}
	return nil
}

// sceShape is the Shape rule of the loss and its gradient: logits (N, C), labels (N).
func sceShape(in []tensor.Shape) error {
	if in[0].Dims() != 2 || in[1].Dims() != 1 || in[1][0] != in[0][0] {
		return errors.Errorf("logits %v, labels %v, want (N, C) and (N)", in[0], in[1])
	}
	return nil
}

// sceDef is the mean softmax cross-entropy of (logits (N, C), labels (N)).
var sceDef = &Def[struct{}]{
	Name:   "SoftmaxCrossEntropy",
	Arity:  2,
	NoGrad: []int{1},
	Shape: func(_ struct{}, in []tensor.Shape) (tensor.Shape, error) {
		return tensor.ScalarShape(), sceShape(in)
	},
	Forward: func(_ struct{}, in []*tensor.Dense, loss *tensor.Dense) error {
		x, t := in[0], in[1]
		if x.Dtype() == tensor.Float32 {
			l, err := sceForward(elems[float32](x), elems[float32](t), x.Shape()[1])
			loss.Float32s()[0] = float32(l)
			return err
		}
		l, err := sceForward(elems[float64](x), elems[float64](t), x.Shape()[1])
		loss.Float64s()[0] = l
		return err
	},
	Backward: func(_ struct{}, in []*gorgonia.Node, _, dy *gorgonia.Node) ([]*gorgonia.Node, error) {
		dx, err := sceGradDef.Apply(struct{}{}, in[0], in[1], dy)
		return []*gorgonia.Node{dx, nil}, err
	},
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

// sceGradDef maps (logits, labels, dy) to d loss/d logits = (softmax - onehot)/N * dy.
var sceGradDef = &Def[struct{}]{
	Name:  "SoftmaxCrossEntropyGrad",
	Arity: 3,
	Shape: func(_ struct{}, in []tensor.Shape) (tensor.Shape, error) {
		if err := sceShape(in); err != nil {
			return nil, err
		}
		if !in[2].IsScalar() {
			return nil, errors.Errorf("gradient %v, want a scalar", in[2])
		}
		return in[0], nil
	},
	Forward: func(_ struct{}, in []*tensor.Dense, dx *tensor.Dense) error {
		x, t, dy := in[0], in[1], firstElem(in[2])
		if x.Dtype() == tensor.Float32 {
			return sceBackward(elems[float32](x), elems[float32](t), elems[float32](dx), x.Shape()[1], dy)
		}
		return sceBackward(elems[float64](x), elems[float64](t), elems[float64](dx), x.Shape()[1], dy)
	},
}

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
