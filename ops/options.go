package ops

import (
	"math"

	"github.com/pkg/errors"
)

// The options of the op families that have more than their node inputs. Each is one
// struct whose zero value is PyTorch's default, field by field, with one Validate (the
// rule, used by the op and by the nn layers that hold the same fields) and one
// WithDefaults (the zero fields replaced by their defaults).

// BatchNormOptions are BatchNorm's hyperparameters. The zero value is PyTorch's
// F.batch_norm and nn.BatchNorm2d defaults, in evaluation: momentum 0.1, eps 1e-5.
type BatchNormOptions struct {
	// Momentum is the weight of the batch statistic in the running-average update,
	// running = (1-Momentum)*running + Momentum*batch (PyTorch's convention; Keras'
	// momentum is 1 minus it), in [0, 1]. 0 means PyTorch's 0.1; to leave the running
	// statistics unchanged (PyTorch's momentum=0), set FreezeStats.
	Momentum float64
	// Eps is added to the variance before the square root: finite and >= 0, 0 meaning
	// PyTorch's 1e-5.
	Eps float64
	// Training normalises with the batch's statistics, and updates the running ones,
	// instead of normalising with the running statistics (PyTorch's training=True).
	Training bool
	// FreezeStats, in training, keeps the running statistics as they are: the batch's
	// statistics still normalise, but no run updates them (PyTorch's momentum=0, which
	// Momentum 0 cannot say since it means the default). It does nothing in evaluation.
	FreezeStats bool
}

// Validate returns an error naming the first field of o out of its range (see the
// fields); zero fields are valid (their defaults).
func (o BatchNormOptions) Validate() error {
	if !(o.Momentum >= 0 && o.Momentum <= 1) {
		return errors.Errorf("ops: BatchNormOptions: Momentum = %v, want in [0, 1] (0 means 0.1)", o.Momentum)
	}
	if !(o.Eps >= 0) || math.IsInf(o.Eps, 0) {
		return errors.Errorf("ops: BatchNormOptions: Eps = %v, want finite and > 0 (0 means 1e-5)", o.Eps)
	}
	return nil
}

// WithDefaults returns o with Momentum 0 replaced by 0.1 and Eps 0 by 1e-5.
func (o BatchNormOptions) WithDefaults() BatchNormOptions {
	if o.Momentum == 0 {
		o.Momentum = 0.1
	}
	if o.Eps == 0 {
		o.Eps = 1e-5
	}
	return o
}

// LayerNormOptions are LayerNorm's hyperparameters. The zero value normalises the last
// axis with PyTorch's epsilon 1e-5.
type LayerNormOptions struct {
	// Axes is the number of trailing axes normalised together (PyTorch's
	// normalized_shape is x's shape from there on), >= 0; 0 means 1, the last axis.
	// LayerNorm also needs it at most x's rank.
	Axes int
	// Eps is added to the variance before the square root: finite and >= 0, 0 meaning
	// PyTorch's 1e-5 (DefaultLayerNormEps).
	Eps float64
}

// DefaultLayerNormEps is LayerNorm's epsilon when LayerNormOptions.Eps is 0.
const DefaultLayerNormEps = 1e-5

// Validate returns an error naming the first field of o out of its range (see the
// fields); zero fields are valid (their defaults).
func (o LayerNormOptions) Validate() error {
	if o.Axes < 0 {
		return errors.Errorf("ops: LayerNormOptions: Axes = %d, want >= 0 (0 means 1)", o.Axes)
	}
	if !(o.Eps >= 0) || math.IsInf(o.Eps, 0) {
		return errors.Errorf("ops: LayerNormOptions: Eps = %g, want finite and > 0 (0 means 1e-5)", o.Eps)
	}
	return nil
}

// WithDefaults returns o with Axes 0 replaced by 1 and Eps 0 by DefaultLayerNormEps.
func (o LayerNormOptions) WithDefaults() LayerNormOptions {
	if o.Axes == 0 {
		o.Axes = 1
	}
	if o.Eps == 0 {
		o.Eps = DefaultLayerNormEps
	}
	return o
}

// Pool2DOptions are the window of a 2-D pooling, (height, width) pairs, as PyTorch's
// F.avg_pool2d and nn.MaxPool2d arguments (with ceil_mode=False). Kernel is required:
// the zero value is not usable.
type Pool2DOptions struct {
	// Kernel is the window's (height, width), both > 0.
	Kernel [2]int
	// Stride is the step between windows, (height, width), each >= 0; 0 means the
	// kernel's size in that dimension (PyTorch's default).
	Stride [2]int
	// Padding is the number of elements added on each side, (height, width): each in
	// [0, kernel/2], as PyTorch requires, so that every window holds an input element.
	// Average pooling pads with zeros, max pooling with -Inf.
	Padding [2]int
	// ExcludePad divides each window's sum by the number of input elements in it
	// rather than by the kernel's area (PyTorch's count_include_pad=False); the default
	// counts the padding, as PyTorch's does. Max pooling ignores it.
	ExcludePad bool
}

// Validate returns an error naming the first field of o out of its range (see the
// fields); a zero Stride is valid (the kernel's size).
func (o Pool2DOptions) Validate() error {
	for i := range 2 {
		if o.Kernel[i] <= 0 {
			return errors.Errorf("ops: Pool2DOptions: Kernel = %v, want both > 0", o.Kernel)
		}
	}
	for i := range 2 {
		if o.Stride[i] < 0 {
			return errors.Errorf("ops: Pool2DOptions: Stride = %v, want both >= 0 (0 means the kernel size)", o.Stride)
		}
	}
	for i := range 2 {
		if o.Padding[i] < 0 || 2*o.Padding[i] > o.Kernel[i] {
			return errors.Errorf("ops: Pool2DOptions: Padding = %v, want each in [0, kernel/2] for Kernel %v", o.Padding, o.Kernel)
		}
	}
	return nil
}

// WithDefaults returns o with each zero Stride replaced by the kernel's size.
func (o Pool2DOptions) WithDefaults() Pool2DOptions {
	for i := range 2 {
		if o.Stride[i] == 0 {
			o.Stride[i] = o.Kernel[i]
		}
	}
	return o
}

// OutputSize returns the pooled height and width of an (h, w) input with o (defaults
// filled in), or an error naming a field of o out of its range or an input too small
// for the kernel.
func (o Pool2DOptions) OutputSize(h, w int) (int, int, error) {
	if err := o.Validate(); err != nil {
		return 0, 0, err
	}
	o = o.WithDefaults()
	oh := convOut(h, o.Kernel[0], o.Stride[0], o.Padding[0], 1)
	ow := convOut(w, o.Kernel[1], o.Stride[1], o.Padding[1], 1)
	if oh < 1 || ow < 1 {
		return 0, 0, errors.Errorf("ops: input %dx%d is smaller than the kernel %v (padding %v)", h, w, o.Kernel, o.Padding)
	}
	return oh, ow, nil
}

// Conv2DOptions are a 2-D convolution's settings besides its nodes, (height, width)
// pairs, as PyTorch's F.conv2d arguments (with groups=1). The zero value is PyTorch's
// default: stride 1, no padding, dilation 1. The kernel's size is the weight's.
type Conv2DOptions struct {
	// Stride is the step between windows, each >= 0; 0 means 1.
	Stride [2]int
	// Padding is the number of zeros added on each side (top and bottom, left and
	// right), each >= 0.
	Padding [2]int
	// Dilation is the spacing between kernel taps, each >= 0; 0 means 1.
	Dilation [2]int
}

// Validate returns an error naming the first field of o out of its range (see the
// fields); zero fields are valid (their defaults).
func (o Conv2DOptions) Validate() error {
	for i := range 2 {
		if o.Stride[i] < 0 {
			return errors.Errorf("ops: Conv2DOptions: Stride = %v, want both >= 0 (0 means 1)", o.Stride)
		}
	}
	for i := range 2 {
		if o.Padding[i] < 0 {
			return errors.Errorf("ops: Conv2DOptions: Padding = %v, want both >= 0", o.Padding)
		}
	}
	for i := range 2 {
		if o.Dilation[i] < 0 {
			return errors.Errorf("ops: Conv2DOptions: Dilation = %v, want both >= 0 (0 means 1)", o.Dilation)
		}
	}
	return nil
}

// WithDefaults returns o with each zero Stride and Dilation replaced by 1.
func (o Conv2DOptions) WithDefaults() Conv2DOptions {
	for i := range 2 {
		o.Stride[i] = max(o.Stride[i], 1)
		o.Dilation[i] = max(o.Dilation[i], 1)
	}
	return o
}

// OutputSize returns the output height and width of a convolution with o (defaults
// filled in) and a kernel of kernel (height, width) on an (h, w) input, or an error
// naming a field of o out of its range, a kernel < 1, or an input too small for the
// kernel (with the sizes computed, < 1, for the message of a caller).
func (o Conv2DOptions) OutputSize(kernel [2]int, h, w int) (int, int, error) {
	if err := o.Validate(); err != nil {
		return 0, 0, err
	}
	if kernel[0] < 1 || kernel[1] < 1 {
		return 0, 0, errors.Errorf("ops: Conv2D: kernel %v, want both > 0", kernel)
	}
	o = o.WithDefaults()
	oh := convOut(h, kernel[0], o.Stride[0], o.Padding[0], o.Dilation[0])
	ow := convOut(w, kernel[1], o.Stride[1], o.Padding[1], o.Dilation[1])
	if oh < 1 || ow < 1 {
		return oh, ow, errors.Errorf("ops: Conv2D: input %dx%d is too small for kernel %v (padding %v, dilation %v): output %dx%d",
			h, w, kernel, o.Padding, o.Dilation, oh, ow)
	}
	return oh, ow, nil
}

// Conv1DOptions are a 1-D convolution's settings besides its nodes, as PyTorch's
// F.conv1d arguments (with groups=1). The zero value is PyTorch's default: stride 1,
// no padding, dilation 1. The kernel's length is the weight's.
type Conv1DOptions struct {
	Stride   int // step between windows, >= 0; 0 means 1
	Padding  int // zeros added at each end, >= 0
	Dilation int // spacing between kernel taps, >= 0; 0 means 1
}

// Validate returns an error naming the first field of o out of its range (see the
// fields); zero fields are valid (their defaults).
func (o Conv1DOptions) Validate() error {
	switch {
	case o.Stride < 0:
		return errors.Errorf("ops: Conv1DOptions: Stride = %d, want >= 0 (0 means 1)", o.Stride)
	case o.Padding < 0:
		return errors.Errorf("ops: Conv1DOptions: Padding = %d, want >= 0", o.Padding)
	case o.Dilation < 0:
		return errors.Errorf("ops: Conv1DOptions: Dilation = %d, want >= 0 (0 means 1)", o.Dilation)
	}
	return nil
}

// WithDefaults returns o with a zero Stride and Dilation replaced by 1.
func (o Conv1DOptions) WithDefaults() Conv1DOptions {
	o.Stride, o.Dilation = max(o.Stride, 1), max(o.Dilation, 1)
	return o
}

// OutputSize returns the output length of a convolution with o (defaults filled in)
// and a kernel of length kernel on an input of length n, or an error naming a field of
// o out of its range, a kernel < 1, or an input too short for the kernel.
func (o Conv1DOptions) OutputSize(kernel, n int) (int, error) {
	if err := o.Validate(); err != nil {
		return 0, err
	}
	if kernel < 1 {
		return 0, errors.Errorf("ops: Conv1D: kernel %d, want > 0", kernel)
	}
	o = o.WithDefaults()
	out := convOut(n, kernel, o.Stride, o.Padding, o.Dilation)
	if out < 1 {
		return 0, errors.Errorf("ops: Conv1D: input of length %d is too short for kernel %d (padding %d, dilation %d)", n, kernel, o.Padding, o.Dilation)
	}
	return out, nil
}
