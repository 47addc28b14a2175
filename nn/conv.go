package nn

import (
	"fmt"
	"math"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/ops"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
)

// Conv2DConfig configures a Conv2D layer. Pairs are {height, width}. The zero values
// of Stride and Dilation mean 1, of Padding 0; WeightInit and BiasInit nil mean
// PyTorch's default, U(-1/sqrt(fanIn), 1/sqrt(fanIn)) with fanIn = In*kH*kW.
type Conv2DConfig struct {
	In, Out    int               // input and output channels, both > 0
	Kernel     [2]int            // kernel height and width, both > 0
	Stride     [2]int            // step between windows; 0 means 1
	Padding    [2]int            // zeros added on each side (top and bottom, left and right); >= 0
	Dilation   [2]int            // spacing between kernel taps; 0 means 1
	NoBias     bool              // omit the bias
	WeightInit graph.Initializer // default HeUniform{Gain: sqrt(1/3)}, i.e. U(±1/sqrt(fanIn))
	BiasInit   graph.Initializer // default U(±1/sqrt(fanIn))
}

// Conv2D is a 2-D convolution (a cross-correlation, as in PyTorch's nn.Conv2d):
//
//	y[n, o, i, j] = b[o] + sum over c, p, q of
//	    W[o, c, p, q] * xpad[n, c, i*sH + p*dH, j*sW + q*dW]
//
// Input (N, In, H, W); output (N, Out, H', W') with
// H' = floor((H + 2*padH - dH*(kH-1) - 1)/sH) + 1 and likewise W'. Weight has
// PyTorch's layout (Out, In, kH, kW), so PyTorch weights load as they are; Bias has
// shape (Out) and is nil with NoBias. Both are initialised as in PyTorch:
// U(-1/sqrt(fanIn), 1/sqrt(fanIn)), fanIn = In*kH*kW.
//
// It runs ops.Conv2D, gradflow's own convolution op (im2col and one large GEMM per
// pass, the bias fused), 1.3 to 2 times faster than gorgonia's Conv2d in our
// benchmarks, with the same gradients.
type Conv2D struct {
	Weight   *graph.Param
	Bias     *graph.Param
	In, Out  int
	Kernel   [2]int
	Stride   [2]int
	Padding  [2]int
	Dilation [2]int
	name     string
}

var _ Layer = (*Conv2D)(nil)
var _ LayerConfig = Conv2DConfig{}

// NewConv2D creates a Conv2D layer whose Params are "<scope>/weight" and
// "<scope>/bias".
func NewConv2D(s *graph.Scope, cfg Conv2DConfig) (*Conv2D, error) {
	name := s.Name()
	if cfg.In <= 0 || cfg.Out <= 0 {
		return nil, errors.Errorf("nn: conv2d %q: In = %d, Out = %d, want both > 0", name, cfg.In, cfg.Out)
	}
	if cfg.Kernel[0] <= 0 || cfg.Kernel[1] <= 0 {
		return nil, errors.Errorf("nn: conv2d %q: Kernel = %v, want both > 0", name, cfg.Kernel)
	}
	stride, dil := orOne(cfg.Stride), orOne(cfg.Dilation)
	if stride[0] < 0 || stride[1] < 0 {
		return nil, errors.Errorf("nn: conv2d %q: Stride = %v, want >= 0 (0 means 1)", name, cfg.Stride)
	}
	if dil[0] < 0 || dil[1] < 0 {
		return nil, errors.Errorf("nn: conv2d %q: Dilation = %v, want >= 0 (0 means 1)", name, cfg.Dilation)
	}
	if cfg.Padding[0] < 0 || cfg.Padding[1] < 0 {
		return nil, errors.Errorf("nn: conv2d %q: Padding = %v, want >= 0", name, cfg.Padding)
	}
	l := &Conv2D{In: cfg.In, Out: cfg.Out, Kernel: cfg.Kernel, Stride: stride,
		Padding: cfg.Padding, Dilation: dil, name: name}
	var err error
	l.Weight, l.Bias, err = convParams(s, cfg.Out, cfg.In, cfg.Kernel[:], cfg.NoBias, cfg.WeightInit, cfg.BiasInit)
	if err != nil {
		return nil, errors.Wrapf(err, "nn: conv2d %q", name)
	}
	return l, nil
}

// Build implements LayerConfig.
func (c Conv2DConfig) Build(s *graph.Scope) (Layer, error) { return NewConv2D(s, c) }

// OutputSize returns (H', W') for an input of spatial size (h, w), or an error naming
// the layer when its fields are out of range (Kernel, Stride and Dilation each >= 1,
// Padding >= 0; they are exported and may have changed since NewConv2D) or the input
// is too small for the kernel.
func (l *Conv2D) OutputSize(h, w int) (int, int, error) {
	opt, err := l.options()
	if err != nil {
		return 0, 0, err
	}
	oh, ow, err := opt.OutputSize(l.Kernel, h, w)
	if err != nil {
		return 0, 0, errors.Wrapf(err, "nn: %v", l)
	}
	return oh, ow, nil
}

// options checks the layer's fields and returns them as ops.Conv2D's options.
func (l *Conv2D) options() (ops.Conv2DOptions, error) {
	for i := range 2 {
		if l.Kernel[i] < 1 || l.Stride[i] < 1 || l.Dilation[i] < 1 || l.Padding[i] < 0 {
			return ops.Conv2DOptions{}, errors.Errorf("nn: %v: Kernel %v, Stride %v, Dilation %v, Padding %v, want Kernel, Stride and Dilation >= 1, Padding >= 0",
				l, l.Kernel, l.Stride, l.Dilation, l.Padding)
		}
	}
	return ops.Conv2DOptions{Stride: l.Stride, Padding: l.Padding, Dilation: l.Dilation}, nil
}

// Forward returns the convolution of x, of shape (N, In, H, W).
func (l *Conv2D) Forward(g *graph.Graph, x *gorgonia.Node) (y *gorgonia.Node, err error) {
	if x == nil {
		return nil, errors.Errorf("nn: conv2d %q: nil input", l.name)
	}
	shp := x.Shape()
	if len(shp) != 4 || shp[1] != l.In {
		return nil, errors.Errorf("nn: conv2d %q: input shape %v, want (N, %d, H, W)", l.name, shp, l.In)
	}
	opt, err := l.options()
	if err != nil {
		return nil, err
	}
	if oh, ow, err := opt.OutputSize(l.Kernel, shp[2], shp[3]); err != nil { // the fields are valid: too small
		return nil, errors.Errorf("nn: conv2d %q: input shape %v is too small for kernel %v (padding %v, dilation %v): output %dx%d",
			l.name, shp, l.Kernel, l.Padding, l.Dilation, oh, ow)
	}
	w, b, err := convNodes(g, l.Weight, l.Bias)
	if err != nil {
		return nil, errors.Wrapf(err, "nn: conv2d %q", l.name)
	}
	if y, err = ops.Conv2D(x, w, b, opt); err != nil {
		return nil, errors.Wrapf(err, "nn: conv2d %q: input shape %v", l.name, shp)
	}
	return y, nil
}

// Params returns [Weight, Bias] (or [Weight] with NoBias).
func (l *Conv2D) Params() []*graph.Param {
	if l.Bias == nil {
		return []*graph.Param{l.Weight}
	}
	return []*graph.Param{l.Weight, l.Bias}
}

// String returns `conv2d "<scope>"`, as errors name the layer.
func (l *Conv2D) String() string { return fmt.Sprintf("conv2d %q", l.name) }

// convNodes returns the nodes of a convolution's weight and bias (nil without).
func convNodes(g *graph.Graph, weight, bias *graph.Param) (w, b *gorgonia.Node, err error) {
	if w, err = g.Node(weight); err != nil {
		return nil, nil, err
	}
	if bias != nil {
		if b, err = g.Node(bias); err != nil {
			return nil, nil, err
		}
	}
	return w, b, nil
}

// convParams creates a convolution's weight (out, in, kernel...) and bias (out) with
// PyTorch's default initialisation unless winit or binit is set.
func convParams(s *graph.Scope, out, in int, kernel []int, noBias bool, winit, binit graph.Initializer) (w, b *graph.Param, err error) {
	shape := append([]int{out, in}, kernel...)
	fans := graph.DefaultFans(shape)
	if winit == nil {
		winit = graph.HeUniform{Gain: math.Sqrt(1.0 / 3)} // PyTorch: kaiming_uniform_(a=sqrt(5))
	}
	if w, err = s.Param("weight", graph.Weight, shape, winit, graph.WithFans(fans)); err != nil {
		return nil, nil, err
	}
	if noBias {
		return w, nil, nil
	}
	if binit == nil {
		bound := 1 / math.Sqrt(float64(fans.In))
		binit = graph.Uniform{Low: -bound, High: bound}
	}
	if b, err = s.Param("bias", graph.Bias, []int{out}, binit, graph.WithFans(fans)); err != nil {
		return nil, nil, err
	}
	return w, b, nil
}

// orOne returns p with zero entries replaced by 1.
func orOne(p [2]int) [2]int {
	for i := range p {
		if p[i] == 0 {
			p[i] = 1
		}
	}
	return p
}
