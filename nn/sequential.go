package nn

import (
	"fmt"

	"github.com/gradflow/gradflow/graph"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
)

// Sequential applies its layers in order: the output of each is the input of the next.
// Input and output shapes are those of the first and the last layer.
type Sequential struct {
	Layers []Layer
	name   string
}

var _ Layer = (*Sequential)(nil)

// NewSequential builds a Sequential in scope s from items, each a Layer (used as is)
// or a LayerConfig (built in the sub-scope named by its position, as in PyTorch:
// "<scope>/0/weight", "<scope>/2/weight").
func NewSequential(s *graph.Scope, items ...any) (*Sequential, error) {
	seq := &Sequential{name: s.Name()}
	if len(items) == 0 {
		return nil, errors.Errorf("nn: sequential %q: no layers", seq.name)
	}
	for i, it := range items {
		switch v := it.(type) {
		case LayerConfig:
			l, err := v.Build(s.Sub(fmt.Sprint(i)))
			if err != nil {
				return nil, errors.Wrapf(err, "nn: sequential %q: layer %d", seq.name, i)
			}
			seq.Layers = append(seq.Layers, l)
		case Layer:
			if v == nil {
				return nil, errors.Errorf("nn: sequential %q: layer %d is nil", seq.name, i)
			}
			seq.Layers = append(seq.Layers, v)
		default:
			return nil, errors.Errorf("nn: sequential %q: item %d is a %T, want a Layer or a LayerConfig", seq.name, i, it)
		}
	}
	return seq, nil
}

// Forward applies the layers in order. A *Linear followed by ReLU() becomes one node
// (ops.LinearReLU) with the same values and gradients, bit for bit, as the two
// layers apart: one pass over the output and one (N, Out) tensor fewer.
func (s *Sequential) Forward(g *graph.Graph, x *gorgonia.Node) (*gorgonia.Node, error) {
	for i := 0; i < len(s.Layers); i++ {
		var err error
		if lin, ok := s.Layers[i].(*Linear); ok && i+1 < len(s.Layers) && isReLU(s.Layers[i+1]) {
			if x, err = lin.forward(g, x, true); err != nil {
				return nil, errors.Wrapf(err, "nn: sequential %q: layers %d and %d (linear, relu)", s.name, i, i+1)
			}
			i++
			continue
		}
		if x, err = Forward(s.Layers[i], g, x); err != nil {
			return nil, errors.Wrapf(err, "nn: sequential %q: layer %d", s.name, i)
		}
	}
	return x, nil
}

// isReLU reports whether l is the activation ReLU() returns.
func isReLU(l Layer) bool {
	a, ok := l.(Activation)
	return ok && a.name == reluName
}

// Params returns the layers' Params in layer order.
func (s *Sequential) Params() []*graph.Param {
	var ps []*graph.Param
	for _, l := range s.Layers {
		ps = append(ps, l.Params()...)
	}
	return ps
}
