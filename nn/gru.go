package nn

import (
	"fmt"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/ops"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
)

// GRUConfig configures a GRU layer.
type GRUConfig struct {
	In, Hidden int               // input features and hidden units, both > 0
	NoBias     bool              // omit BiasIH and BiasHH (PyTorch's bias=False)
	Init       graph.Initializer // every Param's init; default U(-1/sqrt(Hidden), 1/sqrt(Hidden)), PyTorch's
}

// GRU is a single-layer gated recurrent unit network (Cho et al., 2014, "Learning
// phrase representations using RNN encoder-decoder"), with PyTorch's formula (nn.GRU
// with batch_first=True, num_layers=1), where the reset gate multiplies W_hn·h + b_hn:
//
//	r = σ(x·W_irᵀ + b_ir + h·W_hrᵀ + b_hr)
//	z = σ(x·W_izᵀ + b_iz + h·W_hzᵀ + b_hz)
//	n = tanh(x·W_inᵀ + b_in + r*(h·W_hnᵀ + b_hn))
//	h' = (1-z)*n + z*h
//
// Input x (B, T, In), batch first; Forward returns every hidden state, (B, T, Hidden);
// Run also returns the last one, (B, Hidden), and takes an optional initial state h0
// (B, Hidden) (zeros when nil).
//
// Params in PyTorch's layout, gates stacked in the order r, z, n: WeightIH
// (3*Hidden, In), WeightHH (3*Hidden, Hidden), BiasIH and BiasHH (3*Hidden), named
// "<scope>/weight_ih", "weight_hh", "bias_ih", "bias_hh"; all drawn from
// U(-1/sqrt(Hidden), 1/sqrt(Hidden)) by default.
type GRU struct {
	WeightIH, WeightHH *graph.Param
	BiasIH, BiasHH     *graph.Param // nil with NoBias
	In, Hidden         int
	name               string
}

var _ Layer = (*GRU)(nil)
var _ LayerConfig = GRUConfig{}

// NewGRU creates a GRU layer in scope s.
func NewGRU(s *graph.Scope, cfg GRUConfig) (*GRU, error) {
	p, err := newRecurrentParams(s, "gru", 3, cfg.In, cfg.Hidden, cfg.NoBias, cfg.Init)
	if err != nil {
		return nil, err
	}
	return &GRU{WeightIH: p.wih, WeightHH: p.whh, BiasIH: p.bih, BiasHH: p.bhh,
		In: cfg.In, Hidden: cfg.Hidden, name: s.Name()}, nil
}

// Build implements LayerConfig.
func (c GRUConfig) Build(s *graph.Scope) (Layer, error) { return NewGRU(s, c) }

func (l *GRU) params() recurrentParams {
	return recurrentParams{l.WeightIH, l.WeightHH, l.BiasIH, l.BiasHH}
}

// Forward returns the hidden states of every step, (B, T, Hidden), from a zero
// initial state.
func (l *GRU) Forward(g *graph.Graph, x *gorgonia.Node) (*gorgonia.Node, error) {
	out, _, err := l.Run(g, x, nil)
	return out, err
}

// Run returns the hidden states of every step, (B, T, Hidden), and the last one,
// (B, Hidden), starting from h0 (B, Hidden), or zeros when h0 is nil.
func (l *GRU) Run(g *graph.Graph, x, h0 *gorgonia.Node) (out, last *gorgonia.Node, err error) {
	wih, whh, bih, bhh, st, err := l.params().nodes(g, "gru", l.name, x, l.In, l.Hidden,
		map[string]*gorgonia.Node{"h": h0}, "h")
	if err != nil {
		return nil, nil, err
	}
	if out, last, err = ops.GRU(x, st[0], wih, whh, bih, bhh); err != nil {
		return nil, nil, errors.Wrapf(err, "nn: gru %q", l.name)
	}
	return out, last, nil
}

// Params returns [WeightIH, WeightHH, BiasIH, BiasHH] (without the biases with NoBias).
func (l *GRU) Params() []*graph.Param { return l.params().list() }

// String returns `gru "<scope>"`, as errors name the layer.
func (l *GRU) String() string { return fmt.Sprintf("gru %q", l.name) }
