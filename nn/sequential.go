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

// Forward applies the layers in order.
func (s *Sequential) Forward(g *graph.Graph, x *gorgonia.Node) (*gorgonia.Node, error) {
	for i, l := range s.Layers {
		var err error
		if x, err = Forward(l, g, x); err != nil {
			return nil, errors.Wrapf(err, "nn: sequential %q: layer %d", s.name, i)
		}
	}
	return x, nil
}

// Params returns the layers' Params in layer order.
func (s *Sequential) Params() []*graph.Param {
	var ps []*graph.Param
	for _, l := range s.Layers {
		ps = append(ps, l.Params()...)
	}
	return ps
}
