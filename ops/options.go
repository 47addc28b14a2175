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
