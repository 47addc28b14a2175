package nn

import (
	"fmt"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/ops"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
)

// MaxPool2DConfig configures a MaxPool2D layer: the window, with ops.Pool2DOptions'
// fields and rule (pairs are {height, width}; Kernel required, Stride 0 meaning the
// kernel's size, Padding each in [0, kernel/2]). Pooling has no Params, so the config is
// the options; ExcludePad does nothing for the maximum.
type MaxPool2DConfig ops.Pool2DOptions

// AvgPool2DConfig configures an AvgPool2D layer: the window, with ops.Pool2DOptions'
// fields and rule, ExcludePad included (PyTorch's count_include_pad=False).
type AvgPool2DConfig ops.Pool2DOptions

// Pool2D is a 2-D pooling layer, MaxPool2D or AvgPool2D: it takes the maximum or the
// mean of each Kernel window, moved by Stride over the input padded with Padding on
// each side (with -Inf for the maximum, zeros for the mean).
//
// Input (N, C, H, W); output (N, C, H', W') with H' = floor((H + 2*padH - kH)/sH) + 1
// and likewise W' (PyTorch's ceil_mode=False). No Params.
//
// MaxPool2D's gradient goes to the first maximum of each window (PyTorch's choice on
// ties); a NaN in a window makes its maximum NaN. AvgPool2D divides by the kernel's
// area, padding included, unless ExcludePad (PyTorch's count_include_pad); it runs on
// ops.AvgPool2D.
type Pool2D struct {
	Kernel, Stride, Padding [2]int
	ExcludePad              bool
	max                     bool
	name                    string
}

var (
	_ Layer       = (*Pool2D)(nil)
	_ LayerConfig = MaxPool2DConfig{}
	_ LayerConfig = AvgPool2DConfig{}
)

// NewMaxPool2D creates a max-pooling layer; s only names it.
func NewMaxPool2D(s *graph.Scope, cfg MaxPool2DConfig) (*Pool2D, error) {
	return newPool2D(s.Name(), ops.Pool2DOptions(cfg), true)
}

// NewAvgPool2D creates an average-pooling layer; s only names it.
func NewAvgPool2D(s *graph.Scope, cfg AvgPool2DConfig) (*Pool2D, error) {
	return newPool2D(s.Name(), ops.Pool2DOptions(cfg), false)
}

// Build implements LayerConfig.
func (c MaxPool2DConfig) Build(s *graph.Scope) (Layer, error) { return NewMaxPool2D(s, c) }

// Build implements LayerConfig.
func (c AvgPool2DConfig) Build(s *graph.Scope) (Layer, error) { return NewAvgPool2D(s, c) }

func newPool2D(name string, o ops.Pool2DOptions, isMax bool) (*Pool2D, error) {
	l := &Pool2D{max: isMax, name: name}
	if err := o.Validate(); err != nil {
		return nil, errors.Wrapf(err, "nn: %s %q", l.kind(), name)
	}
	o = o.WithDefaults()
	l.Kernel, l.Stride, l.Padding, l.ExcludePad = o.Kernel, o.Stride, o.Padding, o.ExcludePad && !isMax
	return l, nil
}

func (l *Pool2D) kind() string {
	if l.max {
		return "maxpool2d"
	}
	return "avgpool2d"
}

// OutputSize returns (H', W') for an input of spatial size (h, w), or an error naming
// the layer when its fields are out of range (Kernel and Stride >= 1, Padding in [0,
// Kernel/2]; they are exported and may have changed since construction) or the input
// is smaller than the kernel.
func (l *Pool2D) OutputSize(h, w int) (int, int, error) {
	opt, err := l.options()
	if err != nil {
		return 0, 0, err
	}
	oh, ow, err := opt.OutputSize(h, w)
	if err != nil {
		return 0, 0, errors.Wrapf(err, "nn: %v", l)
	}
	return oh, ow, nil
}

// options checks the layer's fields and returns them as the ops' options.
func (l *Pool2D) options() (ops.Pool2DOptions, error) {
	o := ops.Pool2DOptions{Kernel: l.Kernel, Stride: l.Stride, Padding: l.Padding, ExcludePad: l.ExcludePad}
	if l.Stride[0] < 1 || l.Stride[1] < 1 {
		return o, errors.Errorf("nn: %v: Stride = %v, want both >= 1", l, l.Stride)
	}
	if err := o.Validate(); err != nil {
		return o, errors.Wrapf(err, "nn: %v", l)
	}
	return o, nil
}

// Forward pools x, of shape (N, C, H, W).
func (l *Pool2D) Forward(_ *graph.Graph, x *gorgonia.Node) (y *gorgonia.Node, err error) {
	if x == nil {
		return nil, errors.Errorf("nn: %s %q: nil input", l.kind(), l.name)
	}
	shp := x.Shape()
	if len(shp) != 4 {
		return nil, errors.Errorf("nn: %s %q: input shape %v, want (N, C, H, W)", l.kind(), l.name, shp)
	}
	opt, err := l.options()
	if err != nil {
		return nil, err
	}
	if _, _, err := opt.OutputSize(shp[2], shp[3]); err != nil { // the fields are valid: too small
		return nil, errors.Errorf("nn: %s %q: input shape %v is smaller than kernel %v (padding %v)", l.kind(), l.name, shp, l.Kernel, l.Padding)
	}
	if l.max {
		y, err = ops.MaxPool2D(x, opt)
	} else {
		y, err = ops.AvgPool2D(x, opt)
	}
	if err != nil {
		return nil, errors.Wrapf(err, "nn: %s %q", l.kind(), l.name)
	}
	return y, nil
}

// Params returns nil: pooling has no Params.
func (l *Pool2D) Params() []*graph.Param { return nil }

// String returns `maxpool2d or avgpool2d "<scope>"`, as errors name the layer.
func (l *Pool2D) String() string { return fmt.Sprintf("%s %q", l.kind(), l.name) }

// GlobalAvgPool2DConfig configures a GlobalAvgPool2D layer.
type GlobalAvgPool2DConfig struct {
	// KeepDims gives an (N, C, 1, 1) output, as PyTorch's AdaptiveAvgPool2d(1); the
	// default (N, C) feeds a Linear layer directly (Keras' GlobalAveragePooling2D).
	KeepDims bool
}

// GlobalAvgPool2D averages each channel over its whole plane: input (N, C, H, W),
// output (N, C), or (N, C, 1, 1) with KeepDims. No Params. It runs on
// ops.GlobalAvgPool2D (gorgonia's GlobalAveragePool2D has no gradient).
type GlobalAvgPool2D struct {
	KeepDims bool
	name     string
}

var (
	_ Layer       = (*GlobalAvgPool2D)(nil)
	_ LayerConfig = GlobalAvgPool2DConfig{}
)

// NewGlobalAvgPool2D creates a global average-pooling layer; s only names it.
func NewGlobalAvgPool2D(s *graph.Scope, cfg GlobalAvgPool2DConfig) (*GlobalAvgPool2D, error) {
	return &GlobalAvgPool2D{KeepDims: cfg.KeepDims, name: s.Name()}, nil
}

// Build implements LayerConfig.
func (c GlobalAvgPool2DConfig) Build(s *graph.Scope) (Layer, error) { return NewGlobalAvgPool2D(s, c) }

// Forward averages x, of shape (N, C, H, W), over H and W.
func (l *GlobalAvgPool2D) Forward(_ *graph.Graph, x *gorgonia.Node) (y *gorgonia.Node, err error) {
	if x == nil {
		return nil, errors.Errorf("nn: globalavgpool2d %q: nil input", l.name)
	}
	shp := x.Shape()
	if len(shp) != 4 {
		return nil, errors.Errorf("nn: globalavgpool2d %q: input shape %v, want (N, C, H, W)", l.name, shp)
	}
	if y, err = ops.GlobalAvgPool2D(x); err != nil {
		return nil, errors.Wrapf(err, "nn: globalavgpool2d %q", l.name)
	}
	if l.KeepDims {
		return y, nil
	}
	if y, err = ops.Reshape(y, shp[0], shp[1]); err != nil {
		return nil, errors.Wrapf(err, "nn: globalavgpool2d %q", l.name)
	}
	return y, nil
}

// Params returns nil: pooling has no Params.
func (l *GlobalAvgPool2D) Params() []*graph.Param { return nil }

// String returns `globalavgpool2d "<scope>"`, as errors name the layer.
func (l *GlobalAvgPool2D) String() string { return fmt.Sprintf("globalavgpool2d %q", l.name) }
