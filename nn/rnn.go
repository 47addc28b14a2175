package nn

import (
	"fmt"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/ops"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
)

// RNNConfig configures an RNN layer (an Elman network with tanh).
type RNNConfig struct {
	In, Hidden int               // input features and hidden units, both > 0
	NoBias     bool              // omit BiasIH and BiasHH (PyTorch's bias=False)
	Init       graph.Initializer // every Param's init; default U(-1/sqrt(Hidden), 1/sqrt(Hidden)), PyTorch's
}

// RNN is a single-layer recurrent network with tanh (PyTorch's nn.RNN with
// batch_first=True, num_layers=1, nonlinearity="tanh"):
//
//	h_t = tanh(x_t·W_ihᵀ + b_ih + h_{t-1}·W_hhᵀ + b_hh)
//
// Input x (B, T, In), batch first; Forward returns every hidden state, (B, T, Hidden);
// Run also returns the last one, (B, Hidden), and takes an optional initial state h0
// (B, Hidden) (zeros when nil).
//
// Params in PyTorch's layout, so that weights copy over as they are: WeightIH
// (Hidden, In), WeightHH (Hidden, Hidden), BiasIH and BiasHH (Hidden), named
// "<scope>/weight_ih", "weight_hh", "bias_ih", "bias_hh"; all drawn from
// U(-1/sqrt(Hidden), 1/sqrt(Hidden)) by default.
type RNN struct {
	WeightIH, WeightHH *graph.Param
	BiasIH, BiasHH     *graph.Param // nil with NoBias
	In, Hidden         int
	name               string
}

var _ Layer = (*RNN)(nil)
var _ LayerConfig = RNNConfig{}

// NewRNN creates an RNN layer in scope s.
func NewRNN(s *graph.Scope, cfg RNNConfig) (*RNN, error) {
	p, err := newRecurrentParams(s, "rnn", 1, cfg.In, cfg.Hidden, cfg.NoBias, cfg.Init)
	if err != nil {
		return nil, err
	}
	return &RNN{WeightIH: p.wih, WeightHH: p.whh, BiasIH: p.bih, BiasHH: p.bhh,
		In: cfg.In, Hidden: cfg.Hidden, name: s.Name()}, nil
}

// Build implements LayerConfig.
func (c RNNConfig) Build(s *graph.Scope) (Layer, error) { return NewRNN(s, c) }

func (l *RNN) params() recurrentParams {
	return recurrentParams{l.WeightIH, l.WeightHH, l.BiasIH, l.BiasHH}
}

// Forward returns the hidden states of every step, (B, T, Hidden), from a zero
// initial state.
func (l *RNN) Forward(g *graph.Graph, x *gorgonia.Node) (*gorgonia.Node, error) {
	out, _, err := l.Run(g, x, nil)
	return out, err
}

// Run returns the hidden states of every step, (B, T, Hidden), and the last one,
// (B, Hidden), starting from h0 (B, Hidden), or zeros when h0 is nil.
func (l *RNN) Run(g *graph.Graph, x, h0 *gorgonia.Node) (out, last *gorgonia.Node, err error) {
	wih, whh, bih, bhh, st, err := l.params().nodes(g, "rnn", l.name, x, l.In, l.Hidden,
		map[string]*gorgonia.Node{"h": h0}, "h")
	if err != nil {
		return nil, nil, err
	}
	if out, last, err = ops.RNN(x, st[0], wih, whh, bih, bhh); err != nil {
		return nil, nil, errors.Wrapf(err, "nn: rnn %q", l.name)
	}
	return out, last, nil
}

// Params returns [WeightIH, WeightHH, BiasIH, BiasHH] (without the biases with NoBias).
func (l *RNN) Params() []*graph.Param { return l.params().list() }

// String returns `rnn "<scope>"`, as errors name the layer.
func (l *RNN) String() string { return fmt.Sprintf("rnn %q", l.name) }
