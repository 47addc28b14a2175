package nn

import (
	"fmt"
	"reflect"

	"github.com/gradflow/gradflow/graph"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
)

// Layer is a piece of a model. Forward adds the layer's computation on x to g and
// returns its output node; it must return an error for an input it cannot take, naming
// the layer and the shapes. Params returns the layer's Params (its own and its
// sub-layers'), in a stable order.
//
// Build a layer's nodes with nn.Forward(l, g, x) rather than l.Forward(g, x) when the
// layer may panic (gorgonia's Must helpers, a bug): nn.Forward returns the panic as an
// error naming the layer. Sequential, Residual and the Trainer do.
type Layer interface {
	Forward(g *graph.Graph, x *gorgonia.Node) (*gorgonia.Node, error)
	Params() []*graph.Param
}

// LayerConfig is a layer's hyperparameters; Build creates the layer and its Params in
// scope s. NewSequential and ResidualConfig take LayerConfigs and build each in its
// own sub-scope. An Activation is its own LayerConfig; Use makes one of a layer built
// elsewhere.
type LayerConfig interface {
	Build(s *graph.Scope) (Layer, error)
}

// Forward returns l.Forward(g, x), turning a panic inside it into an error that names
// the layer (its String, as `linear "mlp/0"`, and its Go type) and says whose code
// panicked and in which function (a graph.PanicError: gorgonia's, gradflow's or the
// user's):
//
//	nn: linear "mlp/0" (*nn.Linear): gorgonia panicked in gorgonia.org/gorgonia.Must: ...
//	nn: layer *main.myLayer: user code panicked in main.(*myLayer).Forward: ...
//
// It is the boundary at which gradflow recovers the panics of graph building: the
// layers themselves do not recover. Sequential, Residual, the Transformer block and
// the Trainer call it for each of their layers, so the innermost layer is the one
// named.
func Forward(l Layer, g *graph.Graph, x *gorgonia.Node) (y *gorgonia.Node, err error) {
	if isNil(l) {
		return nil, errors.Errorf("nn: Forward of a nil Layer (%T)", l)
	}
	panicked := true
	defer func() {
		if panicked { // graph.Recover, deferred below, has made the panic err
			y, err = nil, errors.Wrap(err, "nn: "+describe(l))
		}
	}()
	defer graph.Recover(&err)
	y, err = l.Forward(g, x)
	panicked = false
	return y, err
}

// label names a layer in an error: its String (`linear "mlp/0"`, "relu") or, for a
// layer without one, its Go type.
func label(l Layer) string {
	if l == nil {
		return "nil"
	}
	if s, ok := l.(fmt.Stringer); ok && !isNil(l) {
		return s.String()
	}
	return fmt.Sprintf("%T", l)
}

// describe names a layer with its Go type: `linear "mlp/0" (*nn.Linear)`, or
// "layer *main.myLayer" for a layer without a String method.
func describe(l Layer) string {
	if s, ok := l.(fmt.Stringer); ok && !isNil(l) {
		return fmt.Sprintf("%s (%T)", s.String(), l)
	}
	return fmt.Sprintf("layer %T", l)
}

// Use returns a LayerConfig whose Build returns l as it is, to put a layer built
// elsewhere (shared with another model, or with a Forward of its own, such as the last
// state of an LSTM) in a Sequential or a Residual. l keeps the Params and names it was
// built with; it still takes its position in the Sequential's numbering.
func Use(l Layer) LayerConfig { return use{l} }

// use is Use's LayerConfig.
type use struct{ l Layer }

func (u use) Build(*graph.Scope) (Layer, error) {
	if isNil(u.l) {
		return nil, errors.Errorf("nn: Use of a nil Layer (%T)", u.l)
	}
	return u.l, nil
}

// span implements spanner: the positions of the layer used.
func (u use) span() int { return span(u.l) }

// String names the layer used.
func (u use) String() string { return "use(" + label(u.l) + ")" }

// isNil reports whether l is nil or a nil pointer.
func isNil(l Layer) bool {
	if l == nil {
		return true
	}
	v := reflect.ValueOf(l)
	return v.Kind() == reflect.Pointer && v.IsNil()
}
