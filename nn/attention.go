package nn

import (
	"fmt"
	"math"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/ops"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
)

// MultiHeadAttentionConfig configures a MultiHeadAttention layer.
type MultiHeadAttentionConfig struct {
	Embed, Heads int     // model width and number of heads; Embed % Heads == 0
	NoBias       bool    // omit InProjBias and OutProjBias (PyTorch's bias=False)
	Causal       bool    // query i attends to keys j <= i only
	Dropout      float64 // dropout on the attention weights in training, in [0, 1); 0 = none
}

// MultiHeadAttention is scaled dot-product attention with several heads (Vaswani et
// al., 2017, "Attention is all you need"), PyTorch's nn.MultiheadAttention(Embed,
// Heads, batch_first=True):
//
//	Q = q·W_qᵀ + b_q, K = k·W_kᵀ + b_k, V = v·W_vᵀ + b_v, split into Heads of D = Embed/Heads
//	head = softmax(Q·Kᵀ/sqrt(D) + mask)·V
//	out = concat(heads)·W_oᵀ + b_o
//
// Inputs batch first: query (B, T, Embed), key and value (B, S, Embed); output (B, T,
// Embed). Forward is self-attention (query = key = value = x). With Causal, query i
// sees keys j <= i (PyTorch's attn_mask = triu(ones(T, S), 1) as -inf). Attend takes an
// optional key padding mask (B, S) whose non-zero entries (1, as PyTorch's True) mark
// keys to ignore. Masked keys get weight 0 exactly; a query whose keys are all masked
// gets uniform weights over all keys, with no gradient to the scores (PyTorch gives
// NaN).
//
// It runs ops.MultiHeadAttention: the attention is one op each way, heads are column
// blocks of the projected tensors, never copied apart, and self-attention projects q,
// k and v with one GEMM. The forward keeps the attention weights (B, Heads, T, S) for
// the backward in a training graph.
//
// Params in PyTorch's layout and names ("." becomes "/"), so that a state dict copies
// over as is: InProjWeight (3*Embed, Embed) stacking W_q, W_k, W_v, "<scope>/in_proj_weight",
// Glorot-uniform; InProjBias (3*Embed), zeros; OutProjWeight (Embed, Embed),
// "<scope>/out_proj/weight", U(-1/sqrt(Embed), 1/sqrt(Embed)); OutProjBias (Embed), zeros.
type MultiHeadAttention struct {
	InProjWeight, InProjBias   *graph.Param
	OutProjWeight, OutProjBias *graph.Param // the biases are nil with NoBias
	Embed, Heads               int
	Causal                     bool
	Dropout                    float64
	name                       string
}

var _ Layer = (*MultiHeadAttention)(nil)
var _ LayerConfig = MultiHeadAttentionConfig{}

// NewMultiHeadAttention creates a MultiHeadAttention layer in scope s.
func NewMultiHeadAttention(s *graph.Scope, cfg MultiHeadAttentionConfig) (*MultiHeadAttention, error) {
	name := s.Name()
	if cfg.Embed <= 0 || cfg.Heads <= 0 {
		return nil, errors.Errorf("nn: attention %q: Embed = %d, Heads = %d, want both > 0", name, cfg.Embed, cfg.Heads)
	}
	if cfg.Embed%cfg.Heads != 0 {
		return nil, errors.Errorf("nn: attention %q: Embed = %d is not a multiple of Heads = %d", name, cfg.Embed, cfg.Heads)
	}
	if !(cfg.Dropout >= 0 && cfg.Dropout < 1) {
		return nil, errors.Errorf("nn: attention %q: Dropout = %g, want in [0, 1)", name, cfg.Dropout)
	}
	e := cfg.Embed
	a := &MultiHeadAttention{Embed: e, Heads: cfg.Heads, Causal: cfg.Causal, Dropout: cfg.Dropout, name: name}
	var err error
	wrap := func(err error) error { return errors.Wrapf(err, "nn: attention %q", name) }
	// PyTorch: xavier_uniform_ on the (3E, E) matrix, so fans E and 3E.
	if a.InProjWeight, err = s.Param("in_proj_weight", graph.Weight, []int{3 * e, e}, graph.GlorotUniform{},
		graph.WithFans(graph.Fans{In: e, Out: 3 * e})); err != nil {
		return nil, wrap(err)
	}
	out := s.Sub("out_proj")
	if a.OutProjWeight, err = out.Param("weight", graph.Weight, []int{e, e}, graph.HeUniform{Gain: math.Sqrt(1.0 / 3)},
		graph.WithFans(graph.Fans{In: e, Out: e})); err != nil {
		return nil, wrap(err)
	}
	if !cfg.NoBias {
		if a.InProjBias, err = s.Param("in_proj_bias", graph.Bias, []int{3 * e}, graph.Zeros{}); err != nil {
			return nil, wrap(err)
		}
		if a.OutProjBias, err = out.Param("bias", graph.Bias, []int{e}, graph.Zeros{}); err != nil {
			return nil, wrap(err)
		}
	}
	return a, nil
}

// Build implements LayerConfig.
func (c MultiHeadAttentionConfig) Build(s *graph.Scope) (Layer, error) {
	return NewMultiHeadAttention(s, c)
}

// Forward returns the self-attention of x (B, T, Embed), shape (B, T, Embed).
func (a *MultiHeadAttention) Forward(g *graph.Graph, x *gorgonia.Node) (*gorgonia.Node, error) {
	return a.Attend(g, x, x, x, nil)
}

// Attend returns the attention of query (B, T, Embed) over key and value (B, S,
// Embed), shape (B, T, Embed). keyPadding is nil or (B, S), 1 where a key is padding
// (ignored) and 0 elsewhere.
func (a *MultiHeadAttention) Attend(g *graph.Graph, query, key, value, keyPadding *gorgonia.Node) (out *gorgonia.Node, err error) {
	if query == nil || key == nil || value == nil {
		return nil, errors.Errorf("nn: attention %q: nil input", a.name)
	}
	qs, ks, vs := query.Shape(), key.Shape(), value.Shape()
	if len(qs) != 3 || qs[2] != a.Embed || len(ks) != 3 || !ks.Eq(vs) || ks[0] != qs[0] || ks[2] != a.Embed {
		return nil, errors.Errorf("nn: attention %q: query, key, value shapes %v, %v, %v, want (B, T, %d), (B, S, %d), (B, S, %d)",
			a.name, qs, ks, vs, a.Embed, a.Embed, a.Embed)
	}
	b, s := qs[0], ks[1]
	if keyPadding != nil {
		if ps := keyPadding.Shape(); len(ps) != 2 || ps[0] != b || ps[1] != s {
			return nil, errors.Errorf("nn: attention %q: key padding mask shape %v, want (%d, %d)", a.name, ps, b, s)
		}
	}
	if out, err = a.attend(g, query, key, value, keyPadding); err != nil {
		return nil, errors.Wrapf(err, "nn: attention %q", a.name)
	}
	return out, nil
}

func (a *MultiHeadAttention) attend(g *graph.Graph, query, key, value, keyPadding *gorgonia.Node) (*gorgonia.Node, error) {
	var w [4]*gorgonia.Node // InProjWeight, InProjBias, OutProjWeight, OutProjBias
	for i, p := range []*graph.Param{a.InProjWeight, a.InProjBias, a.OutProjWeight, a.OutProjBias} {
		if p == nil {
			continue
		}
		var err error
		if w[i], err = g.Node(p); err != nil {
			return nil, err
		}
	}
	opt := ops.MultiHeadAttentionOptions{Heads: a.Heads, Causal: a.Causal, NoGrad: !g.Training()}
	if a.Dropout > 0 && g.Training() {
		opt.Dropout, opt.Rand = a.Dropout, g.Rand(g.UniqueName("attention/"+a.name+"/dropout"))
	}
	return ops.MultiHeadAttention(query, key, value, w[0], w[1], w[2], w[3], keyPadding, opt)
}

// Params returns [InProjWeight, InProjBias, OutProjWeight, OutProjBias] (without the
// biases with NoBias).
func (a *MultiHeadAttention) Params() []*graph.Param {
	if a.InProjBias == nil {
		return []*graph.Param{a.InProjWeight, a.OutProjWeight}
	}
	return []*graph.Param{a.InProjWeight, a.InProjBias, a.OutProjWeight, a.OutProjBias}
}

// String returns `attention "<scope>"`, as errors name the layer.
func (a *MultiHeadAttention) String() string { return fmt.Sprintf("attention %q", a.name) }
