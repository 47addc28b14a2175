package ops

import (
	"math"
	"sync"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/ops/kern"
)

// MaxPool2D returns the maximum of each o.Kernel window of x, an (N, C, H, W) tensor,
// moved by Stride over x padded with Padding on each side by -Inf (o.ExcludePad does
// nothing here). The output is (N, C, Ho, Wo) with Ho = (H + 2·Padding[0] -
// Kernel[0])/Stride[0] + 1 (rounded down) and Wo likewise: PyTorch's F.max_pool2d
// with dilation=1, ceil_mode=False.
//
// The gradient of each output goes to the first maximum of its window (PyTorch's
// choice on ties); a NaN in a window makes its maximum NaN and takes the gradient.
func MaxPool2D(x *gorgonia.Node, o Pool2DOptions) (*gorgonia.Node, error) {
	const name = "MaxPool2D"
	if err := checkFloat(name, "x", x); err != nil {
		return nil, err
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	o = o.WithDefaults()
	return maxPoolDef.Apply(maxPoolParams{Kernel: o.Kernel, Stride: o.Stride, Padding: o.Padding}, x)
}

// maxPoolParams are a max pooling's window, stride and padding, each {height, width},
// defaults filled in.
type maxPoolParams struct {
	Kernel, Stride, Padding [2]int
}

// The max-pooling op, declared with Def. It replaces gorgonia.MaxPool2D, whose
// gradient is right but which keeps the argmax mask inside the op (shared by the
// forward and backward nodes, so the op has state) and indexes the gradient with -1,
// crashing the program, when a window holds only NaNs. This one is stateless (the
// backward finds each window's argmax again from x) and propagates NaN as PyTorch
// does.
var maxPoolDef = &Def[maxPoolParams]{
	Name:  "MaxPool2D",
	Arity: 1,
	Shape: func(p maxPoolParams, in []tensor.Shape) (tensor.Shape, error) { return p.outShape(in[0]) },
	Forward: func(p maxPoolParams, in []*tensor.Dense, y *tensor.Dense) error {
		x := in[0]
		if x.Dtype() == tensor.Float32 {
			maxPool(p, x.Shape(), x.Float32s(), y.Float32s(), nil, nil)
		} else {
			maxPool(p, x.Shape(), x.Float64s(), y.Float64s(), nil, nil)
		}
		return nil
	},
	Backward: func(p maxPoolParams, in []*gorgonia.Node, y, dy *gorgonia.Node) ([]*gorgonia.Node, error) {
		dx, err := maxPoolGradDef.Apply(p, in[0], y, dy)
		return []*gorgonia.Node{dx}, err
	},
}

// maxPoolGradDef maps (x, y, dy), y the forward output, to dx: each output's gradient
// goes to the first maximum of its window (PyTorch's choice on ties).
var maxPoolGradDef = &Def[maxPoolParams]{
	Name:   "MaxPool2DGrad",
	Arity:  3,
	NoGrad: []int{0, 1, 2},
	Shape: func(p maxPoolParams, in []tensor.Shape) (tensor.Shape, error) {
		want, err := p.outShape(in[0])
		if err != nil {
			return nil, err
		}
		if !in[1].Eq(want) || !in[2].Eq(want) {
			return nil, errors.Errorf("output %v and gradient %v, want both %v", in[1], in[2], want)
		}
		return in[0], nil
	},
	Forward: func(p maxPoolParams, in []*tensor.Dense, dx *tensor.Dense) error {
		x, y, dy := in[0], in[1], in[2]
		// The kernels add into dx.
		if x.Dtype() == tensor.Float32 {
			clear(dx.Float32s())
		} else {
			clear(dx.Float64s())
		}
		if x.Dtype() == tensor.Float32 {
			maxPool(p, x.Shape(), x.Float32s(), y.Float32s(), dy.Float32s(), dx.Float32s())
		} else {
			maxPool(p, x.Shape(), x.Float64s(), y.Float64s(), dy.Float64s(), dx.Float64s())
		}
		return nil
	},
}

// is2x2 reports whether p is 2x2 windows at stride 2 without padding (maxPool2x2).
func (p maxPoolParams) is2x2() bool {
	return p.Kernel == [2]int{2, 2} && p.Stride == [2]int{2, 2} && p.Padding == [2]int{}
}

// outShape is the output shape for input x (N, C, H, W).
func (p maxPoolParams) outShape(x tensor.Shape) (tensor.Shape, error) {
	if x.Dims() != 4 {
		return nil, errors.Errorf("x has shape %v, want (N, C, H, W)", x)
	}
	oh := convOut(x[2], p.Kernel[0], p.Stride[0], p.Padding[0], 1)
	ow := convOut(x[3], p.Kernel[1], p.Stride[1], p.Padding[1], 1)
	if oh < 1 || ow < 1 {
		return nil, errors.Errorf("x has shape %v, smaller than the kernel %v with padding %v", x, p.Kernel, p.Padding)
	}
	return tensor.Shape{x[0], x[1], oh, ow}, nil
}

// maxPool computes y = the maximum of each window (when dx is nil) or, given the
// forward output y and dy, adds each window's gradient into dx at the window's first
// maximum (PyTorch's choice on ties). The padding acts as -Inf: it is never chosen,
// since Padding <= Kernel/2 leaves every window an input element. A NaN wins over
// every number (the builtin max propagates it), so a window holding one gives NaN, as
// in PyTorch, and its gradient goes to its first NaN.
//
// The forward is branch-free (max of each window); the backward looks for the value y
// already found, a test that almost always fails the same way. Finding the argmax in
// the forward instead would branch on random data, which made it three times slower.
func maxPool[T float](p maxPoolParams, s tensor.Shape, x, y, dy, dx []T) {
	if p.is2x2() {
		maxPool2x2(s, x, y, dy, dx)
		return
	}
	maxPoolGeneral(p, s, x, y, dy, dx)
}

// maxPoolGeneral is maxPool for any window, stride and padding.
func maxPoolGeneral[T float](p maxPoolParams, s tensor.Shape, x, y, dy, dx []T) {
	h, w := s[2], s[3]
	oh := convOut(h, p.Kernel[0], p.Stride[0], p.Padding[0], 1)
	ow := convOut(w, p.Kernel[1], p.Stride[1], p.Padding[1], 1)
	// The columns [c0[j], c1[j]) of output column j's window, clipped to the input.
	c0, c1 := make([]int, ow), make([]int, ow)
	for j := range ow {
		lo := j*p.Stride[1] - p.Padding[1]
		c0[j], c1[j] = max(lo, 0), min(lo+p.Kernel[1], w)
	}
	negInf := T(math.Inf(-1))
	forSamples[T](s[0]*s[1], 0, func(_ []T, plane int) {
		xp := x[plane*h*w : (plane+1)*h*w]
		yp := y[plane*oh*ow : (plane+1)*oh*ow]
		for i := 0; i < oh; i++ {
			r0 := i*p.Stride[0] - p.Padding[0]
			r1 := min(r0+p.Kernel[0], h)
			r0 = max(r0, 0)
			yr := yp[i*ow : (i+1)*ow]
			if dx == nil {
				for j := range yr {
					yr[j] = negInf
				}
				for r := r0; r < r1; r++ {
					row := xp[r*w : (r+1)*w]
					for j := range yr {
						b := yr[j]
						for _, v := range row[c0[j]:c1[j]] {
							b = max(b, v)
						}
						yr[j] = b
					}
				}
				continue
			}
			dyr := dy[plane*oh*ow+i*ow : plane*oh*ow+(i+1)*ow]
			dxp := dx[plane*h*w : (plane+1)*h*w]
			for j, target := range yr {
				// Scanning the window backwards and keeping the last match gives the
				// first maximum, with a conditional move instead of a branch.
				idx := -1
				if target == target {
					for r := r1 - 1; r >= r0; r-- {
						row := xp[r*w : (r+1)*w]
						for c := c1[j] - 1; c >= c0[j]; c-- {
							if row[c] == target {
								idx = r*w + c
							}
						}
					}
				} else { // a NaN window: its first NaN
					for r := r1 - 1; r >= r0; r-- {
						for c := c1[j] - 1; c >= c0[j]; c-- {
							if v := xp[r*w+c]; v != v {
								idx = r*w + c
							}
						}
					}
				}
				if idx >= 0 { // always, unless x changed since y was computed
					dxp[idx] += dyr[j]
				}
			}
		}
	})
}

// maxPool2x2 is maxPool for the most common pooling, 2x2 windows at stride 2 without
// padding, where no window is clipped: ops/kern's MaxPool2x2 kernels (four loads per
// output instead of the general loops, no branch on the data; AVX2 or AVX-512 where
// the CPU has them). Its results are the general path's: NaN propagates, and the
// gradient goes to the first maximum (TestMaxPool2x2MatchesGeneral). dx holds zeros.
// Each worker takes a contiguous range of planes, so that two cores never write the
// same cache line of small planes (LeNet's second pooling has 4x4 outputs, one line).
func maxPool2x2[T float](s tensor.Shape, x, y, dy, dx []T) {
	h, w := s[2], s[3]
	oh, ow := h/2, w/2
	forRanges(s[0]*s[1], func(p0, p1 int) {
		xs, ys := x[p0*h*w:p1*h*w], y[p0*oh*ow:p1*oh*ow]
		if dx == nil {
			kern.MaxPool2x2(xs, ys, p1-p0, h, w)
			return
		}
		kern.MaxPool2x2Grad(xs, ys, dy[p0*oh*ow:p1*oh*ow], dx[p0*h*w:p1*h*w], p1-p0, h, w)
	})
}

// forRanges splits [0, n) into one contiguous range per worker and calls fn on each
// in parallel.
func forRanges(n int, fn func(lo, hi int)) { forRangesMin(n, 1, fn) }

// forRangesMin is forRanges with ranges of at least grain elements (fewer workers for
// a small n); the last range runs on the calling goroutine.
func forRangesMin(n, grain int, fn func(lo, hi int)) {
	k := workers(n / max(grain, 1))
	if k <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	for wk := 0; wk < k-1; wk++ {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			fn(lo, hi)
		}(wk*n/k, (wk+1)*n/k)
	}
	fn((k-1)*n/k, n)
	wg.Wait()
}
