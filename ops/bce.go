package ops

import (
	"math"

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
	return bceDef.Apply(struct{}{}, logits, targets)
}

// bceDef is the mean binary cross-entropy with logits of two tensors of one shape.
var bceDef = &Def[struct{}]{
	Name:  "BCEWithLogits",
	Arity: 2,
	Shape: func(_ struct{}, in []tensor.Shape) (tensor.Shape, error) {
		if !sameShape(in[0], in[1]) {
			return nil, errors.Errorf("logits %v, targets %v, want the same shape", in[0], in[1])
		}
		return tensor.ScalarShape(), nil
	},
	Forward: func(_ struct{}, in []*tensor.Dense, loss *tensor.Dense) error {
		x, t := in[0], in[1]
		if x.Dtype() == tensor.Float32 {
			loss.Float32s()[0] = float32(bceForward(elems[float32](x), elems[float32](t)))
		} else {
			loss.Float64s()[0] = bceForward(elems[float64](x), elems[float64](t))
		}
		return nil
	},
	Backward: func(_ struct{}, in []*gorgonia.Node, _, dy *gorgonia.Node) ([]*gorgonia.Node, error) {
		out := make([]*gorgonia.Node, 2)
		for wrt := range out {
			d, err := bceGradDef.Apply(bceGrad{WRT: wrt}, in[0], in[1], dy)
			if err != nil {
				return nil, err
			}
			out[wrt] = d
		}
		return out, nil
	},
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

// bceGrad says which input bceGradDef differentiates: 0 (logits) or 1 (targets).
type bceGrad struct{ WRT int }

// bceGradDef maps (logits, targets, dy) to the gradient of the mean BCE with respect to
// input WRT.
var bceGradDef = &Def[bceGrad]{
	Name:  "BCEWithLogitsGrad",
	Arity: 3,
	Shape: func(_ bceGrad, in []tensor.Shape) (tensor.Shape, error) {
		if !sameShape(in[0], in[1]) || !in[2].IsScalar() {
			return nil, errors.Errorf("logits %v, targets %v, gradient %v, want one shape and a scalar", in[0], in[1], in[2])
		}
		return in[0], nil
	},
	Forward: func(p bceGrad, in []*tensor.Dense, dx *tensor.Dense) error {
		x, t, dy := in[0], in[1], firstElem(in[2])
		if x.Dtype() == tensor.Float32 {
			bceBackward(elems[float32](x), elems[float32](t), elems[float32](dx), dy, p.WRT)
		} else {
			bceBackward(elems[float64](x), elems[float64](t), elems[float64](dx), dy, p.WRT)
		}
		return nil
	},
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
