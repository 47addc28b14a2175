package nn

import (
	"fmt"
	"math"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/ops"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
)

// LinearConfig configures a Linear layer. The zero values of WeightInit and BiasInit
// mean PyTorch's default: U(-1/sqrt(In), 1/sqrt(In)) for both.
type LinearConfig struct {
	In, Out int  // input and output widths, both > 0
	NoBias  bool // omit the bias
	// Activation is applied to the output: y = Activation(x·W + b). nil (the default)
	// means none. The Linear builds it in the same node when the activation has a
	// fused kernel (ReLU: ops.LinearReLU, the same values and gradients bit for bit as
	// the two apart, with one pass over the output and one (N, Out) tensor fewer).
	//
	// In a Sequential, a Linear with an Activation takes two positions, as the two
	// modules of PyTorch's nn.Sequential(nn.Linear(...), nn.ReLU()) that it stands
	// for: the next layer is numbered two after it, so every Param keeps the name (and
	// the initial value seeded from it) that it has with the activation as an item of
	// its own, and PyTorch's state_dict keys.
	Activation Activation
	WeightInit graph.Initializer // default HeUniform{Gain: sqrt(1/3)}, i.e. U(±1/sqrt(In))
	BiasInit   graph.Initializer // default U(±1/sqrt(In))
}

// Linear is a fully connected layer: y = x·W + b, followed by its Activation if it has
// one.
//
// Input (N, In); output (N, Out); or, over the last axis of any rank as PyTorch's
// nn.Linear, (N, T, In) to (N, T, Out). Weight has shape (In, Out), the transpose of PyTorch's
// (out_features, in_features), so the forward pass is a plain matrix product; Bias has
// shape (Out) and is nil with NoBias.
type Linear struct {
	Weight     *graph.Param
	Bias       *graph.Param
	In         int
	Out        int
	Activation Activation // applied to the output; nil: none
	name       string
}

var _ Layer = (*Linear)(nil)
var _ LayerConfig = LinearConfig{}

// NewLinear creates a Linear layer whose Params are "<scope>/weight" and
// "<scope>/bias".
func NewLinear(s *graph.Scope, cfg LinearConfig) (*Linear, error) {
	name := s.Name()
	if cfg.In <= 0 {
		return nil, errors.Errorf("nn: linear %q: In = %d, want > 0", name, cfg.In)
	}
	if cfg.Out <= 0 {
		return nil, errors.Errorf("nn: linear %q: Out = %d, want > 0", name, cfg.Out)
	}
	bound := 1 / math.Sqrt(float64(cfg.In))
	winit := cfg.WeightInit
	if winit == nil {
		winit = graph.HeUniform{Gain: math.Sqrt(1.0 / 3)}
	}
	l := &Linear{In: cfg.In, Out: cfg.Out, Activation: cfg.Activation, name: name}
	var err error
	l.Weight, err = s.Param("weight", graph.Weight, []int{cfg.In, cfg.Out}, winit,
		graph.WithFans(graph.Fans{In: cfg.In, Out: cfg.Out}))
	if err != nil {
		return nil, errors.Wrapf(err, "nn: linear %q", name)
	}
	if !cfg.NoBias {
		binit := cfg.BiasInit
		if binit == nil {
			binit = graph.Uniform{Low: -bound, High: bound}
		}
		l.Bias, err = s.Param("bias", graph.Bias, []int{cfg.Out}, binit,
			graph.WithFans(graph.Fans{In: cfg.In, Out: cfg.Out}))
		if err != nil {
			return nil, errors.Wrapf(err, "nn: linear %q", name)
		}
	}
	return l, nil
}

// Build implements LayerConfig.
func (c LinearConfig) Build(s *graph.Scope) (Layer, error) { return NewLinear(s, c) }

// span implements spanner: two positions with an Activation (see LinearConfig).
func (c LinearConfig) span() int { return linearSpan(c.Activation) }

// Forward returns Activation(x·W + b) for x of shape (N, In), as one node
// (ops.Linear: one GEMM and a bias pass forward, three GEMM-or-sum nodes backward, no
// transposed copies), fused with the activation when it has a fused kernel
// (ops.LinearReLU), else followed by the activation's nodes.
func (l *Linear) Forward(g *graph.Graph, x *gorgonia.Node) (y *gorgonia.Node, err error) {
	if x == nil {
		return nil, errors.Errorf("nn: linear %q: nil input", l.name)
	}
	if shp := x.Shape(); len(shp) < 2 || shp[len(shp)-1] != l.In {
		return nil, errors.Errorf("nn: linear %q: input shape %v, want (N, %d) (or (N, ..., %d))", l.name, shp, l.In, l.In)
	}
	w, err := g.Node(l.Weight)
	if err != nil {
		return nil, errors.Wrapf(err, "nn: linear %q", l.name)
	}
	var b *gorgonia.Node
	if l.Bias != nil {
		if b, err = g.Node(l.Bias); err != nil {
			return nil, errors.Wrapf(err, "nn: linear %q", l.name)
		}
	}
	if f, ok := l.Activation.(linearFuser); ok && f.linearFused() != nil {
		if y, err = f.linearFused()(x, w, b); err != nil {
			return nil, errors.Wrapf(err, "nn: linear %q (%s)", l.name, label(l.Activation))
		}
		return y, nil
	}
	if y, err = ops.Linear(x, w, b); err != nil {
		return nil, errors.Wrapf(err, "nn: linear %q", l.name)
	}
	if l.Activation != nil {
		if y, err = l.Activation.Forward(g, y); err != nil {
			return nil, errors.Wrapf(err, "nn: linear %q: activation %s", l.name, label(l.Activation))
		}
	}
	return y, nil
}

// span implements spanner: two positions with an Activation.
func (l *Linear) span() int { return linearSpan(l.Activation) }

func linearSpan(a Activation) int {
	if a != nil {
		return 2
	}
	return 1
}

// String returns `linear "<scope>"`.
func (l *Linear) String() string { return fmt.Sprintf("linear %q", l.name) }

// Params returns [Weight, Bias] (or [Weight] with NoBias).
func (l *Linear) Params() []*graph.Param {
	if l.Bias == nil {
		return []*graph.Param{l.Weight}
	}
	return []*graph.Param{l.Weight, l.Bias}
}
