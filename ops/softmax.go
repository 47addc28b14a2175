package ops

import (
	"math"

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
	name := "Softmax"
	if log {
		name = "LogSoftmax"
	}
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
	return softmaxDef.Apply(softmaxParams{Axis: a, Log: log}, x)
}

// softmaxParams select Softmax or LogSoftmax along Axis (normalised to >= 0).
type softmaxParams struct {
	Axis int
	Log  bool
}

var softmaxDef = &Def[softmaxParams]{
	Name:  "Softmax",
	Arity: 1,
	Shape: func(p softmaxParams, in []tensor.Shape) (tensor.Shape, error) {
		if p.Axis >= in[0].Dims() {
			return nil, errors.Errorf("input shape %v has no axis %d", in[0], p.Axis)
		}
		return in[0], nil
	},
	Forward: func(p softmaxParams, in []*tensor.Dense, y *tensor.Dense) error {
		x := in[0]
		outer, n, inner := splitAxis(x.Shape(), p.Axis)
		if x.Dtype() == tensor.Float32 {
			softmaxForward(elems[float32](x), elems[float32](y), outer, n, inner, p.Log)
		} else {
			softmaxForward(elems[float64](x), elems[float64](y), outer, n, inner, p.Log)
		}
		return nil
	},
	Backward: func(p softmaxParams, _ []*gorgonia.Node, y, dy *gorgonia.Node) ([]*gorgonia.Node, error) {
		dx, err := softmaxGradDef.Apply(p, y, dy)
		return []*gorgonia.Node{dx}, err
	},
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

// softmaxGradDef maps (y, dy) to dx for the softmax with the same parameters, y being
// its output.
var softmaxGradDef = &Def[softmaxParams]{
	Name:  "SoftmaxGrad",
	Arity: 2,
	Shape: func(p softmaxParams, in []tensor.Shape) (tensor.Shape, error) {
		if !in[0].Eq(in[1]) {
			return nil, errors.Errorf("output shape %v, gradient shape %v, want equal", in[0], in[1])
		}
		if p.Axis >= in[0].Dims() {
			return nil, errors.Errorf("input shape %v has no axis %d", in[0], p.Axis)
		}
		return in[0], nil
	},
	Forward: func(p softmaxParams, in []*tensor.Dense, dx *tensor.Dense) error {
		y, dy := in[0], in[1]
		outer, n, inner := splitAxis(y.Shape(), p.Axis)
		if y.Dtype() == tensor.Float32 {
			softmaxBackward(elems[float32](y), elems[float32](dy), elems[float32](dx), outer, n, inner, p.Log)
		} else {
			softmaxBackward(elems[float64](y), elems[float64](dy), elems[float64](dx), outer, n, inner, p.Log)
		}
		return nil
	},
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

// noDiff is DiffWRT for a backward op: no input is differentiated (gradflow has no
// second-order gradients), so gorgonia.Grad through it stops with an error rather than
// a panic in gorgonia's analysis.
func noDiff(inputs int) []bool { return make([]bool, inputs) }
