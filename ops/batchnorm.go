package ops

import (
	"math"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// BatchNorm normalises x per channel and applies a learnable scale and shift
// (Ioffe & Szegedy, 2015, "Batch Normalization: Accelerating Deep Network Training by
// Reducing Internal Covariate Shift"):
//
//	y = gamma[c] * (x - mean[c]) / sqrt(var[c] + Eps) + beta[c]
//
// x has shape (N, C, ...): axis 1 is the channel, and the statistics of a channel are
// taken over every other axis (the batch and the spatial axes). gamma, beta,
// runningMean and runningVar have shape (C). The output has x's shape and dtype.
//
// The options' zero values are PyTorch's defaults (BatchNormOptions: momentum 0.1, eps
// 1e-5, evaluation). In training (o.Training), mean and var are the batch's mean and
// biased variance, and every run of the op also updates runningMean and runningVar IN
// PLACE (unless o.FreezeStats) with PyTorch's rule:
// running = (1-Momentum)*running + Momentum*batch, using the unbiased
// variance (times M/(M-1), M the number of values per channel) for runningVar. The
// running-statistic nodes must therefore be bound to tensors (a gradflow Param of kind
// State binds its value), and every channel must hold more than one value. In
// evaluation, mean and var are runningMean and runningVar, which are only read.
//
// It is one op with a fused backward, giving the gradients with respect to x, gamma and
// beta (the running statistics get none):
//
//	training:   dx = gamma/sqrt(var+Eps) * (dy - mean(dy) - xhat*mean(dy*xhat))
//	evaluation: dx = gamma/sqrt(var+Eps) * dy
//	dgamma = sum(dy * xhat),  dbeta = sum(dy)
//
// with xhat the normalised input and the means and sums per channel. gorgonia's
// BatchNorm keeps its running statistics inside the op (never saved), resets them when
// a machine is built, and hashes its momentum and eps with one decimal; this op keeps
// no state of its own.
func BatchNorm(x, gamma, beta, runningMean, runningVar *gorgonia.Node, o BatchNormOptions) (*gorgonia.Node, error) {
	const name = "BatchNorm"
	for i, n := range []*gorgonia.Node{x, gamma, beta, runningMean, runningVar} {
		if err := checkFloat(name, bnArgNames[i], n); err != nil {
			return nil, err
		}
		if n.Dtype() != x.Dtype() {
			return nil, errors.Errorf("ops: %s: %s has dtype %v, x %v, want the same", name, bnArgNames[i], n.Dtype(), x.Dtype())
		}
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	o = o.WithDefaults()
	momentum := o.Momentum
	if o.FreezeStats {
		momentum = 0 // running = 1*running + 0*batch: unchanged
	}
	p := bnParams{Momentum: momentum, Eps: o.Eps, Training: o.Training}
	return bnDef.Apply(p, x, gamma, beta, runningMean, runningVar)
}

var bnArgNames = []string{"x", "gamma", "beta", "runningMean", "runningVar"}

// bnParams are BatchNorm's parameters, defaults resolved (Momentum 0 freezes the
// running statistics).
type bnParams struct {
	Momentum, Eps float64
	Training      bool
}

// bnDef is BatchNorm: (x, gamma, beta, runningMean, runningVar) -> y, updating the
// running statistics in place in training.
var bnDef = &Def[bnParams]{
	Name:    "BatchNorm",
	Arity:   5,
	NoGrad:  []int{3, 4},
	Mutates: []int{3, 4},
	Shape: func(p bnParams, in []tensor.Shape) (tensor.Shape, error) {
		if _, err := bnShapes(in[0], in[1:], p.Training); err != nil {
			return nil, err
		}
		return in[0], nil
	},
	Forward: func(p bnParams, in []*tensor.Dense, y *tensor.Dense) error {
		g := bnGeomOf(in[0].Shape())
		if y.Dtype() == tensor.Float32 {
			bnForward(p, g, elems[float32](in[0]), elems[float32](in[1]), elems[float32](in[2]),
				elems[float32](in[3]), elems[float32](in[4]), elems[float32](y))
		} else {
			bnForward(p, g, elems[float64](in[0]), elems[float64](in[1]), elems[float64](in[2]),
				elems[float64](in[3]), elems[float64](in[4]), elems[float64](y))
		}
		return nil
	},
	Backward: func(p bnParams, in []*gorgonia.Node, _, dy *gorgonia.Node) ([]*gorgonia.Node, error) {
		grads := make([]*gorgonia.Node, 5)
		gp := bnGradParams{bnParams: p, Sums: new(bnSums)}
		var err error
		if grads[0], err = bnGradDef.Apply(gp, in[0], in[1], in[3], in[4], dy); err != nil {
			return nil, err
		}
		for which := 1; which < 3; which++ {
			if grads[which], err = bnPartDef.Apply(bnPartParams{bnGradParams: gp, Which: which}, grads[0]); err != nil {
				return nil, err
			}
		}
		return grads, nil
	},
}

// bnShapes checks x (N, C, ...) and the four (C) vectors given as rest, and returns C.
func bnShapes(x tensor.Shape, rest []tensor.Shape, training bool) (int, error) {
	if x.Dims() < 2 {
		return 0, errors.Errorf("x has shape %v, want (N, C, ...)", x)
	}
	for _, d := range x {
		if d <= 0 {
			return 0, errors.Errorf("x has shape %v, want every dimension > 0", x)
		}
	}
	c := x[1]
	for i, s := range rest {
		if s.Dims() != 1 || s[0] != c {
			return 0, errors.Errorf("argument %d has shape %v, want (%d) for x %v", i+1, s, c, x)
		}
	}
	if training && x.TotalSize()/c < 2 {
		return 0, errors.Errorf("x has shape %v: training needs more than one value per channel", x)
	}
	return c, nil
}

// bnGradParams are the parameters of BatchNorm's backward, bnGradDef: dx from
// (x, gamma, runningMean, runningVar, dy).
//
// It also computes dgamma and dbeta, in the same passes over the channel (they are
// the sums the dx formula needs), and leaves them in Sums, which the two bnPartDef
// nodes of the same Backward read: one pass of statistics, one of sums and one of
// output for all three gradients, instead of six passes over the activations for
// three separate ops. (Sums is hashed by address: each BatchNorm's backward is its
// own node.)
type bnGradParams struct {
	bnParams
	Sums *bnSums
}

// bnSums holds dgamma and dbeta of the last run of a bnGradDef node, in float64.
type bnSums struct{ dgamma, dbeta []float64 }

var bnGradDef = &Def[bnGradParams]{
	Name:  "BatchNormGrad",
	Arity: 5,
	Shape: func(p bnGradParams, in []tensor.Shape) (tensor.Shape, error) {
		if _, err := bnShapes(in[0], in[1:4], p.Training); err != nil {
			return nil, err
		}
		if !in[4].Eq(in[0]) {
			return nil, errors.Errorf("output gradient has shape %v, want x's %v", in[4], in[0])
		}
		return in[0], nil
	},
	Forward: func(p bnGradParams, in []*tensor.Dense, out *tensor.Dense) error {
		g := bnGeomOf(in[0].Shape())
		if len(p.Sums.dgamma) != g.c {
			p.Sums.dgamma, p.Sums.dbeta = make([]float64, g.c), make([]float64, g.c)
		}
		if out.Dtype() == tensor.Float32 {
			bnBackward(p, g, elems[float32](in[0]), elems[float32](in[1]), elems[float32](in[2]),
				elems[float32](in[3]), elems[float32](in[4]), elems[float32](out))
		} else {
			bnBackward(p, g, elems[float64](in[0]), elems[float64](in[1]), elems[float64](in[2]),
				elems[float64](in[3]), elems[float64](in[4]), elems[float64](out))
		}
		return nil
	},
}

// bnPartParams select the dgamma (Which 1) or dbeta (Which 2) that the bnGradDef node
// with the same Sums computed.
type bnPartParams struct {
	bnGradParams
	Which int
}

// bnPartDef maps the dx node of a bnGradDef to the dgamma or dbeta computed with it.
// Taking dx as its input orders it after that node.
var bnPartDef = &Def[bnPartParams]{
	Name:  "BatchNormGradPart",
	Arity: 1,
	Shape: func(_ bnPartParams, in []tensor.Shape) (tensor.Shape, error) {
		if in[0].Dims() < 2 {
			return nil, errors.Errorf("dx has shape %v, want (N, C, ...)", in[0])
		}
		return tensor.Shape{in[0][1]}, nil
	},
	Forward: func(p bnPartParams, in []*tensor.Dense, out *tensor.Dense) error {
		src := p.Sums.dgamma
		if p.Which == 2 {
			src = p.Sums.dbeta
		}
		if len(src) != out.Size() {
			return errors.New("the gradient of x has not been computed in this run")
		}
		if out.Dtype() == tensor.Float32 {
			for i, v := range src {
				out.Float32s()[i] = float32(v)
			}
		} else {
			copy(out.Float64s(), src)
		}
		return nil
	},
}

// bnGeom views x as (outer, c, inner): outer = N, inner = the product of the spatial
// axes; m = outer*inner values per channel.
type bnGeom struct{ outer, c, inner, m int }

func bnGeomOf(s tensor.Shape) bnGeom {
	_, c, inner := splitAxis(s, 1)
	return bnGeom{outer: s[0], c: c, inner: inner, m: s[0] * inner}
}

// channelStats returns the mean and the biased variance of channel ch, in float64,
// in one pass: sums of d = x - x0 and d², shifted by the channel's first value x0 so
// that a mean large compared with the spread does not cancel the variance (the shift
// is a sample of the data, within a few standard deviations of the mean).
func channelStats[T float](g bnGeom, x []T, ch int) (mean, variance float64) {
	x0 := float64(x[ch*g.inner])
	// Four partial sums of each: one running sum waits for every add to finish.
	var s0, s1, s2, s3, q0, q1, q2, q3 float64
	for o := 0; o < g.outer; o++ {
		v := x[(o*g.c+ch)*g.inner : (o*g.c+ch+1)*g.inner]
		j := 0
		for ; j+4 <= len(v); j += 4 {
			d0, d1, d2, d3 := float64(v[j])-x0, float64(v[j+1])-x0, float64(v[j+2])-x0, float64(v[j+3])-x0
			s0, s1, s2, s3 = s0+d0, s1+d1, s2+d2, s3+d3
			q0, q1, q2, q3 = q0+d0*d0, q1+d1*d1, q2+d2*d2, q3+d3*d3
		}
		for ; j < len(v); j++ {
			d := float64(v[j]) - x0
			s0 += d
			q0 += d * d
		}
	}
	s, ss := (s0+s1)+(s2+s3), (q0+q1)+(q2+q3)
	m := float64(g.m)
	mean = s / m
	return x0 + mean, max(ss/m-mean*mean, 0)
}

// gradSums returns the sums over channel ch of dy and of dy*(x-mean)*invStd, each in
// four partial sums (see channelStats).
func gradSums[T float](g bnGeom, x, dy []T, ch int, mean, invStd float64) (sdy, sdyx float64) {
	var a0, a1, a2, a3, b0, b1, b2, b3 float64
	for o := 0; o < g.outer; o++ {
		i := (o*g.c + ch) * g.inner
		d, xs := dy[i:i+g.inner], x[i:i+g.inner]
		xs = xs[:len(d)]
		j := 0
		for ; j+4 <= len(d); j += 4 {
			d0, d1, d2, d3 := float64(d[j]), float64(d[j+1]), float64(d[j+2]), float64(d[j+3])
			a0, a1, a2, a3 = a0+d0, a1+d1, a2+d2, a3+d3
			b0 += d0 * (float64(xs[j]) - mean) * invStd
			b1 += d1 * (float64(xs[j+1]) - mean) * invStd
			b2 += d2 * (float64(xs[j+2]) - mean) * invStd
			b3 += d3 * (float64(xs[j+3]) - mean) * invStd
		}
		for ; j < len(d); j++ {
			a0 += float64(d[j])
			b0 += float64(d[j]) * (float64(xs[j]) - mean) * invStd
		}
	}
	return (a0 + a1) + (a2 + a3), (b0 + b1) + (b2 + b3)
}

func bnForward[T float](p bnParams, g bnGeom, x, gamma, beta, rm, rv, y []T) {
	forChannels(g, func(ch int) {
		var mean, invStd float64
		if p.Training {
			var v float64
			mean, v = channelStats(g, x, ch)
			invStd = 1 / math.Sqrt(v+p.Eps)
			unbiased := v * float64(g.m) / float64(g.m-1)
			rm[ch] = T((1-p.Momentum)*float64(rm[ch]) + p.Momentum*mean)
			rv[ch] = T((1-p.Momentum)*float64(rv[ch]) + p.Momentum*unbiased)
		} else {
			mean, invStd = float64(rm[ch]), 1/math.Sqrt(float64(rv[ch])+p.Eps)
		}
		// (x - mean)*scale + beta, not x*scale + (beta - mean*scale), which would
		// cancel digits when the mean is large compared with the spread.
		scale, shift := float64(gamma[ch])*invStd, float64(beta[ch])
		for o := 0; o < g.outer; o++ {
			i := (o*g.c + ch) * g.inner
			for j, v := range x[i : i+g.inner] {
				y[i+j] = T((float64(v)-mean)*scale + shift)
			}
		}
	})
}

// bnBackward writes dx into out, and dgamma and dbeta into p.Sums.
func bnBackward[T float](p bnGradParams, g bnGeom, x, gamma, rm, rv, dy, out []T) {
	forChannels(g, func(ch int) {
		var mean, invStd float64
		if p.Training {
			m, v := channelStats(g, x, ch)
			mean, invStd = m, 1/math.Sqrt(v+p.Eps)
		} else {
			mean, invStd = float64(rm[ch]), 1/math.Sqrt(float64(rv[ch])+p.Eps)
		}
		// sum(dy) and sum(dy*xhat) over the channel: dbeta and dgamma.
		sdy, sdyx := gradSums(g, x, dy, ch, mean, invStd)
		p.Sums.dgamma[ch], p.Sums.dbeta[ch] = sdyx, sdy
		k := float64(gamma[ch]) * invStd
		mdy, mdyx := sdy/float64(g.m), sdyx/float64(g.m)
		for o := 0; o < g.outer; o++ {
			i := (o*g.c + ch) * g.inner
			for j, d := range dy[i : i+g.inner] {
				if p.Training {
					xhat := (float64(x[i+j]) - mean) * invStd
					out[i+j] = T(k * (float64(d) - mdy - xhat*mdyx))
				} else {
					out[i+j] = T(k * float64(d))
				}
			}
		}
	})
}

// forChannels calls fn for every channel, on parallel goroutines when the tensor is
// large enough to pay for them (splitWork). Channels are independent: each writes its own
// elements and its own running statistics.
func forChannels(g bnGeom, fn func(ch int)) {
	splitWork(g.c, g.c*g.m, func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			fn(ch)
		}
	})
}
