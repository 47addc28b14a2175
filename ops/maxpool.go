package ops

import (
	"math"
	"sync"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
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
		// The kernels add into dx, except the assembly 2x2 one, which assigns every
		// element when no row or column is left out of the windows.
		if s := x.Shape(); !(pool2Asm && p.is2x2() && s[2]%2 == 0 && s[3]%2 == 0) {
			if x.Dtype() == tensor.Float32 {
				clear(dx.Float32s())
			} else {
				clear(dx.Float64s())
			}
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
// padding, where no window is clipped: four loads per output instead of the general
// loops, and no branch on the data. Its results are the general path's: NaN
// propagates, and the gradient goes to the first maximum (TestMaxPool2x2MatchesGeneral).
// Each worker takes a contiguous range of planes, so that two cores never write the
// same cache line of small planes (LeNet's second pooling has 4x4 outputs, one line).
func maxPool2x2[T float](s tensor.Shape, x, y, dy, dx []T) {
	h, w := s[2], s[3]
	oh, ow := h/2, w/2
	if pool2Asm {
		maxPool2x2Asm(s, x, y, dy, dx)
		return
	}
	forRanges(s[0]*s[1], func(p0, p1 int) {
		for plane := p0; plane < p1; plane++ {
			xp := x[plane*h*w : (plane+1)*h*w]
			yp := y[plane*oh*ow : (plane+1)*oh*ow]
			if dx == nil {
				for i := 0; i < oh; i++ {
					r0 := xp[2*i*w : 2*i*w+2*ow]
					r1 := xp[(2*i+1)*w : (2*i+1)*w+2*ow]
					yr := yp[i*ow : (i+1)*ow]
					for j := range yr {
						// The builtin max is branch-free and propagates NaN.
						yr[j] = max(max(r0[2*j], r0[2*j+1]), max(r1[2*j], r1[2*j+1]))
					}
				}
				continue
			}
			dyp := dy[plane*oh*ow : (plane+1)*oh*ow]
			dxp := dx[plane*h*w : (plane+1)*h*w]
			for i := 0; i < oh; i++ {
				r0 := xp[2*i*w : 2*i*w+2*ow]
				r1 := xp[(2*i+1)*w : (2*i+1)*w+2*ow]
				yr := yp[i*ow : (i+1)*ow]
				dyr := dyp[i*ow : (i+1)*ow]
				for j, t := range yr {
					k := firstOf(r0[2*j], r0[2*j+1], r1[2*j], t)
					dxp[(2*i+k>>1)*w+2*j+k&1] += dyr[j]
				}
			}
		}
	})
}

// pool2Asm is set where maxPool2x2Asm's AVX-512 kernels run.
var pool2Asm bool

// maxPool2x2Asm is maxPool2x2 with AVX-512 kernels, one call per pair of input rows:
// 16 (float32) or 8 (float64) outputs a step, the last few under masks. The backward
// assigns the four gradients of each window (its window's maximum gets dy, the others
// 0) rather than adding: windows do not overlap, and dx is cleared before (for the
// rows and columns of an odd size that no window covers).
func maxPool2x2Asm[T float](s tensor.Shape, x, y, dy, dx []T) {
	h, w := s[2], s[3]
	oh, ow := h/2, w/2
	var zero T
	lanes := 16
	if _, ok := any(zero).(float64); ok {
		lanes = 8
	}
	nfull, rem := ow/lanes, ow%lanes
	var tail uint64
	if rem > 0 {
		m0 := laneBits(min(2*rem, lanes))
		m1 := laneBits(2*rem - lanes)
		tail = m0 | m1<<16 | laneBits(rem)<<32
	}
	if oh == 0 || ow == 0 || s[0]*s[1] == 0 {
		return
	}
	// The last element each call reads or writes, checked here for the assembly.
	_ = x[(s[0]*s[1]-1)*h*w+(2*oh-1)*w+2*ow-1]
	_ = y[s[0]*s[1]*oh*ow-1]
	if dx != nil {
		_ = dy[len(y)-1]
		_ = dx[len(x)-1]
	}
	// One call per worker when the planes have an even height (their row pairs are
	// then evenly spaced across planes), else one per plane.
	es := 4
	if lanes == 8 {
		es = 8
	}
	call := func(plane, nplanes int) {
		r0, o, rows := plane*h*w, plane*oh*ow, nplanes*oh
		switch xs := any(x).(type) {
		case []float32:
			ys := any(y).([]float32)
			if dx == nil {
				maxPool2FwdS(&xs[r0], &ys[o], rows, w*es, ow*es, nfull, tail)
				return
			}
			dys, dxs := any(dy).([]float32), any(dx).([]float32)
			maxPool2BwdS(&xs[r0], &ys[o], &dys[o], &dxs[r0], rows, w*es, ow*es, nfull, tail)
		case []float64:
			ys := any(y).([]float64)
			if dx == nil {
				maxPool2FwdD(&xs[r0], &ys[o], rows, w*es, ow*es, nfull, tail)
				return
			}
			dys, dxs := any(dy).([]float64), any(dx).([]float64)
			maxPool2BwdD(&xs[r0], &ys[o], &dys[o], &dxs[r0], rows, w*es, ow*es, nfull, tail)
		}
	}
	forRanges(s[0]*s[1], func(p0, p1 int) {
		if h%2 == 0 {
			call(p0, p1-p0)
			return
		}
		for plane := p0; plane < p1; plane++ {
			call(plane, 1)
		}
	})
}

// laneBits has the low n bits set (none for n <= 0).
func laneBits(n int) uint64 {
	if n <= 0 {
		return 0
	}
	return 1<<n - 1
}

// firstOf returns the index of the first of a, b, c equal to t, and 3 (the window's
// last element) when none is; for a NaN t, of the first NaN. Written so that the
// compiler selects with conditional moves, not branches on the data (inlined into a
// loop it would branch, and mispredict about every other window).
//
//go:noinline
func firstOf[T float](a, b, c, t T) int {
	if t != t {
		return firstNaN(a, b, c)
	}
	k := 3
	if c == t {
		k = 2
	}
	if b == t {
		k = 1
	}
	if a == t {
		k = 0
	}
	return k
}

// firstNaN returns the index of the first NaN among a, b, c, and 3 (the window's last
// element) when none is.
func firstNaN[T float](a, b, c T) int {
	switch {
	case a != a:
		return 0
	case b != b:
		return 1
	case c != c:
		return 2
	}
	return 3
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
