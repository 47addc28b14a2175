package nn

import (
	"fmt"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/ops"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
)

// FlattenConfig configures a Flatten layer. It has no fields; it exists so that
// Flatten can be an item of NewSequential like every other layer.
type FlattenConfig struct{}

// Flatten keeps the batch axis and flattens the others (PyTorch's nn.Flatten()):
// input (N, d1, d2, ...), output (N, d1*d2*...). A 2-D input passes unchanged. No
// Params.
type Flatten struct{ name string }

var (
	_ Layer       = (*Flatten)(nil)
	_ LayerConfig = FlattenConfig{}
)

// NewFlatten creates a Flatten layer; s only names it.
func NewFlatten(s *graph.Scope, _ FlattenConfig) (*Flatten, error) {
	return &Flatten{name: s.Name()}, nil
}

// Build implements LayerConfig.
func (c FlattenConfig) Build(s *graph.Scope) (Layer, error) { return NewFlatten(s, c) }

// Forward reshapes x to (N, rest).
func (l *Flatten) Forward(_ *graph.Graph, x *gorgonia.Node) (y *gorgonia.Node, err error) {
	if x == nil {
		return nil, errors.Errorf("nn: flatten %q: nil input", l.name)
	}
	shp := x.Shape()
	if len(shp) < 2 {
		return nil, errors.Errorf("nn: flatten %q: input shape %v, want (N, ...) with at least 2 axes", l.name, shp)
	}
	if len(shp) == 2 {
		return x, nil
	}
	if y, err = ops.Reshape(x, shp[0], shp.TotalSize()/shp[0]); err != nil {
		return nil, errors.Wrapf(err, "nn: flatten %q: input shape %v", l.name, shp)
	}
	return y, nil
}

// Params returns nil.
func (l *Flatten) Params() []*graph.Param { return nil }

// String returns `flatten "<scope>"`, as errors name the layer.
func (l *Flatten) String() string { return fmt.Sprintf("flatten %q", l.name) }

// ReshapeConfig configures a Reshape layer.
type ReshapeConfig struct {
	// Shape is the shape of each example, without the batch axis; at most one entry
	// may be -1, inferred from the others. Every other entry is > 0.
	Shape []int
	// WithBatch makes Shape the whole output shape, batch axis included, so that a
	// Reshape can merge or split the batch and time axes of sequences (PyTorch's
	// x.view(-1, F) and x.view(-1, T, F)): {-1, F} turns (N, T, F) into (N·T, F),
	// {-1, T, F} turns it back.
	WithBatch bool
}

// Reshape gives each example a new shape, keeping the batch axis and the row-major
// order of the values (PyTorch's x.view(N, *Shape)): input (N, ...), output
// (N, Shape...). No Params.
type Reshape struct {
	Shape     []int
	WithBatch bool
	name      string
}

var (
	_ Layer       = (*Reshape)(nil)
	_ LayerConfig = ReshapeConfig{}
)

// NewReshape creates a Reshape layer; s only names it.
func NewReshape(s *graph.Scope, cfg ReshapeConfig) (*Reshape, error) {
	name := s.Name()
	if len(cfg.Shape) == 0 {
		return nil, errors.Errorf("nn: reshape %q: empty Shape", name)
	}
	infer := 0
	for _, d := range cfg.Shape {
		switch {
		case d == -1:
			infer++
		case d <= 0:
			return nil, errors.Errorf("nn: reshape %q: Shape %v, want entries > 0 or one -1", name, cfg.Shape)
		}
	}
	if infer > 1 {
		return nil, errors.Errorf("nn: reshape %q: Shape %v has %d entries -1, want at most one", name, cfg.Shape, infer)
	}
	return &Reshape{Shape: append([]int(nil), cfg.Shape...), WithBatch: cfg.WithBatch, name: name}, nil
}

// Build implements LayerConfig.
func (c ReshapeConfig) Build(s *graph.Scope) (Layer, error) { return NewReshape(s, c) }

// Forward reshapes x, of shape (N, ...), to (N, Shape...).
func (l *Reshape) Forward(_ *graph.Graph, x *gorgonia.Node) (y *gorgonia.Node, err error) {
	if x == nil {
		return nil, errors.Errorf("nn: reshape %q: nil input", l.name)
	}
	shp := x.Shape()
	if len(shp) < 1 {
		return nil, errors.Errorf("nn: reshape %q: input is a scalar, want (N, ...)", l.name)
	}
	per := shp.TotalSize() / shp[0]
	out := []int{shp[0]}
	if l.WithBatch {
		per, out = shp.TotalSize(), nil
	}
	known, inferAt := 1, -1
	for i, d := range l.Shape {
		if d == -1 {
			inferAt = i
			d = 1
		}
		known *= d
		out = append(out, d)
	}
	if inferAt >= 0 && per%known == 0 {
		out[len(out)-len(l.Shape)+inferAt] = per / known
		known = per
	}
	if l.WithBatch && known != per {
		return nil, errors.Errorf("nn: reshape %q: input shape %v has %d values, Shape %v (with the batch axis) wants %d",
			l.name, shp, per, l.Shape, known)
	}
	if known != per {
		return nil, errors.Errorf("nn: reshape %q: input shape %v has %d values per example, Shape %v wants %d",
			l.name, shp, per, l.Shape, known)
	}
	if y, err = ops.Reshape(x, out...); err != nil {
		return nil, errors.Wrapf(err, "nn: reshape %q: input shape %v", l.name, shp)
	}
	return y, nil
}

// Params returns nil.
func (l *Reshape) Params() []*graph.Param { return nil }

// String returns `reshape "<scope>"`, as errors name the layer.
func (l *Reshape) String() string { return fmt.Sprintf("reshape %q", l.name) }
