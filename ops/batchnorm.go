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
	op := bnOp{dims: x.Dims(), momentum: momentum, eps: o.Eps, training: o.Training, out: new(outBuf)}
	shapes := make([]gorgonia.DimSizer, 5)
	for i, n := range []*gorgonia.Node{x, gamma, beta, runningMean, runningVar} {
		shapes[i] = n.Shape()
	}
	if _, err := op.InferShape(shapes...); err != nil {
		return nil, err
	}
	return apply(name, op, x, gamma, beta, runningMean, runningVar)
}

var bnArgNames = []string{"x", "gamma", "beta", "runningMean", "runningVar"}

// bnOp is BatchNorm: (x, gamma, beta, runningMean, runningVar) -> y.
type bnOp struct {
	dims          int // x's rank
	momentum, eps float64
	training      bool
	out           *outBuf // y's memory, kept across runs (not in String)
}

// bnGradOp is BatchNorm's backward: dx from (x, gamma, runningMean, runningVar, dy).
//
// It also computes dgamma and dbeta, in the same passes over the
// channel (they are the sums the dx formula needs), and leaves them in sums, which
// the two bnPartOp nodes of the same SymDiff read: one pass of statistics, one of sums
// and one of output for all three gradients, instead of six passes over the
// activations for three separate ops.
type bnGradOp struct {
	bnOp
	gout *outBuf // the gradient's memory, kept across runs (not in String)
	sums *bnSums // where it leaves dgamma and dbeta (not in String)
}

// bnSums holds dgamma and dbeta of the last run of a bnGradOp, in float64.
type bnSums struct{ dgamma, dbeta []float64 }

// bnPartOp maps the dx node of a bnGradOp to the dgamma (which 1) or dbeta (which 2)
// that the dx op computed with it. Taking dx as its input orders it after that op.
type bnPartOp struct {
	bnOp
	which int
	gout  *outBuf
	sums  *bnSums
}

var (
	_ gorgonia.Op   = bnOp{}
	_ gorgonia.SDOp = bnOp{}
	_ gorgonia.Op   = bnGradOp{}
	_ gorgonia.Op   = bnPartOp{}
)

func (op bnOp) Arity() int { return 5 }

func (op bnOp) Type() hm.Type {
	e := hm.TypeVariable('a')
	x, v := tensorType(op.dims, e), tensorType(1, e)
	return hm.NewFnType(x, v, v, v, v, x)
}

// bnShapes checks x (N, C, ...) and the four (C) vectors given as rest, and returns C.
func bnShapes(op fmt.Stringer, x tensor.Shape, rest []tensor.Shape, training bool) (int, error) {
	if x.Dims() < 2 {
		return 0, errors.Errorf("ops: %v: x has shape %v, want (N, C, ...)", op, x)
	}
	for _, d := range x {
		if d <= 0 {
			return 0, errors.Errorf("ops: %v: x has shape %v, want every dimension > 0", op, x)
		}
	}
	c := x[1]
	for i, s := range rest {
		if s.Dims() != 1 || s[0] != c {
			return 0, errors.Errorf("ops: %v: argument %d has shape %v, want (%d) for x %v", op, i+1, s, c, x)
		}
	}
	if training && x.TotalSize()/c < 2 {
		return 0, errors.Errorf("ops: %v: x has shape %v: training needs more than one value per channel", op, x)
	}
	return c, nil
}

func (op bnOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	var ss []tensor.Shape
	for i := range in {
		s, err := shapeArg(op, in, i)
		if err != nil {
			return nil, err
		}
		ss = append(ss, s)
	}
	if _, err := bnShapes(op, ss[0], ss[1:], op.training); err != nil {
		return nil, err
	}
	return ss[0].Clone(), nil
}

// bnArgs returns the values as float tensors of x's dtype with checked shapes.
func bnArgs(op gorgonia.Op, in []gorgonia.Value, vecs []int, training bool) ([]*tensor.Dense, error) {
	if err := checkArity(op, in); err != nil {
		return nil, err
	}
	ds := make([]*tensor.Dense, len(in))
	for i, v := range in {
		d, err := denseArg(op, v, i)
		if err != nil {
			return nil, err
		}
		if d.Dtype() != in[0].Dtype() {
			return nil, errors.Errorf("ops: %v: input %d has dtype %v, want %v", op, i, d.Dtype(), in[0].Dtype())
		}
		ds[i] = d
	}
	var rest []tensor.Shape
	for _, i := range vecs {
		rest = append(rest, ds[i].Shape())
	}
	if _, err := bnShapes(op, ds[0].Shape(), rest, training); err != nil {
		return nil, err
	}
	return ds, nil
}

func (op bnOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	ds, err := bnArgs(op, in, []int{1, 2, 3, 4}, op.training)
	if err != nil {
		return nil, err
	}
	// The running statistics are written in place: they must be the bound tensors,
	// not copies made by materialising a view.
	for i := 3; i <= 4; i++ {
		if op.training && gorgonia.Value(ds[i]) != in[i] {
			return nil, errors.Errorf("ops: %v: %s is a view; bind a contiguous tensor", op, bnArgNames[i])
		}
	}
	x := ds[0]
	y := op.out.newOut(x.Dtype(), x.Shape())
	g := bnGeomOf(x.Shape())
	if x.Dtype() == tensor.Float32 {
		bnForward(op, g, elems[float32](x), elems[float32](ds[1]), elems[float32](ds[2]),
			elems[float32](ds[3]), elems[float32](ds[4]), elems[float32](y))
	} else {
		bnForward(op, g, elems[float64](x), elems[float64](ds[1]), elems[float64](ds[2]),
			elems[float64](ds[3]), elems[float64](ds[4]), elems[float64](y))
	}
	return y, nil
}

func (op bnOp) ReturnsPtr() bool      { return false }
func (op bnOp) CallsExtern() bool     { return false }
func (op bnOp) OverwritesInput() int  { return -1 }
func (op bnOp) WriteHash(h hash.Hash) { io.WriteString(h, op.String()) }
func (op bnOp) Hashcode() uint32      { return hash32(op.String()) }
func (op bnOp) String() string {
	return fmt.Sprintf("ops.BatchNorm{dims=%d, momentum=%v, eps=%v, training=%t}", op.dims, op.momentum, op.eps, op.training)
}

func (op bnOp) DiffWRT(inputs int) []bool {
	d := make([]bool, inputs)
	for i := 0; i < 3 && i < inputs; i++ {
		d[i] = true
	}
	return d
}

func (op bnOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if len(inputs) != 5 {
		return nil, errors.Errorf("ops: %v: SymDiff got %d inputs, want 5", op, len(inputs))
	}
	grads := make(gorgonia.Nodes, 5)
	sums := new(bnSums)
	var err error
	grads[0], err = apply("BatchNorm backward", bnGradOp{bnOp: op, gout: new(outBuf), sums: sums},
		inputs[0], inputs[1], inputs[3], inputs[4], grad)
	if err != nil {
		return nil, err
	}
	for which := 1; which < 3; which++ {
		part := bnPartOp{bnOp: op, which: which, gout: new(outBuf), sums: sums}
		if grads[which], err = apply("BatchNorm backward", part, grads[0]); err != nil {
			return nil, err
		}
	}
	return grads, nil
}

func (op bnGradOp) Arity() int { return 5 }

func (op bnGradOp) Type() hm.Type {
	e := hm.TypeVariable('a')
	x, v := tensorType(op.dims, e), tensorType(1, e)
	return hm.NewFnType(x, v, v, v, x, x)
}

func (op bnGradOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	var ss []tensor.Shape
	for i := range in {
		s, err := shapeArg(op, in, i)
		if err != nil {
			return nil, err
		}
		ss = append(ss, s)
	}
	if _, err := bnShapes(op, ss[0], ss[1:4], op.training); err != nil {
		return nil, err
	}
	if !ss[4].Eq(ss[0]) {
		return nil, errors.Errorf("ops: %v: output gradient has shape %v, want x's %v", op, ss[4], ss[0])
	}
	return ss[0].Clone(), nil
}

func (op bnGradOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	ds, err := bnArgs(op, in, []int{1, 2, 3}, op.training)
	if err != nil {
		return nil, err
	}
	x, dy := ds[0], ds[4]
	if !dy.Shape().Eq(x.Shape()) {
		return nil, errors.Errorf("ops: %v: output gradient has shape %v, want x's %v", op, dy.Shape(), x.Shape())
	}
	g := bnGeomOf(x.Shape())
	out := op.gout.newOut(x.Dtype(), x.Shape())
	if op.sums == nil {
		return nil, errors.Errorf("ops: %v: no place for dgamma and dbeta (built outside BatchNorm's SymDiff)", op)
	}
	if len(op.sums.dgamma) != g.c {
		op.sums.dgamma, op.sums.dbeta = make([]float64, g.c), make([]float64, g.c)
	}
	if x.Dtype() == tensor.Float32 {
		bnBackward(op, g, elems[float32](x), elems[float32](ds[1]), elems[float32](ds[2]),
			elems[float32](ds[3]), elems[float32](dy), elems[float32](out))
	} else {
		bnBackward(op, g, elems[float64](x), elems[float64](ds[1]), elems[float64](ds[2]),
			elems[float64](ds[3]), elems[float64](dy), elems[float64](out))
	}
	return out, nil
}

func (op bnPartOp) Arity() int { return 1 }

func (op bnPartOp) Type() hm.Type {
	e := hm.TypeVariable('a')
	return hm.NewFnType(tensorType(op.dims, e), tensorType(1, e))
}

func (op bnPartOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	s, err := shapeArg(op, in, 0)
	if err != nil {
		return nil, err
	}
	if s.Dims() < 2 {
		return nil, errors.Errorf("ops: %v: dx has shape %v, want (N, C, ...)", op, s)
	}
	return tensor.Shape{s[1]}, nil
}

func (op bnPartOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	if len(in) != 1 {
		return nil, errors.Errorf("ops: %v: got %d inputs, want 1", op, len(in))
	}
	dx, ok := in[0].(*tensor.Dense)
	if !ok || dx.Dims() < 2 {
		return nil, errors.Errorf("ops: %v: dx is a %T, want a (N, C, ...) tensor", op, in[0])
	}
	c := dx.Shape()[1]
	src := op.sums.dgamma
	if op.which == 2 {
		src = op.sums.dbeta
	}
	if len(src) != c {
		return nil, errors.Errorf("ops: %v: the gradient of x has not been computed in this run", op)
	}
	out := op.gout.newOut(dx.Dtype(), tensor.Shape{c})
	switch dx.Dtype() {
	case tensor.Float32:
		for i, v := range src {
			out.Float32s()[i] = float32(v)
		}
	case tensor.Float64:
		copy(out.Float64s(), src)
	default:
		return nil, errors.Errorf("ops: %v: dtype %v, want float32 or float64", op, dx.Dtype())
	}
	return out, nil
}

func (op bnPartOp) ReturnsPtr() bool      { return false }
func (op bnPartOp) CallsExtern() bool     { return false }
func (op bnPartOp) OverwritesInput() int  { return -1 }
func (op bnPartOp) WriteHash(h hash.Hash) { io.WriteString(h, op.String()) }
func (op bnPartOp) Hashcode() uint32      { return hash32(op.String()) }
func (op bnPartOp) String() string {
	return fmt.Sprintf("ops.BatchNormGradPart{dims=%d, momentum=%v, eps=%v, training=%t, wrt=%s}",
		op.dims, op.momentum, op.eps, op.training, bnArgNames[op.which])
}

func (op bnGradOp) ReturnsPtr() bool      { return false }
func (op bnGradOp) CallsExtern() bool     { return false }
func (op bnGradOp) OverwritesInput() int  { return -1 }
func (op bnGradOp) WriteHash(h hash.Hash) { io.WriteString(h, op.String()) }
func (op bnGradOp) Hashcode() uint32      { return hash32(op.String()) }
func (op bnGradOp) String() string {
	return fmt.Sprintf("ops.BatchNormGrad{dims=%d, momentum=%v, eps=%v, training=%t}",
		op.dims, op.momentum, op.eps, op.training)
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

func bnForward[T float](op bnOp, g bnGeom, x, gamma, beta, rm, rv, y []T) {
	forChannels(g, func(ch int) {
		var mean, invStd float64
		if op.training {
			var v float64
			mean, v = channelStats(g, x, ch)
			invStd = 1 / math.Sqrt(v+op.eps)
			unbiased := v * float64(g.m) / float64(g.m-1)
			rm[ch] = T((1-op.momentum)*float64(rm[ch]) + op.momentum*mean)
			rv[ch] = T((1-op.momentum)*float64(rv[ch]) + op.momentum*unbiased)
		} else {
			mean, invStd = float64(rm[ch]), 1/math.Sqrt(float64(rv[ch])+op.eps)
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

// bnBackward writes dx into out, and dgamma and dbeta into op.sums.
func bnBackward[T float](op bnGradOp, g bnGeom, x, gamma, rm, rv, dy, out []T) {
	forChannels(g, func(ch int) {
		var mean, invStd float64
		if op.training {
			m, v := channelStats(g, x, ch)
			mean, invStd = m, 1/math.Sqrt(v+op.eps)
		} else {
			mean, invStd = float64(rm[ch]), 1/math.Sqrt(float64(rv[ch])+op.eps)
		}
		// sum(dy) and sum(dy*xhat) over the channel: dbeta and dgamma.
		sdy, sdyx := gradSums(g, x, dy, ch, mean, invStd)
		op.sums.dgamma[ch], op.sums.dbeta[ch] = sdyx, sdy
		k := float64(gamma[ch]) * invStd
		mdy, mdyx := sdy/float64(g.m), sdyx/float64(g.m)
		for o := 0; o < g.outer; o++ {
			i := (o*g.c + ch) * g.inner
			for j, d := range dy[i : i+g.inner] {
				if op.training {
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
