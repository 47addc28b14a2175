package nn

import (
	"fmt"
	"math"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/ops"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
)

// LayerNormConfig configures a LayerNorm layer. Eps is ops.LayerNormOptions' field,
// with its rule (validated by ops.LayerNormOptions.Validate); the layer normalises the
// last axis only (the options' Axes 1).
type LayerNormConfig struct {
	Dim      int     // size of the normalised (last) axis, > 0
	Eps      float64 // added to the variance, finite and >= 0; 0 means 1e-5, PyTorch's
	NoAffine bool    // omit Weight and Bias (PyTorch's elementwise_affine=False)
}

// LayerNorm normalises every vector along the last axis to zero mean and unit variance
// and then scales and shifts it (Ba, Kiros & Hinton, 2016, "Layer Normalization"):
//
//	y = (x - mean(x)) / sqrt(var(x) + Eps) * Weight + Bias
//
// with the biased variance, as PyTorch's nn.LayerNorm(Dim). Input (..., Dim), any rank
// >= 1; output of the same shape. Weight and Bias have shape (Dim), named
// "<scope>/weight" and "<scope>/bias", initialised to ones and zeros; both are nil with
// NoAffine. It is one fused op, ops.LayerNorm.
type LayerNorm struct {
	Weight, Bias *graph.Param // nil with NoAffine
	Dim          int
	Eps          float64
	name         string
}

var _ Layer = (*LayerNorm)(nil)
var _ LayerConfig = LayerNormConfig{}

// NewLayerNorm creates a LayerNorm layer in scope s.
func NewLayerNorm(s *graph.Scope, cfg LayerNormConfig) (*LayerNorm, error) {
	o := ops.LayerNormOptions{Eps: cfg.Eps}
	if err := o.Validate(); err != nil {
		return nil, errors.Wrapf(err, "nn: layer norm %q", s.Name())
	}
	weight, bias, eps, err := newNormParams(s, "layer norm", cfg.Dim, o.WithDefaults().Eps, ops.DefaultLayerNormEps, cfg.NoAffine, true)
	if err != nil {
		return nil, err
	}
	return &LayerNorm{Weight: weight, Bias: bias, Dim: cfg.Dim, Eps: eps, name: s.Name()}, nil
}

// Build implements LayerConfig.
func (c LayerNormConfig) Build(s *graph.Scope) (Layer, error) { return NewLayerNorm(s, c) }

// newNormParams validates a norm layer's config and creates its weight (ones) and,
// with withBias, its bias (zeros).
func newNormParams(s *graph.Scope, kind string, dim int, eps, defEps float64, noAffine, withBias bool) (w, b *graph.Param, e float64, err error) {
	name := s.Name()
	if dim <= 0 {
		return nil, nil, 0, errors.Errorf("nn: %s %q: Dim = %d, want > 0", kind, name, dim)
	}
	if eps == 0 {
		eps = defEps
	}
	if !(eps > 0) || math.IsInf(eps, 0) {
		return nil, nil, 0, errors.Errorf("nn: %s %q: Eps = %g, want finite and > 0", kind, name, eps)
	}
	if noAffine {
		return nil, nil, eps, nil
	}
	if w, err = s.Param("weight", graph.Weight, []int{dim}, graph.Ones{}); err != nil {
		return nil, nil, 0, errors.Wrapf(err, "nn: %s %q", kind, name)
	}
	if withBias {
		if b, err = s.Param("bias", graph.Bias, []int{dim}, graph.Zeros{}); err != nil {
			return nil, nil, 0, errors.Wrapf(err, "nn: %s %q", kind, name)
		}
	}
	return w, b, eps, nil
}

// checkLastDim returns an error unless x is a non-nil node whose last axis is dim.
func checkLastDim(kind, name string, x *gorgonia.Node, dim int) error {
	if x == nil {
		return errors.Errorf("nn: %s %q: nil input", kind, name)
	}
	if s := x.Shape(); s.Dims() < 1 || s[s.Dims()-1] != dim {
		return errors.Errorf("nn: %s %q: input shape %v, want (..., %d)", kind, name, s, dim)
	}
	return nil
}

// Forward normalises x (..., Dim) over its last axis.
func (l *LayerNorm) Forward(g *graph.Graph, x *gorgonia.Node) (y *gorgonia.Node, err error) {
	if err := checkLastDim("layer norm", l.name, x, l.Dim); err != nil {
		return nil, err
	}
	var w, b *gorgonia.Node
	if l.Weight != nil {
		if w, err = g.Node(l.Weight); err != nil {
			return nil, errors.Wrapf(err, "nn: layer norm %q", l.name)
		}
		if b, err = g.Node(l.Bias); err != nil {
			return nil, errors.Wrapf(err, "nn: layer norm %q", l.name)
		}
	}
	if y, err = ops.LayerNorm(x, w, b, ops.LayerNormOptions{Eps: l.Eps}); err != nil {
		return nil, errors.Wrapf(err, "nn: layer norm %q", l.name)
	}
	return y, nil
}

// Params returns [Weight, Bias], or nil with NoAffine.
func (l *LayerNorm) Params() []*graph.Param {
	if l.Weight == nil {
		return nil
	}
	return []*graph.Param{l.Weight, l.Bias}
}

// String returns `layer norm "<scope>"`, as errors name the layer.
func (l *LayerNorm) String() string { return fmt.Sprintf("layer norm %q", l.name) }

// RMSNormConfig configures an RMSNorm layer.
type RMSNormConfig struct {
	Dim      int     // size of the normalised (last) axis, > 0
	Eps      float64 // added to the mean square; 0 means 1e-6
	NoAffine bool    // omit Weight
}

// RMSNorm scales every vector along the last axis by the inverse of its root mean
// square (Zhang & Sennrich, 2019, "Root Mean Square Layer Normalization"):
//
//	y = x / sqrt(mean(x²) + Eps) * Weight
//
// as PyTorch's nn.RMSNorm(Dim, eps) (PyTorch >= 2.4; its default eps is the dtype's
// machine epsilon, gradflow's 1e-6 as in LLaMA). Input (..., Dim), any rank >= 1;
// output of the same shape. Weight has shape (Dim), named "<scope>/weight",
// initialised to ones; nil with NoAffine. No bias.
// It is one fused op, ops.RMSNorm.
type RMSNorm struct {
	Weight *graph.Param // nil with NoAffine
	Dim    int
	Eps    float64
	name   string
}

var _ Layer = (*RMSNorm)(nil)
var _ LayerConfig = RMSNormConfig{}

// NewRMSNorm creates an RMSNorm layer in scope s.
func NewRMSNorm(s *graph.Scope, cfg RMSNormConfig) (*RMSNorm, error) {
	weight, _, eps, err := newNormParams(s, "rms norm", cfg.Dim, cfg.Eps, 1e-6, cfg.NoAffine, false)
	if err != nil {
		return nil, err
	}
	return &RMSNorm{Weight: weight, Dim: cfg.Dim, Eps: eps, name: s.Name()}, nil
}

// Build implements LayerConfig.
func (c RMSNormConfig) Build(s *graph.Scope) (Layer, error) { return NewRMSNorm(s, c) }

// Forward normalises x (..., Dim) over its last axis.
func (l *RMSNorm) Forward(g *graph.Graph, x *gorgonia.Node) (y *gorgonia.Node, err error) {
	if err := checkLastDim("rms norm", l.name, x, l.Dim); err != nil {
		return nil, err
	}
	var w *gorgonia.Node
	if l.Weight != nil {
		if w, err = g.Node(l.Weight); err != nil {
			return nil, errors.Wrapf(err, "nn: rms norm %q", l.name)
		}
	}
	if y, err = ops.RMSNorm(x, w, l.Eps); err != nil {
		return nil, errors.Wrapf(err, "nn: rms norm %q", l.name)
	}
	return y, nil
}

// Params returns [Weight], or nil with NoAffine.
func (l *RMSNorm) Params() []*graph.Param {
	if l.Weight == nil {
		return nil
	}
	return []*graph.Param{l.Weight}
}

// String returns `rms norm "<scope>"`, as errors name the layer.
func (l *RMSNorm) String() string { return fmt.Sprintf("rms norm %q", l.name) }
