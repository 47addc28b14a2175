package ops

import (
	"math"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// CrossEntropyOptions are PyTorch's CrossEntropyLoss options; the zero value is
// PyTorch's defaults (mean over the targets, labels of -100 ignored, no smoothing, no
// class weights).
type CrossEntropyOptions struct {
	// IgnoreIndex is the label whose targets contribute neither loss nor gradient
	// (padding in a batch of sequences); nil means PyTorch's -100. Set it with
	// Ignore(0) to ignore label 0.
	IgnoreIndex *int
	// LabelSmoothing in [0, 1] mixes the one-hot target with the uniform
	// distribution over the C classes, as PyTorch's label_smoothing:
	// loss = (1-ε)·nll + ε/C · Σ_c -w_c·log p_c.
	LabelSmoothing float64
	// Weight, if set, holds one weight >= 0 per class (PyTorch's weight): each
	// target's loss is scaled by its class's weight, and the mean divides by the sum
	// of the targets' weights.
	Weight []float64
	// Sum returns the sum over the targets instead of the mean (PyTorch's
	// reduction="sum").
	Sum bool
}

// Ignore returns a pointer to label, for CrossEntropyOptions.IgnoreIndex.
func Ignore(label int) *int { return &label }

// Validate reports the first invalid option; classes is C (0 skips the Weight
// length check).
func (o CrossEntropyOptions) Validate(classes int) error {
	if math.IsNaN(o.LabelSmoothing) || o.LabelSmoothing < 0 || o.LabelSmoothing > 1 {
		return errors.Errorf("LabelSmoothing %v: want a value in [0, 1]", o.LabelSmoothing)
	}
	if o.Weight != nil && classes > 0 && len(o.Weight) != classes {
		return errors.Errorf("Weight has %d values for %d classes", len(o.Weight), classes)
	}
	for c, w := range o.Weight {
		if math.IsNaN(w) || math.IsInf(w, 0) || w < 0 {
			return errors.Errorf("Weight[%d] = %v: want a finite value >= 0", c, w)
		}
	}
	return nil
}

// ceParams is CrossEntropy's Def parameter: the options resolved.
type ceParams struct {
	Ignore    int
	Smoothing float64
	Weight    []float64
	Sum       bool
}

// CrossEntropy is PyTorch's F.cross_entropy with integer class targets and its
// options: label smoothing, class weights, an ignored label, mean or sum. It takes
// logits (N, C) with labels (N), or a batch of sequences, logits (N, T, C) with
// labels (N, T) — classes on the LAST axis, where PyTorch wants (N, C, T) — and
// returns a scalar. Labels are class indices stored in the logits' dtype; a label
// that is neither an integer in [0, C) nor the ignored one makes the run fail naming
// its row. With the mean and every target ignored the loss is NaN, as PyTorch's.
//
// With LabelSmoothing and no Weight the smoothing term's mean is over the targets
// that are not ignored; PyTorch 1.13 divides it by every target, ignored ones
// included (a bug later releases fix), so that case differs from 1.13 when labels
// are ignored.
//
// SoftmaxCrossEntropy is the same loss with the default options, for (N, C).
func CrossEntropy(logits, labels *gorgonia.Node, opt CrossEntropyOptions) (*gorgonia.Node, error) {
	const name = "CrossEntropy"
	if err := checkLogitsLabels(name, logits, labels); err != nil {
		return nil, err
	}
	if err := ceShape([]tensor.Shape{logits.Shape(), labels.Shape()}); err != nil {
		return nil, errors.Wrapf(err, "ops: %s", name)
	}
	ls := logits.Shape()
	if err := opt.Validate(ls[len(ls)-1]); err != nil {
		return nil, errors.Wrapf(err, "ops: %s", name)
	}
	p := ceParams{Ignore: -100, Smoothing: opt.LabelSmoothing, Weight: append([]float64(nil), opt.Weight...), Sum: opt.Sum}
	if opt.IgnoreIndex != nil {
		p.Ignore = *opt.IgnoreIndex
	}
	return ceDef.Apply(p, logits, labels)
}

// ceShape accepts logits (N, C) with labels (N), and (N, T, C) with (N, T).
func ceShape(in []tensor.Shape) error {
	x, t := in[0], in[1]
	if (x.Dims() != 2 && x.Dims() != 3) || t.Dims() != x.Dims()-1 || !t.Eq(x[:x.Dims()-1]) {
		return errors.Errorf("logits %v, labels %v, want (N, C) and (N), or (N, T, C) and (N, T)", x, t)
	}
	if x[x.Dims()-1] == 0 {
		return errors.Errorf("logits %v have no classes", x)
	}
	return nil
}

var ceDef = &Def[ceParams]{
	Name:   "CrossEntropy",
	Arity:  2,
	NoGrad: []int{1},
	Shape: func(_ ceParams, in []tensor.Shape) (tensor.Shape, error) {
		return tensor.ScalarShape(), ceShape(in)
	},
	Forward: func(p ceParams, in []*tensor.Dense, loss *tensor.Dense) error {
		x, t := in[0], in[1]
		c := x.Shape()[x.Dims()-1]
		if x.Dtype() == tensor.Float32 {
			l, err := ceForward(p, elems[float32](x), elems[float32](t), c)
			loss.Float32s()[0] = float32(l)
			return err
		}
		l, err := ceForward(p, elems[float64](x), elems[float64](t), c)
		loss.Float64s()[0] = l
		return err
	},
	Backward: func(p ceParams, in []*gorgonia.Node, _, dy *gorgonia.Node) ([]*gorgonia.Node, error) {
		dx, err := ceGradDef.Apply(p, in[0], in[1], dy)
		return []*gorgonia.Node{dx, nil}, err
	},
}

// ceTarget returns row n's class (or -1 when ignored) and its weight.
func ceTarget(p ceParams, v float64, n, c int) (int, float64, error) {
	if v == float64(p.Ignore) {
		return -1, 0, nil
	}
	k, err := classIndex(v, n, c)
	if err != nil {
		return 0, 0, err
	}
	if p.Weight != nil {
		return k, p.Weight[k], nil
	}
	return k, 1, nil
}

// ceNorm returns the divisor of the reduction: 1 for a sum, else the total weight of
// the targets not ignored (their count without class weights).
func ceNorm[T float](p ceParams, labels []T, c int) (float64, error) {
	if p.Sum {
		return 1, nil
	}
	var d float64
	for n, v := range labels {
		k, w, err := ceTarget(p, float64(v), n, c)
		if err != nil {
			return 0, err
		}
		if k >= 0 {
			d += w
		}
	}
	return d, nil
}

func ceForward[T float](p ceParams, x, labels []T, c int) (float64, error) {
	d, err := ceNorm(p, labels, c)
	if err != nil {
		return 0, err
	}
	eps := p.Smoothing
	var nll, smooth float64
	for n := range labels {
		k, w, _ := ceTarget(p, float64(labels[n]), n, c)
		if k < 0 {
			continue
		}
		row := x[n*c : (n+1)*c]
		lse := logSumExp(row, c, 1)
		nll += w * (lse - float64(row[k]))
		if eps != 0 {
			for j, v := range row {
				wj := 1.0
				if p.Weight != nil {
					wj = p.Weight[j]
				}
				smooth += wj * (lse - float64(v))
			}
		}
	}
	return ((1-eps)*nll + eps/float64(c)*smooth) / d, nil
}

// ceGradDef maps (logits, labels, dy) to d loss/d logits: for a target of class k
// and weight w_k, ((1-ε)·w_k·(p_j - [j=k]) + ε/C·(p_j·Σw - w_j)) / D · dy.
var ceGradDef = &Def[ceParams]{
	Name:  "CrossEntropyGrad",
	Arity: 3,
	Shape: func(_ ceParams, in []tensor.Shape) (tensor.Shape, error) {
		if err := ceShape(in); err != nil {
			return nil, err
		}
		if !in[2].IsScalar() {
			return nil, errors.Errorf("gradient %v, want a scalar", in[2])
		}
		return in[0], nil
	},
	Forward: func(p ceParams, in []*tensor.Dense, dx *tensor.Dense) error {
		x, t, dy := in[0], in[1], firstElem(in[2])
		c := x.Shape()[x.Dims()-1]
		if x.Dtype() == tensor.Float32 {
			return ceBackward(p, elems[float32](x), elems[float32](t), elems[float32](dx), c, dy)
		}
		return ceBackward(p, elems[float64](x), elems[float64](t), elems[float64](dx), c, dy)
	},
}

func ceBackward[T float](p ceParams, x, labels, dx []T, c int, dy float64) error {
	d, err := ceNorm(p, labels, c)
	if err != nil {
		return err
	}
	eps := p.Smoothing
	wsum := float64(c)
	if p.Weight != nil {
		wsum = 0
		for _, w := range p.Weight {
			wsum += w
		}
	}
	scale := dy / d
	for n := range labels {
		out := dx[n*c : (n+1)*c]
		k, w, _ := ceTarget(p, float64(labels[n]), n, c)
		if k < 0 {
			clear(out)
			continue
		}
		row := x[n*c : (n+1)*c]
		lse := logSumExp(row, c, 1)
		for j := range row {
			pj := math.Exp(float64(row[j]) - lse)
			g := pj
			if j == k {
				g--
			}
			g *= (1 - eps) * w
			if eps != 0 {
				wj := 1.0
				if p.Weight != nil {
					wj = p.Weight[j]
				}
				g += eps / float64(c) * (pj*wsum - wj)
			}
			out[j] = T(g * scale)
		}
	}
	return nil
}
