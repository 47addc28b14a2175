package nn

import (
	"fmt"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/ops"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
)

// DropoutConfig configures a Dropout layer.
type DropoutConfig struct {
	// P is the probability of zeroing an element, in [0, 1). PyTorch's default is 0.5;
	// here the zero value means 0 (no dropout), so set it.
	P float64
}

// Dropout zeroes each element of its input with probability P and scales the others
// by 1/(1-P) (inverted dropout; Srivastava et al., 2014, "Dropout: A Simple Way to
// Prevent Neural Networks from Overfitting"), so that the expected output is the
// input. Input and output have any shape, the same. No Params.
//
// It is active only in a Train graph; in an Eval graph (and with P = 0) it is the
// identity, as PyTorch's in eval mode. The masks are drawn afresh at every run of
// the graph from a generator seeded by the Graph's seed and the layer's name
// (graph.Graph.Rand), so a training run is reproducible. It runs on ops.Dropout.
type Dropout struct {
	P    float64
	name string
}

var (
	_ Layer       = (*Dropout)(nil)
	_ LayerConfig = DropoutConfig{}
)

// NewDropout creates a Dropout layer; s names it (and its masks' seed).
func NewDropout(s *graph.Scope, cfg DropoutConfig) (*Dropout, error) {
	if !(cfg.P >= 0 && cfg.P < 1) {
		return nil, errors.Errorf("nn: dropout %q: P = %v, want in [0, 1)", s.Name(), cfg.P)
	}
	return &Dropout{P: cfg.P, name: s.Name()}, nil
}

// Build implements LayerConfig.
func (c DropoutConfig) Build(s *graph.Scope) (Layer, error) { return NewDropout(s, c) }

// Forward applies dropout to x in a Train graph and returns x itself otherwise.
func (l *Dropout) Forward(g *graph.Graph, x *gorgonia.Node) (y *gorgonia.Node, err error) {
	if x == nil {
		return nil, errors.Errorf("nn: dropout %q: nil input", l.name)
	}
	if !g.Training() || l.P == 0 {
		return x, nil
	}
	// The key holds the layer's name, so that adding a layer elsewhere does not change
	// this one's masks; UniqueName tells two uses of the layer in one graph apart.
	rng := g.Rand(g.UniqueName("dropout:" + l.name))
	if y, err = ops.Dropout(x, l.P, rng); err != nil {
		return nil, errors.Wrapf(err, "nn: dropout %q: input shape %v", l.name, x.Shape())
	}
	return y, nil
}

// Params returns nil.
func (l *Dropout) Params() []*graph.Param { return nil }

// String returns `dropout "<scope>"`, as errors name the layer.
func (l *Dropout) String() string { return fmt.Sprintf("dropout %q", l.name) }
