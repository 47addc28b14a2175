package nn

import (
	"fmt"

	"github.com/gradflow/gradflow/graph"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
)

// ResidualConfig configures a Residual block. Inner and Projection are the items of
// two Sequentials (as for NewSequential: layer configs, Activations, Use(l) for a
// layer built elsewhere), built in the sub-scopes "inner" and "proj".
type ResidualConfig struct {
	// Inner is the residual branch F; required.
	Inner []LayerConfig
	// Projection is the shortcut branch P, used when F changes the shape (a 1x1
	// Conv2D with stride, often followed by BatchNorm2D). Empty means the identity.
	Projection []LayerConfig
}

// Residual is a skip connection around a layer (He et al., 2016, "Deep Residual
// Learning for Image Recognition"):
//
//	y = Inner(x) + x              without a projection
//	y = Inner(x) + Projection(x)  with one
//
// The two branches must give the same shape, which is the output's; the input is what
// Inner takes. Params are Inner's then Projection's. A ResNet basic block is
//
//	block, err := nn.NewResidual(s.Sub("block1"), nn.ResidualConfig{
//		Inner: []nn.LayerConfig{
//			nn.Conv2DConfig{In: 64, Out: 128, Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, NoBias: true},
//			nn.BatchNorm2DConfig{Features: 128}, nn.ReLU,
//			nn.Conv2DConfig{In: 128, Out: 128, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, NoBias: true},
//			nn.BatchNorm2DConfig{Features: 128},
//		},
//		Projection: []nn.LayerConfig{
//			nn.Conv2DConfig{In: 64, Out: 128, Kernel: [2]int{1, 1}, Stride: [2]int{2, 2}, NoBias: true},
//			nn.BatchNorm2DConfig{Features: 128},
//		},
//	})
//
// followed by a ReLU. Inner and Projection may also be set directly on a Residual
// value to wrap layers built elsewhere (Projection nil for the identity).
type Residual struct {
	Inner      Layer
	Projection Layer // nil: identity shortcut
	name       string
}

var (
	_ Layer       = (*Residual)(nil)
	_ LayerConfig = ResidualConfig{}
)

// NewResidual builds a Residual block in scope s: Inner's Params are named
// "<scope>/inner/<i>/...", Projection's "<scope>/proj/<i>/...".
func NewResidual(s *graph.Scope, cfg ResidualConfig) (*Residual, error) {
	r := &Residual{name: s.Name()}
	if len(cfg.Inner) == 0 {
		return nil, errors.Errorf("nn: residual %q: empty Inner", r.name)
	}
	var err error
	if r.Inner, err = NewSequential(s.Sub("inner"), cfg.Inner...); err != nil {
		return nil, errors.Wrapf(err, "nn: residual %q", r.name)
	}
	if len(cfg.Projection) > 0 {
		if r.Projection, err = NewSequential(s.Sub("proj"), cfg.Projection...); err != nil {
			return nil, errors.Wrapf(err, "nn: residual %q", r.name)
		}
	}
	return r, nil
}

// Build implements LayerConfig.
func (c ResidualConfig) Build(s *graph.Scope) (Layer, error) { return NewResidual(s, c) }

// Forward returns Inner(x) + x, or Inner(x) + Projection(x), building each branch
// through nn.Forward.
func (r *Residual) Forward(g *graph.Graph, x *gorgonia.Node) (y *gorgonia.Node, err error) {
	if x == nil {
		return nil, errors.Errorf("nn: residual %q: nil input", r.name)
	}
	if isNil(r.Inner) {
		return nil, errors.Errorf("nn: residual %q: nil Inner", r.name)
	}
	f, err := Forward(r.Inner, g, x)
	if err != nil {
		return nil, errors.Wrapf(err, "nn: residual %q", r.name)
	}
	skip, what := x, "input"
	if !isNil(r.Projection) {
		if skip, err = Forward(r.Projection, g, x); err != nil {
			return nil, errors.Wrapf(err, "nn: residual %q: projection", r.name)
		}
		what = "projection"
	}
	if !f.Shape().Eq(skip.Shape()) {
		return nil, errors.Errorf("nn: residual %q: inner output shape %v and %s shape %v differ; add or fix the projection",
			r.name, f.Shape(), what, skip.Shape())
	}
	if y, err = gorgonia.Add(f, skip); err != nil {
		return nil, errors.Wrapf(err, "nn: residual %q", r.name)
	}
	return y, nil
}

// Params returns Inner's Params, then Projection's.
func (r *Residual) Params() []*graph.Param {
	var ps []*graph.Param
	if !isNil(r.Inner) {
		ps = append(ps, r.Inner.Params()...)
	}
	if !isNil(r.Projection) {
		ps = append(ps, r.Projection.Params()...)
	}
	return ps
}

// String returns `residual "<scope>"`.
func (r *Residual) String() string { return fmt.Sprintf("residual %q", r.name) }
