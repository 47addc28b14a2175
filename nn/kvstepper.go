package nn

import (
	"math"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/graph"
)

// TransformerStepper runs a causal Transformer (a causal *TransformerEncoderLayer, or
// an *nn.Sequential of them) one position at a time with a key/value cache: stateful
// inference for text generation, where each new token's output needs the keys and
// values of all earlier positions but nothing else about them. A step projects the new
// position only, appends its keys and values to every layer's cache and attends over
// the cache, so step t costs O(t·Embed) attention plus one position's projections and
// feed-forward, where re-running Forward on the prefix recomputes every earlier
// position (and needs a graph per length).
//
//	st, err := nn.NewTransformerStepper(stack, 1, 512) // batch 1, up to 512 positions
//	for _, x := range inputs { // each (1, Embed): the embedding of the next token
//		y, err := st.Step(x)   // (1, Embed): the stack's output at this position
//	}
//	st.Len()   // positions cached
//	st.Reset() // a new sequence
//
// Stepping through a sequence gives, at every position, the output causal Forward
// gives for the whole sequence (to 1e-12 in float64 and 1e-5 in float32,
// TestTransformerStepperMatchesForward). It computes in plain Go, in float64 whatever
// the layers' dtype, with no graph: the same pre-norm block as
// TransformerEncoderLayer (LayerNorm with the layer's Eps, exact erf GELU, attention
// scaled by 1/sqrt(Embed/Heads)), with dropout left out as in an Eval graph. The
// params are read at every step, so training between steps is seen by the next one
// (the cache keeps the keys and values the earlier params gave). A TransformerStepper
// is not safe for concurrent use.
type TransformerStepper struct {
	layer         Layer
	blocks        []*kvBlock
	batch, maxLen int
	embed         int
	dt            graph.DType
	n             int // positions cached
	x             []float64
}

// kvBlock is one layer with its cache and scratch buffers.
type kvBlock struct {
	l     *TransformerEncoderLayer
	k, v  []float64 // (position, batch, Embed), appended at each step
	conv  map[*graph.Param][]float64
	q     []float64 // (batch, Embed): the new position's queries
	qkv   []float64 // (3·Embed)
	n     []float64 // (Embed): a norm's output
	ctx   []float64 // (Embed): the heads' outputs, concatenated
	ff    []float64 // (FF)
	score []float64 // (maxLen)
}

// NewTransformerStepper returns a TransformerStepper for l, a causal
// *TransformerEncoderLayer or an *nn.Sequential whose layers all are, over batches of
// batch sequences of up to maxLen positions, with an empty cache.
func NewTransformerStepper(l Layer, batch, maxLen int) (*TransformerStepper, error) {
	if batch <= 0 {
		return nil, errors.Errorf("nn: NewTransformerStepper: batch %d, want > 0", batch)
	}
	if maxLen <= 0 {
		return nil, errors.Errorf("nn: NewTransformerStepper: maxLen %d, want > 0", maxLen)
	}
	var layers []*TransformerEncoderLayer
	switch r := l.(type) {
	case *TransformerEncoderLayer:
		if r == nil {
			return nil, errors.New("nn: NewTransformerStepper: nil *TransformerEncoderLayer")
		}
		layers = []*TransformerEncoderLayer{r}
	case *Sequential:
		if r == nil || len(r.Layers) == 0 {
			return nil, errors.Errorf("nn: NewTransformerStepper: %s has no layers", label(l))
		}
		for i, it := range r.Layers {
			t, ok := it.(*TransformerEncoderLayer)
			if !ok || t == nil {
				return nil, errors.Errorf("nn: NewTransformerStepper: %s: layer %d (%s) is not a *TransformerEncoderLayer", label(l), i, label(it))
			}
			layers = append(layers, t)
		}
	default:
		return nil, errors.Errorf("nn: NewTransformerStepper: %s is not a causal *TransformerEncoderLayer or an *nn.Sequential of them", label(l))
	}
	s := &TransformerStepper{layer: l, batch: batch, maxLen: maxLen, embed: layers[0].Embed}
	for i, t := range layers {
		if err := s.check(t); err != nil {
			if len(layers) > 1 {
				return nil, errors.Wrapf(err, "nn: NewTransformerStepper: %s: layer %d (%s)", label(l), i, label(t))
			}
			return nil, errors.Wrapf(err, "nn: NewTransformerStepper: %s", label(t))
		}
		e := t.Embed
		s.blocks = append(s.blocks, &kvBlock{l: t, conv: map[*graph.Param][]float64{},
			q: make([]float64, batch*e), qkv: make([]float64, 3*e), n: make([]float64, e), ctx: make([]float64, e),
			ff: make([]float64, t.FF), score: make([]float64, maxLen)})
	}
	s.x = make([]float64, batch*s.embed)
	return s, nil
}

// check returns an error unless t is a causal layer the stepper can run, of the
// stepper's width and dtype (set from the first layer).
func (s *TransformerStepper) check(t *TransformerEncoderLayer) error {
	a := t.SelfAttn
	switch {
	case a == nil || t.Linear1 == nil || t.Linear2 == nil || t.Norm1 == nil || t.Norm2 == nil:
		return errors.New("incomplete layer (a nil sub-layer)")
	case !a.Causal:
		return errors.New("not causal: a key/value cache needs causal self-attention")
	case t.Embed != s.embed || a.Embed != s.embed:
		return errors.Errorf("Embed %d, want %d (the first layer's)", t.Embed, s.embed)
	case a.Heads <= 0 || a.Embed%a.Heads != 0:
		return errors.Errorf("Heads %d does not divide Embed %d", a.Heads, a.Embed)
	case t.Linear1.Activation != nil || t.Linear2.Activation != nil:
		return errors.New("a Linear with an Activation is not supported")
	case t.Linear1.In != t.Embed || t.Linear1.Out != t.FF || t.Linear2.In != t.FF || t.Linear2.Out != t.Embed:
		return errors.Errorf("feed-forward %d -> %d -> %d, want %d -> %d -> %d",
			t.Linear1.In, t.Linear1.Out, t.Linear2.Out, t.Embed, t.FF, t.Embed)
	case t.Norm1.Dim != t.Embed || t.Norm2.Dim != t.Embed:
		return errors.Errorf("norm widths %d, %d, want %d", t.Norm1.Dim, t.Norm2.Dim, t.Embed)
	}
	for _, p := range t.Params() {
		if s.dt == (graph.DType{}) {
			s.dt = p.DType()
		}
		if p.DType() != s.dt {
			return errors.Errorf("param %s has dtype %v, want %v", p.Name(), p.DType(), s.dt)
		}
		if p.DType() != graph.Float32 && p.DType() != graph.Float64 {
			return errors.Errorf("param %s has dtype %v, want float32 or float64", p.Name(), p.DType())
		}
	}
	if s.dt == (graph.DType{}) {
		return errors.New("no params")
	}
	return nil
}

// Len returns the number of positions cached: the steps since the last Reset.
func (s *TransformerStepper) Len() int { return s.n }

// MaxLen returns the most positions the cache holds.
func (s *TransformerStepper) MaxLen() int { return s.maxLen }

// Reset empties the cache (a new sequence).
func (s *TransformerStepper) Reset() {
	s.n = 0
	for _, b := range s.blocks {
		b.k, b.v = b.k[:0], b.v[:0]
	}
}

// Step feeds the next position, x of shape (batch, Embed) (or (batch, 1, Embed)) in the
// layers' dtype, and returns the stack's output at that position, (batch, Embed), a
// tensor the caller owns. It is an error to step past maxLen positions (Reset first).
func (s *TransformerStepper) Step(x *tensor.Dense) (*tensor.Dense, error) {
	if x == nil {
		return nil, errors.New("nn: TransformerStepper.Step: nil input")
	}
	shp := x.Shape()
	if !(shp.Dims() == 2 && shp[0] == s.batch && shp[1] == s.embed) &&
		!(shp.Dims() == 3 && shp[0] == s.batch && shp[1] == 1 && shp[2] == s.embed) {
		return nil, errors.Errorf("nn: TransformerStepper.Step: %s: input shape %v, want (%d, %d)", label(s.layer), shp, s.batch, s.embed)
	}
	if x.Dtype() != s.dt {
		return nil, errors.Errorf("nn: TransformerStepper.Step: %s: input dtype %v, the layers' %v", label(s.layer), x.Dtype(), s.dt)
	}
	if s.n >= s.maxLen {
		return nil, errors.Errorf("nn: TransformerStepper.Step: %s: the cache holds %d positions, maxLen %d (Reset to start again)", label(s.layer), s.n, s.maxLen)
	}
	if x.IsMaterializable() {
		x = x.Materialize().(*tensor.Dense)
	}
	switch d := x.Data().(type) {
	case []float64:
		if len(d) != len(s.x) {
			return nil, errors.Errorf("nn: TransformerStepper.Step: input of %d values, want %d", len(d), len(s.x))
		}
		copy(s.x, d)
	case []float32:
		if len(d) != len(s.x) {
			return nil, errors.Errorf("nn: TransformerStepper.Step: input of %d values, want %d", len(d), len(s.x))
		}
		for i, v := range d {
			s.x[i] = float64(v)
		}
	default:
		return nil, errors.Errorf("nn: TransformerStepper.Step: input data of type %T", d)
	}
	for _, b := range s.blocks {
		b.step(s.x, s.batch, s.n)
	}
	s.n++
	if s.dt == graph.Float32 {
		out := make([]float32, len(s.x))
		for i, v := range s.x {
			out[i] = float32(v)
		}
		return tensor.New(tensor.WithShape(s.batch, s.embed), tensor.WithBacking(out)), nil
	}
	return tensor.New(tensor.WithShape(s.batch, s.embed), tensor.WithBacking(append([]float64(nil), s.x...))), nil
}

// vals returns p's current values as float64s: the backing slice in float64, a
// converted copy (in a buffer kept for p) in float32; nil for a nil Param.
func (b *kvBlock) vals(p *graph.Param) []float64 {
	if p == nil {
		return nil
	}
	if v := p.Float64s(); v != nil {
		return v
	}
	f := p.Float32s()
	buf := b.conv[p]
	if len(buf) != len(f) {
		buf = make([]float64, len(f))
		b.conv[p] = buf
	}
	for i, v := range f {
		buf[i] = float64(v)
	}
	return buf
}

// step runs the block on position pos of every sequence, h (batch, Embed) in place,
// appending the position's keys and values to the cache.
func (b *kvBlock) step(h []float64, batch, pos int) {
	l, a := b.l, b.l.SelfAttn
	e, ff := l.Embed, l.FF
	heads := a.Heads
	d := e / heads
	scale := 1 / math.Sqrt(float64(d))
	win, bin := b.vals(a.InProjWeight), b.vals(a.InProjBias)
	wout, bout := b.vals(a.OutProjWeight), b.vals(a.OutProjBias)
	n1w, n1b := b.vals(l.Norm1.Weight), b.vals(l.Norm1.Bias)
	n2w, n2b := b.vals(l.Norm2.Weight), b.vals(l.Norm2.Bias)
	w1, b1 := b.vals(l.Linear1.Weight), b.vals(l.Linear1.Bias)
	w2, b2 := b.vals(l.Linear2.Weight), b.vals(l.Linear2.Bias)
	// The new position's Q, K, V for every sequence; K and V go to the cache first, so
	// the position attends to itself.
	qs := b.q
	for s := range batch {
		x := h[s*e : (s+1)*e]
		kvLayerNorm(b.n, x, n1w, n1b, l.Norm1.Eps)
		kvMatVecRows(b.qkv, win, bin, b.n, 3*e, e)
		copy(qs[s*e:], b.qkv[:e])
		b.k = append(b.k, b.qkv[e:2*e]...)
		b.v = append(b.v, b.qkv[2*e:]...)
	}
	stride := batch * e // one position of the cache
	for s := range batch {
		x := h[s*e : (s+1)*e]
		q := qs[s*e : (s+1)*e]
		for hd := range heads {
			off := s*e + hd*d
			sc := b.score[:pos+1]
			maxv := math.Inf(-1)
			for t := range sc {
				k := b.k[t*stride+off : t*stride+off+d]
				var dot float64
				for i, kv := range k {
					dot += q[hd*d+i] * kv
				}
				sc[t] = dot * scale
				maxv = max(maxv, sc[t])
			}
			var sum float64
			for t := range sc {
				sc[t] = math.Exp(sc[t] - maxv)
				sum += sc[t]
			}
			c := b.ctx[hd*d : (hd+1)*d]
			clear(c)
			for t, w := range sc {
				w /= sum
				v := b.v[t*stride+off : t*stride+off+d]
				for i, vv := range v {
					c[i] += w * vv
				}
			}
		}
		// h = x + ctx·W_oᵀ + b_o
		for i := range e {
			acc := 0.0
			if bout != nil {
				acc = bout[i]
			}
			row := wout[i*e : (i+1)*e]
			for j, c := range b.ctx {
				acc += row[j] * c
			}
			x[i] += acc
		}
		// y = h + GELU(Norm2(h)·W1 + b1)·W2 + b2
		kvLayerNorm(b.n, x, n2w, n2b, l.Norm2.Eps)
		kvMatVecCols(b.ff, w1, b1, b.n, e, ff)
		for i, v := range b.ff {
			b.ff[i] = kvGELU(v)
		}
		for j := range e {
			acc := 0.0
			if b2 != nil {
				acc = b2[j]
			}
			for i, f := range b.ff {
				acc += f * w2[i*e+j]
			}
			x[j] += acc
		}
	}
}

// kvLayerNorm writes (x - mean) / sqrt(var + eps) · w + b to dst (w, b nil: no affine).
func kvLayerNorm(dst, x, w, b []float64, eps float64) {
	n := float64(len(x))
	var mean float64
	for _, v := range x {
		mean += v
	}
	mean /= n
	var vr float64
	for _, v := range x {
		vr += (v - mean) * (v - mean)
	}
	inv := 1 / math.Sqrt(vr/n+eps)
	for i, v := range x {
		y := (v - mean) * inv
		if w != nil {
			y *= w[i]
		}
		if b != nil {
			y += b[i]
		}
		dst[i] = y
	}
}

// kvMatVecRows writes W·x + b to dst for W (rows, cols) row-major (PyTorch's (out, in)).
func kvMatVecRows(dst, w, b, x []float64, rows, cols int) {
	for i := range rows {
		acc := 0.0
		if b != nil {
			acc = b[i]
		}
		row := w[i*cols : (i+1)*cols]
		for j, v := range x {
			acc += row[j] * v
		}
		dst[i] = acc
	}
}

// kvMatVecCols writes x·W + b to dst for W (in, out) row-major (gradflow's Linear).
func kvMatVecCols(dst, w, b, x []float64, in, out int) {
	if b != nil {
		copy(dst, b[:out])
	} else {
		clear(dst[:out])
	}
	for i := range in {
		xi := x[i]
		row := w[i*out : (i+1)*out]
		for j, v := range row {
			dst[j] += xi * v
		}
	}
}

// kvGELU is the exact GELU, x·Φ(x), as ops.GELU.
func kvGELU(x float64) float64 {
	if math.Abs(x) > 1e10 {
		return math.Max(x, 0)
	}
	return 0.5 * x * math.Erfc(-x/math.Sqrt2)
}
