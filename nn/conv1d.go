package nn

import (
	"fmt"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/ops"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
)

// Conv1DConfig configures a Conv1D layer. The zero values of Stride and Dilation mean
// 1, of Padding 0; WeightInit and BiasInit nil mean PyTorch's default,
// U(-1/sqrt(fanIn), 1/sqrt(fanIn)) with fanIn = In*Kernel.
type Conv1DConfig struct {
	In, Out    int               // input and output channels, both > 0
	Kernel     int               // kernel length, > 0
	Stride     int               // step between windows; 0 means 1
	Padding    int               // zeros added at each end; >= 0
	Dilation   int               // spacing between kernel taps; 0 means 1
	NoBias     bool              // omit the bias
	WeightInit graph.Initializer // default HeUniform{Gain: sqrt(1/3)}, i.e. U(±1/sqrt(fanIn))
	BiasInit   graph.Initializer // default U(±1/sqrt(fanIn))
}

// Conv1D is a 1-D convolution over sequences (PyTorch's nn.Conv1d):
//
//	y[n, o, i] = b[o] + sum over c, p of W[o, c, p] * xpad[n, c, i*stride + p*dilation]
//
// Input (N, In, L); output (N, Out, L') with
// L' = floor((L + 2*padding - dilation*(kernel-1) - 1)/stride) + 1. Weight has PyTorch's
// layout (Out, In, Kernel); Bias has shape (Out) and is nil with NoBias; both are
// initialised U(-1/sqrt(In*Kernel), 1/sqrt(In*Kernel)) as in PyTorch.
//
// It runs ops.Conv1D.
type Conv1D struct {
	Weight                            *graph.Param
	Bias                              *graph.Param
	In, Out                           int
	Kernel, Stride, Padding, Dilation int
	name                              string
}

var _ Layer = (*Conv1D)(nil)
var _ LayerConfig = Conv1DConfig{}

// NewConv1D creates a Conv1D layer whose Params are "<scope>/weight" and
// "<scope>/bias".
func NewConv1D(s *graph.Scope, cfg Conv1DConfig) (*Conv1D, error) {
	name := s.Name()
	switch {
	case cfg.In <= 0 || cfg.Out <= 0:
		return nil, errors.Errorf("nn: conv1d %q: In = %d, Out = %d, want both > 0", name, cfg.In, cfg.Out)
	case cfg.Kernel <= 0:
		return nil, errors.Errorf("nn: conv1d %q: Kernel = %d, want > 0", name, cfg.Kernel)
	case cfg.Stride < 0:
		return nil, errors.Errorf("nn: conv1d %q: Stride = %d, want >= 0 (0 means 1)", name, cfg.Stride)
	case cfg.Padding < 0:
		return nil, errors.Errorf("nn: conv1d %q: Padding = %d, want >= 0", name, cfg.Padding)
	case cfg.Dilation < 0:
		return nil, errors.Errorf("nn: conv1d %q: Dilation = %d, want >= 0 (0 means 1)", name, cfg.Dilation)
	}
	stride, dil := max(cfg.Stride, 1), max(cfg.Dilation, 1)
	l := &Conv1D{In: cfg.In, Out: cfg.Out, Kernel: cfg.Kernel, Stride: stride, Padding: cfg.Padding,
		Dilation: dil, name: name}
	var err error
	l.Weight, l.Bias, err = convParams(s, cfg.Out, cfg.In, []int{cfg.Kernel}, cfg.NoBias, cfg.WeightInit, cfg.BiasInit)
	if err != nil {
		return nil, errors.Wrapf(err, "nn: conv1d %q", name)
	}
	return l, nil
}

// Build implements LayerConfig.
func (c Conv1DConfig) Build(s *graph.Scope) (Layer, error) { return NewConv1D(s, c) }

// OutputSize returns L' for an input of length n, or an error naming the layer when
// its fields are out of range (Kernel, Stride and Dilation >= 1, Padding >= 0; they
// are exported and may have changed since NewConv1D) or the input is too short for the
// kernel.
func (l *Conv1D) OutputSize(n int) (int, error) {
	opt, err := l.options()
	if err != nil {
		return 0, err
	}
	out, err := opt.OutputSize(l.Kernel, n)
	if err != nil {
		return 0, errors.Wrapf(err, "nn: %v", l)
	}
	return out, nil
}

// options checks the layer's fields and returns them as ops.Conv1D's options.
func (l *Conv1D) options() (ops.Conv1DOptions, error) {
	if l.Kernel < 1 || l.Stride < 1 || l.Dilation < 1 || l.Padding < 0 {
		return ops.Conv1DOptions{}, errors.Errorf("nn: %v: Kernel %d, Stride %d, Dilation %d, Padding %d, want Kernel, Stride and Dilation >= 1, Padding >= 0",
			l, l.Kernel, l.Stride, l.Dilation, l.Padding)
	}
	return ops.Conv1DOptions{Stride: l.Stride, Padding: l.Padding, Dilation: l.Dilation}, nil
}

// Forward returns the convolution of x, of shape (N, In, L).
func (l *Conv1D) Forward(g *graph.Graph, x *gorgonia.Node) (y *gorgonia.Node, err error) {
	if x == nil {
		return nil, errors.Errorf("nn: conv1d %q: nil input", l.name)
	}
	shp := x.Shape()
	if len(shp) != 3 || shp[1] != l.In {
		return nil, errors.Errorf("nn: conv1d %q: input shape %v, want (N, %d, L)", l.name, shp, l.In)
	}
	opt, err := l.options()
	if err != nil {
		return nil, err
	}
	if _, err := opt.OutputSize(l.Kernel, shp[2]); err != nil { // the fields are valid: too short
		return nil, errors.Errorf("nn: conv1d %q: input shape %v is too short for kernel %d (padding %d, dilation %d)",
			l.name, shp, l.Kernel, l.Padding, l.Dilation)
	}
	w, b, err := convNodes(g, l.Weight, l.Bias)
	if err != nil {
		return nil, errors.Wrapf(err, "nn: conv1d %q", l.name)
	}
	if y, err = ops.Conv1D(x, w, b, opt); err != nil {
		return nil, errors.Wrapf(err, "nn: conv1d %q: input shape %v", l.name, shp)
	}
	return y, nil
}

// Params returns [Weight, Bias] (or [Weight] with NoBias).
func (l *Conv1D) Params() []*graph.Param {
	if l.Bias == nil {
		return []*graph.Param{l.Weight}
	}
	return []*graph.Param{l.Weight, l.Bias}
}

// String returns `conv1d "<scope>"`, as errors name the layer.
func (l *Conv1D) String() string { return fmt.Sprintf("conv1d %q", l.name) }
