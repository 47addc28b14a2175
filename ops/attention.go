package ops

import (
	"github.com/gradflow/gradflow/ops/kern"

	"math"
	"math/rand/v2"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// This file holds scaled dot-product attention over several heads as one op, forward
// and backward (MultiHeadAttention, attention_api.go, adds the input and output
// projections of attention_proj.go).
//
// It replaces a composition of gorgonia ops for speed and memory, not correctness.
// Composed, one attention layer was about 30 nodes before differentiation: per input a
// reshape, a transposed weight, a product, a broadcast bias, a reshape, a transposing
// copy into heads and another reshape; a scaling product, two batched products, the
// softmax and the transposing copy back. Every node allocated its output every run and
// gorgonia's transposes walk an N-d iterator element by element. Here the heads are
// never split or merged in memory: head h of a row is columns [h·D, (h+1)·D) of the
// projected (B, T, E) (or packed (B, T, 3E)) tensor, and each (batch, head) pair runs
// its GEMMs on those columns through the BLAS leading dimension, the pairs spread over
// the cores. The forward keeps the attention weights (B, H, T, S) for the backward,
// as PyTorch does; docs/layers-sequence.md has the measurements.

// attnParams are the attention op's settings. state is kept across runs (hashed by
// address, so every application is its own node).
type attnParams struct {
	Heads   int
	Causal  bool    // query i sees keys j <= i
	Packed  bool    // one input (B, T, 3E): q, k and v side by side
	Padding bool    // the last input is a key padding mask (B, S), non-zero = ignore
	NoGrad  bool    // an evaluation graph: the weights are not kept for a backward
	Dropout float64 // on the attention weights, drawn from rng at every run; 0 = none
	rng     *rand.Rand
	state   *attnState
}

// attnState is what a forward run leaves for the backward of the same run.
type attnState struct {
	weights any // []float32 or []float64: softmax weights (B, H, T, S), before dropout
	keep    any // the dropout mask (B, H, T, S): 0 or 1/(1-p)
}

// attnDims are the sizes of one attention op and where q, k and v lie in their rows:
// the rows of q are ldq apart and start at column qOff (likewise k and v).
type attnDims struct {
	B, T, S, E, H, D int
	ldq, ldk, ldv    int
	qOff, kOff, vOff int
}

// attnPackedDef maps qkv (B, T, 3E) [, key padding (B, T)] to the attention output
// (B, T, E), heads side by side as PyTorch concatenates them.
var attnPackedDef = &Def[attnParams]{
	Name: "SelfAttention", Arity: Variadic, NoGrad: []int{1},
	Shape: attnShape, Forward: attnForwardDense,
}

// attnSplitDef maps q (B, T, E), k (B, S, E), v (B, S, E) [, key padding (B, S)] to
// the attention output (B, T, E).
var attnSplitDef = &Def[attnParams]{
	Name: "Attention", Arity: Variadic, NoGrad: []int{3},
	Shape: attnShape, Forward: attnForwardDense,
}

// attnGradDef maps the attention op's inputs, its output (which orders it after the
// forward of the same run, whose weights it reads) and the output's gradient to dqkv
// (packed) or the bundle (dq, dk, dv) flattened one after the other.
var attnGradDef = &Def[attnParams]{
	Name: "AttentionGrad", Arity: Variadic,
	Shape: func(p attnParams, in []tensor.Shape) (tensor.Shape, error) {
		if len(in) < 3 {
			return nil, errors.Errorf("got %d inputs, want the op's inputs, output and gradient", len(in))
		}
		d, err := attnShapes(p, in[:len(in)-2])
		if err != nil {
			return nil, err
		}
		o := tensor.Shape{d.B, d.T, d.E}
		if !in[len(in)-2].Eq(o) || !in[len(in)-1].Eq(o) {
			return nil, errors.Errorf("output %v and its gradient %v, want %v", in[len(in)-2], in[len(in)-1], o)
		}
		if p.Packed {
			return tensor.Shape{d.B, d.T, 3 * d.E}, nil
		}
		return tensor.Shape{d.B*d.T*d.E + 2*d.B*d.S*d.E}, nil
	},
	Forward: func(p attnParams, in []*tensor.Dense, dx *tensor.Dense) error {
		n := len(in) - 2
		d, err := attnShapes(p, shapesOfDense(in[:n]))
		if err != nil {
			return err
		}
		if p.state == nil || p.NoGrad {
			return errors.New("no attention weights kept (an evaluation graph)")
		}
		switch in[0].Dtype() {
		case tensor.Float32:
			err = attnBackward(p, d, floatsOf[float32](in[:n]), in[n+1].Float32s(), dx.Float32s())
		default:
			err = attnBackward(p, d, floatsOf[float64](in[:n]), in[n+1].Float64s(), dx.Float64s())
		}
		return err
	},
}

func init() {
	// Set here: the Backwards refer to the Defs they belong to.
	backward := func(p attnParams, in []*gorgonia.Node, out, dy *gorgonia.Node) ([]*gorgonia.Node, error) {
		if p.NoGrad {
			return nil, errors.New("attention built for an evaluation graph has no gradient")
		}
		args := append(append([]*gorgonia.Node{}, in...), out, dy)
		g, err := attnGradDef.Apply(p, args...)
		if err != nil {
			return nil, err
		}
		grads := make([]*gorgonia.Node, len(in))
		if p.Packed {
			grads[0] = g
			return grads, nil
		}
		qkv, err := cutBundle(g, in[:3])
		copy(grads, qkv)
		return grads, err
	}
	attnPackedDef.Backward = backward
	attnSplitDef.Backward = backward
}

// attnShape is the attention ops' Shape rule.
func attnShape(p attnParams, in []tensor.Shape) (tensor.Shape, error) {
	d, err := attnShapes(p, in)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{d.B, d.T, d.E}, nil
}

// attnShapes checks the attention op's input shapes and returns its sizes.
func attnShapes(p attnParams, in []tensor.Shape) (attnDims, error) {
	want := 3
	if p.Packed {
		want = 1
	}
	if p.Padding {
		want++
	}
	if len(in) != want || p.Heads < 1 {
		return attnDims{}, errors.Errorf("got %d inputs and %d heads, want %d inputs (packed %t, padding %t) and >= 1 head", len(in), p.Heads, want, p.Packed, p.Padding)
	}
	q := in[0]
	if q.Dims() != 3 {
		return attnDims{}, errors.Errorf("query %v, want (B, T, E)", q)
	}
	d := attnDims{B: q[0], T: q[1], S: q[1], H: p.Heads}
	if p.Packed {
		if q[2]%(3*p.Heads) != 0 {
			return d, errors.Errorf("packed qkv %v, want (B, T, 3E) with E a multiple of %d heads", q, p.Heads)
		}
		d.E = q[2] / 3
		d.ldq, d.ldk, d.ldv = 3*d.E, 3*d.E, 3*d.E
		d.kOff, d.vOff = d.E, 2*d.E
	} else {
		k, v := in[1], in[2]
		d.E = q[2]
		if !k.Eq(v) || k.Dims() != 3 || k[0] != d.B || k[2] != d.E || d.E%p.Heads != 0 {
			return d, errors.Errorf("query %v, key %v, value %v, want (B, T, E), (B, S, E), (B, S, E) with E a multiple of %d heads", q, k, v, p.Heads)
		}
		d.S = k[1]
		d.ldq, d.ldk, d.ldv = d.E, d.E, d.E
	}
	d.D = d.E / p.Heads
	if p.Padding {
		if m := in[len(in)-1]; !m.Eq(tensor.Shape{d.B, d.S}) {
			return d, errors.Errorf("key padding mask %v, want (%d, %d)", m, d.B, d.S)
		}
	}
	return d, nil
}

func attnForwardDense(p attnParams, in []*tensor.Dense, y *tensor.Dense) error {
	d, err := attnShapes(p, shapesOfDense(in))
	if err != nil {
		return err
	}
	switch in[0].Dtype() {
	case tensor.Float32:
		attnForward(p, d, floatsOf[float32](in), y.Float32s())
	default:
		attnForward(p, d, floatsOf[float64](in), y.Float64s())
	}
	return nil
}

// attnViews returns q, k, v and the padding mask (nil without) from the op's inputs.
func attnViews[F float](p attnParams, d attnDims, in [][]F) (q, k, v, mask []F) {
	q, k, v = in[0][d.qOff:], in[0][d.kOff:], in[0][d.vOff:]
	if !p.Packed {
		k, v = in[1], in[2]
	}
	if p.Padding {
		mask = in[len(in)-1]
	}
	return q, k, v, mask
}

// kept returns the []F of n elements held in *slot, made when missing or resized.
func kept[F float](slot *any, n int) []F {
	if s, ok := (*slot).([]F); ok && len(s) == n {
		return s
	}
	s := make([]F, n)
	*slot = s
	return s
}

// attnForward writes the attention output (B, T, E) into out; for each (batch, head):
// W = softmax(Q·Kᵀ/√D + masks), out = (W ∘ dropout mask)·V.
func attnForward[F float](p attnParams, d attnDims, in [][]F, out []F) {
	q, k, v, mask := attnViews(p, d, in)
	B, T, S, E, H, D := d.B, d.T, d.S, d.E, d.H, d.D
	ts := T * S
	var weights, keep []F
	if !p.NoGrad {
		weights = kept[F](&p.state.weights, B*H*ts)
	}
	if p.Dropout > 0 {
		keep = kept[F](&p.state.keep, B*H*ts)
		scale := F(1 / (1 - p.Dropout))
		for i := range keep { // one draw per weight in row-major order, as Dropout
			keep[i] = 0
			if p.rng.Float64() >= p.Dropout {
				keep[i] = scale
			}
		}
	}
	gemm := serialGemm[F]() // serial: the (batch, head) pairs already use every core
	scale := 1 / math.Sqrt(float64(D))
	forSamples(B*H, 2*ts, func(buf []F, i int) {
		b, h := i/H, i%H
		w := buf[:ts]
		if weights != nil {
			w = weights[i*ts : (i+1)*ts]
		}
		gemm(false, true, T, S, D, q[b*T*d.ldq+h*D:], d.ldq, k[b*S*d.ldk+h*D:], d.ldk, 0, w, S)
		var m []F
		if mask != nil {
			m = mask[b*S : (b+1)*S]
		}
		for r := 0; r < T; r++ {
			softmaxRow(w[r*S:(r+1)*S], r, scale, p.Causal, m)
		}
		pd := w
		if keep != nil {
			pd = buf[ts : 2*ts]
			for j, kv := range keep[i*ts : (i+1)*ts] {
				pd[j] = w[j] * kv
			}
		}
		gemm(false, false, T, D, S, pd, S, v[b*S*d.ldv+h*D:], d.ldv, 0, out[b*T*E+h*D:], E)
	})
}

// softmaxRow turns the raw scores of query r into attention weights in place: the
// softmax of scale·score over the keys it may see (j <= r with causal, mask[j] == 0),
// 0 for the others, uniform over all keys when it may see none. The sum and the
// exponentials are float64.
func softmaxRow[F float](row []F, r int, scale float64, causal bool, mask []F) {
	n := len(row)
	if causal {
		n = min(r+1, len(row))
	}
	vis := row[:n]
	clear(row[n:])
	// The max of the raw scores: scaling by scale > 0 keeps it the max, rounding too.
	maxv := F(math.Inf(-1))
	seen := false
	if mask == nil {
		maxv = rowMax(vis)
		seen = n > 0
	} else {
		for j, v := range vis {
			if mask[j] == 0 {
				maxv = max(maxv, v)
				seen = true
			}
		}
	}
	if !seen {
		u := F(1 / float64(len(row)))
		for j := range row {
			row[j] = u
		}
		return
	}
	m := float64(maxv) * scale
	var sum float64
	if mask == nil {
		if v32, ok := any(vis).([]float32); ok {
			sum = kern.ExpShifted32(v32, scale, m) // SIMD where the CPU has it, the tail in Go
		} else {
			for j, v := range vis {
				e := math.Exp(float64(v)*scale - m)
				vis[j] = F(e)
				sum += e
			}
		}
	} else {
		for j, v := range vis {
			if mask[j] != 0 {
				vis[j] = 0
				continue
			}
			e := math.Exp(float64(v)*scale - m)
			vis[j] = F(e)
			sum += e
		}
	}
	inv := 1 / sum
	for j, v := range row[:n] {
		row[j] = F(float64(v) * inv)
	}
}

// rowMax returns max over v, as the max builtin folds it from -Inf: NaN if any
// value is NaN. Four running maxima with plain comparisons (after the first few
// values their updates are rare, so the branches predict well) instead of the
// builtin, whose NaN and signed-zero handling costs several instructions a value;
// NaNs are caught by four running sums, NaN if a value is (or if +Inf and -Inf
// meet, when an exact pass decides). A -0 and +0 tie may keep either; every use of
// the max subtracts it (x - m, and x - (-0) == x - (+0) for every x but -0, whose
// exponential is 1 either way).
func rowMax[F float](v []F) F {
	inf := F(math.Inf(-1))
	m0, m1, m2, m3 := inf, inf, inf, inf
	var s0, s1, s2, s3 F
	i := 0
	for ; i+4 <= len(v); i += 4 {
		a, b, c, d := v[i], v[i+1], v[i+2], v[i+3]
		s0, s1, s2, s3 = s0+a, s1+b, s2+c, s3+d
		if a > m0 {
			m0 = a
		}
		if b > m1 {
			m1 = b
		}
		if c > m2 {
			m2 = c
		}
		if d > m3 {
			m3 = d
		}
	}
	for ; i < len(v); i++ {
		a := v[i]
		s0 += a
		if a > m0 {
			m0 = a
		}
	}
	if s := s0 + s1 + s2 + s3; s != s {
		for _, a := range v {
			if a != a {
				return a
			}
		}
	}
	return max(m0, m1, m2, m3)
}

// seesAny reports whether query r may see any key under the padding mask m (and the
// causal mask).
func seesAny[F float](r int, causal bool, m []F) bool {
	n := len(m)
	if causal {
		n = min(r+1, n)
	}
	for _, v := range m[:n] {
		if v == 0 {
			return true
		}
	}
	return false
}

// attnBackward writes the gradients of q, k and v into dx: dqkv (B, T, 3E) packed,
// else dq (B, T, E), dk (B, S, E), dv (B, S, E) one after the other. For each
// (batch, head), with W the kept weights and Wd = W ∘ keep:
// dV = Wdᵀ·dO, dW = (dO·Vᵀ) ∘ keep, dZ = W ∘ (dW - rowsum(dW ∘ W))/√D, dQ = dZ·K, dK = dZᵀ·Q.
func attnBackward[F float](p attnParams, d attnDims, in [][]F, dy, dx []F) error {
	q, k, v, mask := attnViews(p, d, in)
	B, T, S, E, H, D := d.B, d.T, d.S, d.E, d.H, d.D
	ts := T * S
	weights, ok := p.state.weights.([]F)
	if !ok || len(weights) != B*H*ts {
		return errors.New("the attention weights of this run are missing")
	}
	var keep []F
	if p.Dropout > 0 {
		if keep, ok = p.state.keep.([]F); !ok || len(keep) != B*H*ts {
			return errors.New("the dropout mask of this run is missing")
		}
	}
	dq, dk, dv := dx, dx[B*T*E:], dx[B*T*E+B*S*E:]
	lq, lk, lv := E, E, E
	if p.Packed {
		dq, dk, dv = dx, dx[E:], dx[2*E:]
		lq, lk, lv = 3*E, 3*E, 3*E
	}
	gemm := serialGemm[F]() // serial: the (batch, head) pairs already use every core
	scale := 1 / math.Sqrt(float64(D))
	forSamples(B*H, 2*ts, func(buf []F, i int) {
		b, h := i/H, i%H
		w := weights[i*ts : (i+1)*ts]
		dw := buf[:ts]
		pd := w
		var kp []F
		if keep != nil {
			kp = keep[i*ts : (i+1)*ts]
			pd = buf[ts : 2*ts]
			for j, kv := range kp {
				pd[j] = w[j] * kv
			}
		}
		do := dy[b*T*E+h*D:]
		qi, ki, vi := q[b*T*d.ldq+h*D:], k[b*S*d.ldk+h*D:], v[b*S*d.ldv+h*D:]
		var m []F
		if mask != nil {
			m = mask[b*S : (b+1)*S]
		}
		gemm(true, false, S, D, T, pd, S, do, E, 0, dv[b*S*lv+h*D:], lv)
		gemm(false, true, T, S, D, do, E, vi, d.ldv, 0, dw, S)
		for r := 0; r < T; r++ {
			wr, dr := w[r*S:(r+1)*S], dw[r*S:(r+1)*S]
			if m != nil && !seesAny(r, p.Causal, m) {
				clear(dr) // uniform weights, whatever the scores
				continue
			}
			if kp != nil {
				for j, kv := range kp[r*S : (r+1)*S] {
					dr[j] *= kv
				}
			}
			var dot float64
			for j, x := range wr {
				dot += float64(x) * float64(dr[j])
			}
			for j, x := range wr {
				dr[j] = F(float64(x) * (float64(dr[j]) - dot) * scale)
			}
		}
		gemm(false, false, T, D, S, dw, S, ki, d.ldk, 0, dq[b*T*lq+h*D:], lq)
		gemm(true, false, S, D, T, dw, S, qi, d.ldq, 0, dk[b*S*lk+h*D:], lk)
	})
	return nil
}
