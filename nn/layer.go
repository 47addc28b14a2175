package nn

import (
	"github.com/gradflow/gradflow/graph"
	"gorgonia.org/gorgonia"
)

// Layer is a piece of a model. Forward adds the layer's computation on x to g and
// returns its output node; it must return an error (never panic) for an input it
// cannot take, naming the layer and the shapes. Params returns the layer's Params (its
// own and its sub-layers'), in a stable order.
type Layer interface {
	Forward(g *graph.Graph, x *gorgonia.Node) (*gorgonia.Node, error)
	Params() []*graph.Param
}

// LayerConfig is a layer's hyperparameters; Build creates the layer and its Params in
// scope s. NewSequential accepts LayerConfigs and builds each in its own sub-scope.
type LayerConfig interface {
	Build(s *graph.Scope) (Layer, error)
}

// Forward calls l.Forward, turning a panic from gorgonia into an error.
func Forward(l Layer, g *graph.Graph, x *gorgonia.Node) (out *gorgonia.Node, err error) {
	defer graph.Recover(&err)
	return l.Forward(g, x)
}
