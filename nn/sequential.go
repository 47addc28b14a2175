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

// NewSequential builds a Sequential in scope s from items: each is built in the
// sub-scope named by its position, as in PyTorch ("<scope>/0/weight",
// "<scope>/2/weight"). An item is any LayerConfig: a layer's config
// (nn.LinearConfig{...}), an Activation (nn.ReLU), or Use(l) for a layer built
// elsewhere.
//
// Positions count as PyTorch's nn.Sequential would: one per item, except a Linear with
// an Activation, which takes two (the Linear and the activation modules it stands for),
// so that
//
//	nn.LinearConfig{In: 784, Out: 256, Activation: nn.ReLU}, nn.LinearConfig{In: 256, Out: 10}
//
// names its Params "mlp/0/..." and "mlp/2/...", as the items
// nn.LinearConfig{In: 784, Out: 256}, nn.ReLU, nn.LinearConfig{In: 256, Out: 10} do.
// Errors name the layer by its position: `nn: sequential "mlp": layer 2 (linear
// "mlp/2"): ...`.
func NewSequential(s *graph.Scope, items ...LayerConfig) (*Sequential, error) {
	seq := &Sequential{name: s.Name()}
	if len(items) == 0 {
		return nil, errors.Errorf("nn: sequential %q: no layers", seq.name)
	}
	pos := 0
	for _, it := range items {
		if it == nil {
			return nil, errors.Errorf("nn: sequential %q: layer %d is nil", seq.name, pos)
		}
		l, err := it.Build(s.Sub(fmt.Sprint(pos)))
		if err != nil {
			return nil, errors.Wrapf(err, "nn: sequential %q: layer %d (%T)", seq.name, pos, it)
		}
		if isNil(l) {
			return nil, errors.Errorf("nn: sequential %q: layer %d: %T built a nil Layer", seq.name, pos, it)
		}
		seq.Layers = append(seq.Layers, l)
		pos += span(it)
	}
	return seq, nil
}

// spanner is implemented by the configs and layers that take more than one position
// in a Sequential's numbering (a Linear with an Activation).
type spanner interface{ span() int }

// span returns the number of positions v takes in a Sequential: 1 unless it says
// otherwise.
func span(v any) int {
	if sp, ok := v.(spanner); ok {
		return sp.span()
	}
	return 1
}

// Forward applies the layers in order, each through nn.Forward (a panic becomes an
// error naming the layer).
func (s *Sequential) Forward(g *graph.Graph, x *gorgonia.Node) (*gorgonia.Node, error) {
	pos := 0
	for _, l := range s.Layers {
		y, err := Forward(l, g, x)
		if err != nil {
			return nil, errors.Wrapf(err, "nn: sequential %q: layer %d (%s)", s.name, pos, label(l))
		}
		x = y
		pos += span(l)
	}
	return x, nil
}

// Params returns the layers' Params in layer order.
func (s *Sequential) Params() []*graph.Param {
	var ps []*graph.Param
	for _, l := range s.Layers {
		if !isNil(l) {
			ps = append(ps, l.Params()...)
		}
	}
	return ps
}

// String returns `sequential "<scope>"`.
func (s *Sequential) String() string { return fmt.Sprintf("sequential %q", s.name) }
