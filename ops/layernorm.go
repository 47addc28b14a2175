package ops

import (
	"math"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// LayerNorm returns layer normalisation (Ba, Kiros & Hinton 2016, "Layer
// Normalization", arXiv:1607.06450) of x over its last o.Axes axes (zero options:
// the last axis, eps 1e-5, as PyTorch's defaults):
//
//	y = (x - mean) / sqrt(var + eps) · weight + bias
//
// with the mean and the biased variance taken over those axes, separately for every
// index of the leading ones: PyTorch's F.layer_norm(x, x.shape[-Axes:], weight, bias,
// eps). weight and bias may each be nil (no scale, no shift); otherwise their shape is
// x's last Axes dimensions. The output has x's shape.
//
// It is one fused op, forward and backward, rather than a composition of gorgonia's
// Mean, BroadcastSub, Square, Sqrt and BroadcastHadamardDiv, which allocates 3.7 times
// the memory per forward and backward and walks the data once per op
// (BenchmarkLayerNorm). The backward is
//
//	dx = rstd · (g - mean(g) - x̂ · mean(g·x̂)),  g = dy·weight,  x̂ = (x - mean)·rstd
//	dweight = Σ dy·x̂,  dbias = Σ dy  (sums over the leading axes)
//
// with the statistics recomputed from x rather than stored (the op keeps no state).
// The forward and dx split their rows across cores (bit for bit the serial result); every LayerNorm is
// its own node.
func LayerNorm(x, weight, bias *gorgonia.Node, o LayerNormOptions) (*gorgonia.Node, error) {
	const name = "LayerNorm"
	if err := checkFloat(name, "x", x); err != nil {
		return nil, err
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	o = o.WithDefaults()
	s := x.Shape()
	if o.Axes > s.Dims() {
		return nil, errors.Errorf("ops: %s: Axes %d for x of shape %v, want in [1, %d]", name, o.Axes, s, s.Dims())
	}
	p := lnParams{Axes: o.Axes, Eps: o.Eps}
	in := []*gorgonia.Node{x}
	for _, a := range []struct {
		what string
		n    *gorgonia.Node
		has  *bool
	}{{"weight", weight, &p.Weight}, {"bias", bias, &p.Bias}} {
		if a.n == nil {
			continue
		}
		if want := s[s.Dims()-o.Axes:]; !sameShape(a.n.Shape(), want) {
			return nil, errors.Errorf("ops: %s: %s has shape %v, want %v for x of shape %v and Axes %d", name, a.what, a.n.Shape(), want, s, o.Axes)
		}
		*a.has = true
		in = append(in, a.n)
	}
	return lnDef.Apply(p, in...)
}

// lnParams are LayerNorm's parameters; Weight and Bias say which inputs follow x.
type lnParams struct {
	Axes         int
	Eps          float64
	Weight, Bias bool
}

// rows returns x's shape viewed as (rows, d), d the product of the last Axes
// dimensions.
func (p lnParams) rows(x tensor.Shape) (rows, d int) {
	rows, d = 1, 1
	for i, n := range x {
		if i < x.Dims()-p.Axes {
			rows *= n
		} else {
			d *= n
		}
	}
	return rows, d
}

// checkShapes checks that there are n input shapes and that x, the first, has at
// least Axes axes.
func (p lnParams) checkShapes(in []tensor.Shape, n int) error {
	if len(in) != n {
		return errors.Errorf("got %d inputs, want %d", len(in), n)
	}
	x := in[0]
	if p.Axes < 1 || p.Axes > x.Dims() {
		return errors.Errorf("x has shape %v, want at least %d axes", x, p.Axes)
	}
	return nil
}

func (p lnParams) arity() int {
	n := 1
	if p.Weight {
		n++
	}
	if p.Bias {
		n++
	}
	return n
}

var lnDef = &Def[lnParams]{
	Name:  "LayerNorm",
	Arity: Variadic,
	Shape: func(p lnParams, in []tensor.Shape) (tensor.Shape, error) {
		if err := p.checkShapes(in, p.arity()); err != nil {
			return nil, err
		}
		x := in[0]
		for i, s := range in[1:] {
			if want := x[x.Dims()-p.Axes:]; !sameShape(s, want) {
				return nil, errors.Errorf("input %d has shape %v, want %v", i+1, s, want)
			}
		}
		return x, nil
	},
	Forward: func(p lnParams, in []*tensor.Dense, y *tensor.Dense) error {
		x := in[0]
		rows, d := p.rows(x.Shape())
		w, b := lnAffine(p, in)
		// Rows are independent: split across cores, the same bits whatever the split.
		if x.Dtype() == tensor.Float32 {
			xs, ys := x.Float32s(), y.Float32s()
			forRows(rows, d, func(lo, hi int) {
				lnForward(xs[lo*d:hi*d], f32s(w), f32s(b), ys[lo*d:hi*d], hi-lo, d, p.Eps)
			})
		} else {
			xs, ys := x.Float64s(), y.Float64s()
			forRows(rows, d, func(lo, hi int) {
				lnForward(xs[lo*d:hi*d], f64s(w), f64s(b), ys[lo*d:hi*d], hi-lo, d, p.Eps)
			})
		}
		return nil
	},
	Backward: func(p lnParams, in []*gorgonia.Node, _, dy *gorgonia.Node) ([]*gorgonia.Node, error) {
		grads := make([]*gorgonia.Node, len(in))
		dxIn := []*gorgonia.Node{in[0]}
		if p.Weight {
			dxIn = append(dxIn, in[1])
		}
		var err error
		if grads[0], err = lnGradXDef.Apply(p, append(dxIn, dy)...); err != nil {
			return nil, err
		}
		i := 1
		if p.Weight {
			if grads[i], err = lnGradWDef.Apply(p, in[0], dy); err != nil {
				return nil, err
			}
			i++
		}
		if p.Bias {
			if grads[i], err = lnGradBDef.Apply(p, dy); err != nil {
				return nil, err
			}
		}
		return grads, nil
	},
}

// lnGradXDef maps (x, [weight], dy) to dx.
var lnGradXDef = &Def[lnParams]{
	Name:  "LayerNormGradX",
	Arity: Variadic,
	Shape: func(p lnParams, in []tensor.Shape) (tensor.Shape, error) {
		n := 2
		if p.Weight {
			n = 3
		}
		if err := p.checkShapes(in, n); err != nil {
			return nil, err
		}
		if dy := in[n-1]; !sameShape(dy, in[0]) {
			return nil, errors.Errorf("gradient has shape %v, want %v", dy, in[0])
		}
		return in[0], nil
	},
	Forward: func(p lnParams, in []*tensor.Dense, dx *tensor.Dense) error {
		x, dy := in[0], in[len(in)-1]
		var w *tensor.Dense
		if p.Weight {
			w = in[1]
		}
		rows, d := p.rows(x.Shape())
		if x.Dtype() == tensor.Float32 {
			xs, dys, dxs := x.Float32s(), dy.Float32s(), dx.Float32s()
			forRows(rows, d, func(lo, hi int) {
				lnBackwardX(xs[lo*d:hi*d], f32s(w), dys[lo*d:hi*d], dxs[lo*d:hi*d], hi-lo, d, p.Eps)
			})
		} else {
			xs, dys, dxs := x.Float64s(), dy.Float64s(), dx.Float64s()
			forRows(rows, d, func(lo, hi int) {
				lnBackwardX(xs[lo*d:hi*d], f64s(w), dys[lo*d:hi*d], dxs[lo*d:hi*d], hi-lo, d, p.Eps)
			})
		}
		return nil
	},
}

// lnGradWDef maps (x, dy) to dweight = Σ dy·x̂ over the leading axes.
var lnGradWDef = &Def[lnParams]{
	Name:  "LayerNormGradWeight",
	Arity: 2,
	Shape: func(p lnParams, in []tensor.Shape) (tensor.Shape, error) {
		if err := p.checkShapes(in, 2); err != nil {
			return nil, err
		}
		if !sameShape(in[1], in[0]) {
			return nil, errors.Errorf("gradient has shape %v, want %v", in[1], in[0])
		}
		return in[0][in[0].Dims()-p.Axes:], nil
	},
	Forward: func(p lnParams, in []*tensor.Dense, dw *tensor.Dense) error {
		x, dy := in[0], in[1]
		s := x.Shape()
		rows, d := p.rows(s)
		if x.Dtype() == tensor.Float32 {
			lnBackwardW(x.Float32s(), dy.Float32s(), dw.Float32s(), rows, d, p.Eps)
		} else {
			lnBackwardW(x.Float64s(), dy.Float64s(), dw.Float64s(), rows, d, p.Eps)
		}
		return nil
	},
}

// lnGradBDef maps dy to dbias = Σ dy over the leading axes.
var lnGradBDef = &Def[lnParams]{
	Name:  "LayerNormGradBias",
	Arity: 1,
	Shape: func(p lnParams, in []tensor.Shape) (tensor.Shape, error) {
		if err := p.checkShapes(in, 1); err != nil {
			return nil, err
		}
		return in[0][in[0].Dims()-p.Axes:], nil
	},
	Forward: func(p lnParams, in []*tensor.Dense, db *tensor.Dense) error {
		dy := in[0]
		s := dy.Shape()
		rows, d := p.rows(s)
		if dy.Dtype() == tensor.Float32 {
			sumRows(dy.Float32s(), db.Float32s(), rows, d)
		} else {
			sumRows(dy.Float64s(), db.Float64s(), rows, d)
		}
		return nil
	},
}

// lnAffine returns the weight and bias inputs of the forward (nil when absent).
func lnAffine(p lnParams, in []*tensor.Dense) (w, b *tensor.Dense) {
	i := 1
	if p.Weight {
		w = in[i]
		i++
	}
	if p.Bias {
		b = in[i]
	}
	return w, b
}

func f32s(d *tensor.Dense) []float32 {
	if d == nil {
		return nil
	}
	return d.Float32s()
}

func f64s(d *tensor.Dense) []float64 {
	if d == nil {
		return nil
	}
	return d.Float64s()
}

// lnStats returns the statistics of row: x̂ = ((x - mean) - corr)·rstd. It is the
// corrected two-pass algorithm (Chan, Golub & LeVeque 1983): the second pass sums the
// deviations from the first mean as well as their squares, and corr, their mean,
// corrects the rounding of the first mean. Keeping corr apart (not folded into mean,
// which rounds to the spacing of doubles at the mean's size) keeps x̂ exact to a few
// ulps for rows far from 0 such as 1e6 ± 1, where x - mean is exact.
func lnStats[T float](row []T, eps float64) (mean, corr, rstd float64) {
	n := float64(len(row))
	for _, v := range row {
		mean += float64(v)
	}
	mean /= n
	var s, ss float64
	for _, v := range row {
		d := float64(v) - mean
		s += d
		ss += d * d
	}
	corr = s / n
	return mean, corr, 1 / math.Sqrt(max(ss/n-corr*corr, 0)+eps)
}

func lnForward[T float](x, w, b, y []T, rows, d int, eps float64) {
	for r := 0; r < rows; r++ {
		xr, yr := x[r*d:(r+1)*d], y[r*d:(r+1)*d]
		mean, corr, rstd := lnStats(xr, eps)
		for i, v := range xr {
			h := ((float64(v) - mean) - corr) * rstd
			if w != nil {
				h *= float64(w[i])
			}
			if b != nil {
				h += float64(b[i])
			}
			yr[i] = T(h)
		}
	}
}

func lnBackwardX[T float](x, w, dy, dx []T, rows, d int, eps float64) {
	for r := 0; r < rows; r++ {
		xr, dyr, dxr := x[r*d:(r+1)*d], dy[r*d:(r+1)*d], dx[r*d:(r+1)*d]
		mean, corr, rstd := lnStats(xr, eps)
		var mg, mgx float64 // mean(g), mean(g·x̂)
		for i, v := range xr {
			g := float64(dyr[i])
			if w != nil {
				g *= float64(w[i])
			}
			mg += g
			mgx += g * ((float64(v) - mean) - corr) * rstd
		}
		mg /= float64(d)
		mgx /= float64(d)
		for i, v := range xr {
			g := float64(dyr[i])
			if w != nil {
				g *= float64(w[i])
			}
			xh := ((float64(v) - mean) - corr) * rstd
			dxr[i] = T(rstd * (g - mg - xh*mgx))
		}
	}
}

func lnBackwardW[T float](x, dy, dw []T, rows, d int, eps float64) {
	acc := make([]float64, d)
	for r := 0; r < rows; r++ {
		xr, dyr := x[r*d:(r+1)*d], dy[r*d:(r+1)*d]
		mean, corr, rstd := lnStats(xr, eps)
		for i, v := range xr {
			acc[i] += float64(dyr[i]) * ((float64(v) - mean) - corr) * rstd
		}
	}
	for i, v := range acc {
		dw[i] = T(v)
	}
}

// forRows calls f on ranges of rows of d elements, split across cores when there are
// enough elements (parallelChunks).
func forRows(rows, d int, f func(lo, hi int)) { splitWork(rows, rows*d, f) }

// sumRows writes the column sums of x viewed as (rows, d) into out.
func sumRows[T float](x, out []T, rows, d int) {
	acc := make([]float64, d)
	for r := 0; r < rows; r++ {
		for i, v := range x[r*d : (r+1)*d] {
			acc[i] += float64(v)
		}
	}
	for i, v := range acc {
		out[i] = T(v)
	}
}
