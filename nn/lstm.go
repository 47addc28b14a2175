package nn

import (
	"github.com/gradflow/gradflow/graph"
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
	defer graph.Recover(&err)
	u, err := unroll(g, "lstm", l.name, x, l.In, l.Hidden, 4, l.params(), true)
	if err != nil {
		return nil, nil, nil, errors.Wrapf(err, "nn: lstm %q", l.name)
	}
	if h, err = u.initialState(g, "lstm", l.name, "h", h0); err != nil {
		return nil, nil, nil, err
	}
	if c, err = u.initialState(g, "lstm", l.name, "c", c0); err != nil {
		return nil, nil, nil, err
	}
	hs := make([]*gorgonia.Node, u.time)
	for t, xt := range u.xs {
		if h, c, err = lstmStep(u, xt, h, c); err != nil {
			return nil, nil, nil, errors.Wrapf(err, "nn: lstm %q: step %d", l.name, t)
		}
		hs[t] = h
	}
	if out, err = stackTime(hs, u.batch, l.Hidden); err != nil {
		return nil, nil, nil, errors.Wrapf(err, "nn: lstm %q", l.name)
	}
	return out, h, c, nil
}

func lstmStep(u *unrolled, xt, h, c *gorgonia.Node) (hNext, cNext *gorgonia.Node, err error) {
	hp, err := u.recurrentMatMul(h)
	if err != nil {
		return nil, nil, err
	}
	pre, err := gorgonia.Add(xt, hp)
	if err != nil {
		return nil, nil, err
	}
	gs, err := splitGates(pre, 4, u.batch, u.hidden)
	if err != nil {
		return nil, nil, err
	}
	var act [4]*gorgonia.Node
	for k, fn := range [4]func(*gorgonia.Node) (*gorgonia.Node, error){gorgonia.Sigmoid, gorgonia.Sigmoid, gorgonia.Tanh, gorgonia.Sigmoid} {
		if act[k], err = fn(gs[k]); err != nil {
			return nil, nil, err
		}
	}
	i, f, g, o := act[0], act[1], act[2], act[3]
	fc, err := gorgonia.HadamardProd(f, c)
	if err != nil {
		return nil, nil, err
	}
	ig, err := gorgonia.HadamardProd(i, g)
	if err != nil {
		return nil, nil, err
	}
	if cNext, err = gorgonia.Add(fc, ig); err != nil {
		return nil, nil, err
	}
	tc, err := gorgonia.Tanh(cNext)
	if err != nil {
		return nil, nil, err
	}
	if hNext, err = gorgonia.HadamardProd(o, tc); err != nil {
		return nil, nil, err
	}
	return hNext, cNext, nil
}

// Params returns [WeightIH, WeightHH, BiasIH, BiasHH] (without the biases with NoBias).
func (l *LSTM) Params() []*graph.Param { return l.params().list() }
