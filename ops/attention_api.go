package ops

import (
	"math/rand/v2"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// MultiHeadAttentionOptions are MultiHeadAttention's settings besides its nodes, as
// PyTorch's F.multi_head_attention_forward arguments. Heads is required; the other
// zero fields are PyTorch's defaults: no causal mask, no dropout, differentiable.
type MultiHeadAttentionOptions struct {
	// Heads is the number of heads, > 0; the embedding E must be a multiple of it.
	Heads int
	// Causal lets query i attend to keys j <= i only (PyTorch's attn_mask =
	// triu(ones(T, S), 1) as -inf, is_causal=True).
	Causal bool
	// Dropout is the probability of zeroing an attention weight, in [0, 1), drawn from
	// Rand at every run (set it in training only, as ops.Dropout's p).
	Dropout float64
	// Rand draws the dropout masks; required when Dropout > 0.
	Rand *rand.Rand
	// NoGrad builds the op for a graph that is never differentiated (evaluation): the
	// forward does not keep the attention weights for a backward, and Grad through
	// the op is an error.
	NoGrad bool
}

// Validate returns an error naming the first field of o out of its range.
func (o MultiHeadAttentionOptions) Validate() error {
	switch {
	case o.Heads <= 0:
		return errors.Errorf("ops: MultiHeadAttentionOptions: Heads = %d, want > 0", o.Heads)
	case !(o.Dropout >= 0 && o.Dropout < 1):
		return errors.Errorf("ops: MultiHeadAttentionOptions: Dropout = %g, want in [0, 1)", o.Dropout)
	case o.Dropout > 0 && o.Rand == nil:
		return errors.Errorf("ops: MultiHeadAttentionOptions: Dropout = %g with a nil Rand, want a Rand to draw the masks", o.Dropout)
	}
	return nil
}

// WithDefaults returns o: it has no field whose zero value stands for another value.
func (o MultiHeadAttentionOptions) WithDefaults() MultiHeadAttentionOptions { return o }

// MultiHeadAttention returns scaled dot-product attention with several heads (Vaswani
// et al., 2017, "Attention is all you need"), batch first, as PyTorch's
// nn.MultiheadAttention(E, Heads, batch_first=True) and F.multi_head_attention_forward:
//
//	Q = query·W_qᵀ + b_q, K = key·W_kᵀ + b_k, V = value·W_vᵀ + b_v, split into Heads of D = E/Heads
//	head = softmax(Q·Kᵀ/sqrt(D) + masks)·V
//	out = concat(heads)·W_oᵀ + b_o
//
// query is (B, T, E), key and value (B, S, E); the output is (B, T, E).
// inProjWeight (3E, E) stacks W_q, W_k, W_v and inProjBias (3E) b_q, b_k, b_v;
// outProjWeight is (E, E) and outProjBias (E); either bias may be nil (none).
// keyPadding is nil or (B, S), non-zero (1, as PyTorch's True) where a key is to be
// ignored; it gets no gradient. Masked keys get weight 0 exactly; a query whose keys
// are all masked gets uniform weights over all keys, with no gradient to the scores
// (PyTorch gives NaN).
//
// When query, key and value are one node (self-attention), one GEMM projects q, k and
// v side by side. The heads are column blocks of the projected tensors, never copied
// apart; the forward keeps the attention weights (B, Heads, T, S) for the backward
// unless opt.NoGrad.
func MultiHeadAttention(query, key, value, inProjWeight, inProjBias, outProjWeight, outProjBias, keyPadding *gorgonia.Node, opt MultiHeadAttentionOptions) (out *gorgonia.Node, err error) {
	const name = "MultiHeadAttention"
	if err := attnArgs(query, key, value, inProjWeight, inProjBias, outProjWeight, outProjBias, keyPadding); err != nil {
		return nil, err
	}
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	e := query.Shape()[2]
	if e%opt.Heads != 0 {
		return nil, errors.Errorf("ops: %s: embedding %d is not a multiple of %d heads", name, e, opt.Heads)
	}
	defer recoverInto(&err, "ops: "+name)
	p := attnParams{Heads: opt.Heads, Causal: opt.Causal, Padding: keyPadding != nil, NoGrad: opt.NoGrad,
		Dropout: opt.Dropout, rng: opt.Rand, state: new(attnState)}
	if p.Dropout == 0 {
		p.rng = nil
	}
	var ctx *gorgonia.Node
	if query == key && key == value {
		// Self-attention: one GEMM projects q, k and v side by side, (B, T, 3E).
		qkv, err := project(query, inProjWeight, inProjBias)
		if err != nil {
			return nil, err
		}
		p.Packed = true
		in := []*gorgonia.Node{qkv}
		if keyPadding != nil {
			in = append(in, keyPadding)
		}
		if ctx, err = attnPackedDef.Apply(p, in...); err != nil {
			return nil, err
		}
	} else {
		// W_q, W_k, W_v through a (3, E, E) reshape: slice indices stay below 256,
		// which gorgonia's slice hash needs (see slice1).
		w3, err := gorgonia.Reshape(inProjWeight, tensor.Shape{3, e, e})
		if err != nil {
			return nil, err
		}
		var b3 *gorgonia.Node
		if inProjBias != nil {
			if b3, err = gorgonia.Reshape(inProjBias, tensor.Shape{3, e}); err != nil {
				return nil, err
			}
		}
		var in []*gorgonia.Node
		for k, x := range []*gorgonia.Node{query, key, value} {
			wk, err := slice1(w3, gorgonia.S(k))
			if err != nil {
				return nil, err
			}
			var bk *gorgonia.Node
			if b3 != nil {
				if bk, err = slice1(b3, gorgonia.S(k)); err != nil {
					return nil, err
				}
			}
			pk, err := project(x, wk, bk)
			if err != nil {
				return nil, err
			}
			in = append(in, pk)
		}
		if keyPadding != nil {
			in = append(in, keyPadding)
		}
		if ctx, err = attnSplitDef.Apply(p, in...); err != nil {
			return nil, err
		}
	}
	return project(ctx, outProjWeight, outProjBias)
}

// attnArgs checks MultiHeadAttention's nodes.
func attnArgs(query, key, value, inW, inB, outW, outB, keyPadding *gorgonia.Node) error {
	const name = "MultiHeadAttention"
	for _, a := range []struct {
		what string
		n    *gorgonia.Node
		opt  bool
	}{{"query", query, false}, {"key", key, false}, {"value", value, false}, {"inProjWeight", inW, false},
		{"inProjBias", inB, true}, {"outProjWeight", outW, false}, {"outProjBias", outB, true}, {"keyPadding", keyPadding, true}} {
		if a.n == nil && a.opt {
			continue
		}
		if err := checkFloat(name, a.what, a.n); err != nil {
			return err
		}
	}
	qs, ks, vs := query.Shape(), key.Shape(), value.Shape()
	if qs.Dims() != 3 || ks.Dims() != 3 || !ks.Eq(vs) || ks[0] != qs[0] || ks[2] != qs[2] {
		return errors.Errorf("ops: %s: query, key, value shapes %v, %v, %v, want (B, T, E), (B, S, E), (B, S, E)", name, qs, ks, vs)
	}
	b, s, e := qs[0], ks[1], qs[2]
	want := []struct {
		what  string
		n     *gorgonia.Node
		shape tensor.Shape
	}{{"inProjWeight", inW, tensor.Shape{3 * e, e}}, {"inProjBias", inB, tensor.Shape{3 * e}},
		{"outProjWeight", outW, tensor.Shape{e, e}}, {"outProjBias", outB, tensor.Shape{e}},
		{"keyPadding", keyPadding, tensor.Shape{b, s}}}
	for _, w := range want {
		if w.n != nil && !w.n.Shape().Eq(w.shape) {
			return errors.Errorf("ops: %s: %s has shape %v, want %v", name, w.what, w.n.Shape(), w.shape)
		}
	}
	return nil
}

// project returns x·wᵀ + b for x (..., In), w (Out, In) in PyTorch's layout and b
// (Out) or nil, as one node (projDef).
func project(x, w, b *gorgonia.Node) (*gorgonia.Node, error) {
	if b == nil {
		return projDef.Apply(projParams{}, x, w)
	}
	return projDef.Apply(projParams{Bias: true}, x, w, b)
}

// slice1 is gorgonia.Slice, fixed for results of one element: gorgonia's slice op
// then returns a scalar value although the node's shape is (1, 1), and the next op
// fails; a reshape to the node's own shape makes it a tensor again.
//
// gorgonia's slice op hashes its bounds as bytes, so slices of one node at offsets
// that differ by 256 are merged into one node: slice through a reshape that keeps
// every index below 256 (attention splits W_q, W_k, W_v through (3, E, E)).
func slice1(n *gorgonia.Node, slices ...tensor.Slice) (*gorgonia.Node, error) {
	s, err := gorgonia.Slice(n, slices...)
	if err != nil || s.Shape().TotalSize() != 1 {
		return s, err
	}
	return gorgonia.Reshape(s, s.Shape().Clone())
}
