package nn

import (
	"fmt"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/ops"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TransformerEncoderLayerConfig configures a TransformerEncoderLayer.
type TransformerEncoderLayerConfig struct {
	Embed, Heads int     // model width and heads; Embed % Heads == 0
	FF           int     // feed-forward width; 0 means 4*Embed
	Dropout      float64 // dropout in training on the attention weights and both residual branches; in [0, 1)
	Causal       bool    // causal self-attention
	Eps          float64 // the layer norms' epsilon; 0 means 1e-5
}

// TransformerEncoderLayer is a pre-norm Transformer encoder block (Vaswani et al.,
// 2017, with the layer norms moved before each branch as in Xiong et al., 2020, "On
// layer normalization in the Transformer architecture"):
//
//	h = x + Dropout(SelfAttention(Norm1(x)))
//	y = h + Dropout(Linear2(Dropout(GELU(Linear1(Norm2(h))))))
//
// It is PyTorch's nn.TransformerEncoderLayer(Embed, Heads, FF, Dropout,
// activation="gelu", batch_first=True, norm_first=True). Input (B, T, Embed); output
// (B, T, Embed).
//
// Sub-layers, in sub-scopes named as PyTorch's state dict: SelfAttn
// ("<scope>/self_attn/in_proj_weight", ...; see MultiHeadAttention), Linear1 (Embed ->
// FF) and Linear2 (FF -> Embed) (gradflow's Linear: weights (in, out), the transpose of
// PyTorch's), Norm1 and Norm2 (LayerNorm(Embed)). Each is initialised as its layer is.
type TransformerEncoderLayer struct {
	SelfAttn         *MultiHeadAttention
	Linear1, Linear2 *Linear
	Norm1, Norm2     *LayerNorm
	Embed, FF        int
	drop1, drop2     *Dropout // residual branches
	dropFF           *Dropout // between the feed-forward layers
	name             string
}

var _ Layer = (*TransformerEncoderLayer)(nil)
var _ LayerConfig = TransformerEncoderLayerConfig{}

// NewTransformerEncoderLayer creates a TransformerEncoderLayer in scope s.
func NewTransformerEncoderLayer(s *graph.Scope, cfg TransformerEncoderLayerConfig) (*TransformerEncoderLayer, error) {
	name := s.Name()
	if cfg.FF == 0 {
		cfg.FF = 4 * cfg.Embed
	}
	if cfg.FF < 0 {
		return nil, errors.Errorf("nn: transformer %q: FF = %d, want > 0 (0 means 4*Embed)", name, cfg.FF)
	}
	l := &TransformerEncoderLayer{Embed: cfg.Embed, FF: cfg.FF, name: name}
	wrap := func(err error) error { return errors.Wrapf(err, "nn: transformer %q", name) }
	var err error
	if l.SelfAttn, err = NewMultiHeadAttention(s.Sub("self_attn"), MultiHeadAttentionConfig{
		Embed: cfg.Embed, Heads: cfg.Heads, Causal: cfg.Causal, Dropout: cfg.Dropout}); err != nil {
		return nil, wrap(err)
	}
	if l.Linear1, err = NewLinear(s.Sub("linear1"), LinearConfig{In: cfg.Embed, Out: cfg.FF}); err != nil {
		return nil, wrap(err)
	}
	if l.Linear2, err = NewLinear(s.Sub("linear2"), LinearConfig{In: cfg.FF, Out: cfg.Embed}); err != nil {
		return nil, wrap(err)
	}
	if l.Norm1, err = NewLayerNorm(s.Sub("norm1"), LayerNormConfig{Dim: cfg.Embed, Eps: cfg.Eps}); err != nil {
		return nil, wrap(err)
	}
	if l.Norm2, err = NewLayerNorm(s.Sub("norm2"), LayerNormConfig{Dim: cfg.Embed, Eps: cfg.Eps}); err != nil {
		return nil, wrap(err)
	}
	for _, d := range []struct {
		sub string
		dst **Dropout
	}{{"dropout", &l.dropFF}, {"dropout1", &l.drop1}, {"dropout2", &l.drop2}} {
		if *d.dst, err = NewDropout(s.Sub(d.sub), DropoutConfig{P: cfg.Dropout}); err != nil {
			return nil, wrap(err)
		}
	}
	return l, nil
}

// Build implements LayerConfig.
func (c TransformerEncoderLayerConfig) Build(s *graph.Scope) (Layer, error) {
	return NewTransformerEncoderLayer(s, c)
}

// Forward returns the block's output for x (B, T, Embed), with no padding mask.
func (l *TransformerEncoderLayer) Forward(g *graph.Graph, x *gorgonia.Node) (*gorgonia.Node, error) {
	return l.Encode(g, x, nil)
}

// Encode returns the block's output for x (B, T, Embed); keyPadding is nil or (B, T),
// 1 at padding positions, which no position attends to (see MultiHeadAttention).
func (l *TransformerEncoderLayer) Encode(g *graph.Graph, x, keyPadding *gorgonia.Node) (y *gorgonia.Node, err error) {
	if x == nil {
		return nil, errors.Errorf("nn: transformer %q: nil input", l.name)
	}
	if s := x.Shape(); len(s) != 3 || s[2] != l.Embed {
		return nil, errors.Errorf("nn: transformer %q: input shape %v, want (batch, time, %d)", l.name, s, l.Embed)
	}
	if y, err = l.encode(g, x, keyPadding); err != nil {
		return nil, errors.Wrapf(err, "nn: transformer %q", l.name)
	}
	return y, nil
}

// encode builds the block; its sub-layers go through nn.Forward, so that a panic names
// the one it came from.
func (l *TransformerEncoderLayer) encode(g *graph.Graph, x, keyPadding *gorgonia.Node) (*gorgonia.Node, error) {
	s := x.Shape()
	b, t, e := s[0], s[1], s[2]
	n1, err := Forward(l.Norm1, g, x)
	if err != nil {
		return nil, err
	}
	a, err := l.SelfAttn.Attend(g, n1, n1, n1, keyPadding)
	if err != nil {
		return nil, err
	}
	if a, err = Forward(l.drop1, g, a); err != nil {
		return nil, err
	}
	h, err := ops.Add(x, a)
	if err != nil {
		return nil, err
	}
	n2, err := Forward(l.Norm2, g, h)
	if err != nil {
		return nil, err
	}
	f, err := gorgonia.Reshape(n2, tensor.Shape{b * t, e})
	if err != nil {
		return nil, err
	}
	if f, err = Forward(l.Linear1, g, f); err != nil {
		return nil, err
	}
	if f, err = ops.GELU(f); err != nil {
		return nil, err
	}
	if f, err = Forward(l.dropFF, g, f); err != nil {
		return nil, err
	}
	if f, err = Forward(l.Linear2, g, f); err != nil {
		return nil, err
	}
	if f, err = gorgonia.Reshape(f, tensor.Shape{b, t, e}); err != nil {
		return nil, err
	}
	if f, err = Forward(l.drop2, g, f); err != nil {
		return nil, err
	}
	return ops.Add(h, f)
}

// Params returns the Params of SelfAttn, Linear1, Linear2, Norm1 and Norm2, in that
// order (PyTorch's state dict order).
func (l *TransformerEncoderLayer) Params() []*graph.Param {
	var ps []*graph.Param
	for _, sub := range []Layer{l.SelfAttn, l.Linear1, l.Linear2, l.Norm1, l.Norm2} {
		ps = append(ps, sub.Params()...)
	}
	return ps
}

// String returns `transformer "<scope>"`, as errors name the layer.
func (l *TransformerEncoderLayer) String() string { return fmt.Sprintf("transformer %q", l.name) }
