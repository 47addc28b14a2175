package nn

import (
	"fmt"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/ops"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
)

// LSTMConfig configures an LSTM layer.
type LSTMConfig struct {
	In, Hidden int               // input features and hidden units, both > 0
	NoBias     bool              // omit BiasIH and BiasHH (PyTorch's bias=False)
	Init       graph.Initializer // every Param's init; default U(-1/sqrt(Hidden), 1/sqrt(Hidden)), PyTorch's
}

// LSTM is a single-layer long short-term memory network (Hochreiter & Schmidhuber,
// 1997, "Long short-term memory"; PyTorch's nn.LSTM with batch_first=True,
// num_layers=1):
//
//	i = σ(x·W_iiᵀ + b_ii + h·W_hiᵀ + b_hi)    f = σ(x·W_ifᵀ + b_if + h·W_hfᵀ + b_hf)
//	g = tanh(x·W_igᵀ + b_ig + h·W_hgᵀ + b_hg) o = σ(x·W_ioᵀ + b_io + h·W_hoᵀ + b_ho)
//	c' = f*c + i*g                             h' = o*tanh(c')
//
// Input x (B, T, In), batch first; Forward returns every hidden state, (B, T, Hidden);
// Run also returns the last hidden state and cell, (B, Hidden) each, and takes optional
// initial states h0 and c0 (B, Hidden) (zeros when nil).
//
// Params in PyTorch's layout, gates stacked in the order i, f, g, o: WeightIH
// (4*Hidden, In), WeightHH (4*Hidden, Hidden), BiasIH and BiasHH (4*Hidden), named
// "<scope>/weight_ih", "weight_hh", "bias_ih", "bias_hh"; all drawn from
// U(-1/sqrt(Hidden), 1/sqrt(Hidden)) by default.
type LSTM struct {
	WeightIH, WeightHH *graph.Param
	BiasIH, BiasHH     *graph.Param // nil with NoBias
	In, Hidden         int
	name               string
}

var _ Layer = (*LSTM)(nil)
var _ LayerConfig = LSTMConfig{}

// NewLSTM creates an LSTM layer in scope s.
func NewLSTM(s *graph.Scope, cfg LSTMConfig) (*LSTM, error) {
	p, err := newRecurrentParams(s, "lstm", 4, cfg.In, cfg.Hidden, cfg.NoBias, cfg.Init)
	if err != nil {
		return nil, err
	}
	return &LSTM{WeightIH: p.wih, WeightHH: p.whh, BiasIH: p.bih, BiasHH: p.bhh,
		In: cfg.In, Hidden: cfg.Hidden, name: s.Name()}, nil
}

// Build implements LayerConfig.
func (c LSTMConfig) Build(s *graph.Scope) (Layer, error) { return NewLSTM(s, c) }

func (l *LSTM) params() recurrentParams {
	return recurrentParams{l.WeightIH, l.WeightHH, l.BiasIH, l.BiasHH}
}

// Forward returns the hidden states of every step, (B, T, Hidden), from zero initial
// states.
func (l *LSTM) Forward(g *graph.Graph, x *gorgonia.Node) (*gorgonia.Node, error) {
	out, _, _, err := l.Run(g, x, nil, nil)
	return out, err
}

// Run returns the hidden states of every step, (B, T, Hidden), and the last hidden
// state h and cell c, (B, Hidden) each, starting from h0 and c0 (B, Hidden), zeros
// where nil.
func (l *LSTM) Run(g *graph.Graph, x, h0, c0 *gorgonia.Node) (out, h, c *gorgonia.Node, err error) {
	wih, whh, bih, bhh, st, err := l.params().nodes(g, "lstm", l.name, x, l.In, l.Hidden,
		map[string]*gorgonia.Node{"h": h0, "c": c0}, "h", "c")
	if err != nil {
		return nil, nil, nil, err
	}
	if out, h, c, err = ops.LSTM(x, st[0], st[1], wih, whh, bih, bhh); err != nil {
		return nil, nil, nil, errors.Wrapf(err, "nn: lstm %q", l.name)
	}
	return out, h, c, nil
}

// Params returns [WeightIH, WeightHH, BiasIH, BiasHH] (without the biases with NoBias).
func (l *LSTM) Params() []*graph.Param { return l.params().list() }

// String returns `lstm "<scope>"`, as errors name the layer.
func (l *LSTM) String() string { return fmt.Sprintf("lstm %q", l.name) }
