package ops

import (
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// AvgPool2D returns the average of each o.Kernel window of x, an (N, C, H, W) tensor,
// moved by Stride over x padded with Padding zeros on each side. The output is
// (N, C, Ho, Wo) with Ho = (H + 2·Padding[0] - Kernel[0])/Stride[0] + 1 (rounded down)
// and Wo likewise: PyTorch's F.avg_pool2d with ceil_mode=False.
//
// The backward spreads each output's gradient evenly over its window's input
// elements (divided by the same count as the forward), accumulating where windows
// overlap. It replaces gorgonia.AveragePool2D, whose backward reuses the max-pool
// mask and is about 45% off.
func AvgPool2D(x *gorgonia.Node, o Pool2DOptions) (*gorgonia.Node, error) {
	const name = "AvgPool2D"
	if err := checkFloat(name, "x", x); err != nil {
		return nil, err
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	return avgPoolDef.Apply(o.WithDefaults(), x)
}

// GlobalAvgPool2D returns the mean of each (H, W) plane of x, an (N, C, H, W) tensor,
// as an (N, C, 1, 1) tensor: PyTorch's F.adaptive_avg_pool2d(x, 1). The backward is
// dy/(H·W) in every element of the plane. It replaces gorgonia.GlobalAveragePool2D,
// which has no gradient (Grad panics).
func GlobalAvgPool2D(x *gorgonia.Node) (*gorgonia.Node, error) {
	const name = "GlobalAvgPool2D"
	if err := checkFloat(name, "x", x); err != nil {
		return nil, err
	}
	return globalPoolDef.Apply(struct{}{}, x)
}

// poolOut returns the output shape of AvgPool2D with cfg (defaults filled in) on x.
func poolOut(cfg Pool2DOptions, x tensor.Shape) (tensor.Shape, error) {
	if x.Dims() != 4 {
		return nil, errors.Errorf("x has shape %v, want (N, C, H, W)", x)
	}
	out := tensor.Shape{x[0], x[1], 0, 0}
	for i := range 2 {
		padded := x[2+i] + 2*cfg.Padding[i]
		if padded < cfg.Kernel[i] {
			return nil, errors.Errorf("x has shape %v, padded to %d, smaller than the kernel %v", x, padded, cfg.Kernel)
		}
		out[2+i] = (padded-cfg.Kernel[i])/cfg.Stride[i] + 1
	}
	return out, nil
}

var avgPoolDef = &Def[Pool2DOptions]{
	Name:  "AvgPool2D",
	Arity: 1,
	Shape: func(cfg Pool2DOptions, in []tensor.Shape) (tensor.Shape, error) { return poolOut(cfg, in[0]) },
	Forward: func(cfg Pool2DOptions, in []*tensor.Dense, y *tensor.Dense) error {
		x := in[0]
		s, err := poolOut(cfg, x.Shape())
		if err != nil {
			return err
		}
		g := newPoolGeom(cfg, x.Shape(), s)
		if x.Dtype() == tensor.Float32 {
			avgPoolForward(g, x.Float32s(), y.Float32s())
		} else {
			avgPoolForward(g, x.Float64s(), y.Float64s())
		}
		return nil
	},
	Backward: func(cfg Pool2DOptions, in []*gorgonia.Node, _, dy *gorgonia.Node) ([]*gorgonia.Node, error) {
		dx, err := avgPoolGradDef.Apply(cfg, in[0], dy)
		return []*gorgonia.Node{dx}, err
	},
}

// avgPoolGradDef maps (x, dy) to dx; x gives only the shape.
var avgPoolGradDef = &Def[Pool2DOptions]{
	Name:   "AvgPool2DGrad",
	Arity:  2,
	NoGrad: []int{0},
	Shape: func(cfg Pool2DOptions, in []tensor.Shape) (tensor.Shape, error) {
		want, err := poolOut(cfg, in[0])
		if err != nil {
			return nil, err
		}
		if !sameShape(in[1], want) {
			return nil, errors.Errorf("gradient has shape %v, want %v", in[1], want)
		}
		return in[0], nil
	},
	Forward: func(cfg Pool2DOptions, in []*tensor.Dense, dx *tensor.Dense) error {
		x, dy := in[0], in[1]
		g := newPoolGeom(cfg, x.Shape(), dy.Shape())
		if x.Dtype() == tensor.Float32 {
			avgPoolBackward(g, dy.Float32s(), dx.Float32s())
		} else {
			avgPoolBackward(g, dy.Float64s(), dx.Float64s())
		}
		return nil
	},
}

// poolGeom is the geometry of one pooling: planes of h×w input and oh×ow output.
type poolGeom struct {
	cfg          Pool2DOptions
	planes       int
	h, w, oh, ow int
}

func newPoolGeom(cfg Pool2DOptions, x, y tensor.Shape) poolGeom {
	return poolGeom{cfg: cfg, planes: x[0] * x[1], h: x[2], w: x[3], oh: y[2], ow: y[3]}
}

// window returns the window of output (i, j) clipped to the input, [h0, h1)×[w0, w1),
// and the divisor of its sum.
func (g poolGeom) window(i, j int) (h0, h1, w0, w1 int, div float64) {
	c := g.cfg
	h0 = i*c.Stride[0] - c.Padding[0]
	w0 = j*c.Stride[1] - c.Padding[1]
	h1, w1 = h0+c.Kernel[0], w0+c.Kernel[1]
	// In floor mode a window never passes the far padding, so the padded area is
	// the kernel's.
	div = float64(c.Kernel[0] * c.Kernel[1])
	h0, w0 = max(h0, 0), max(w0, 0)
	h1, w1 = min(h1, g.h), min(w1, g.w)
	if c.ExcludePad {
		div = float64((h1 - h0) * (w1 - w0))
	}
	return h0, h1, w0, w1, div
}

func avgPoolForward[T float](g poolGeom, x, y []T) {
	for p := 0; p < g.planes; p++ {
		xp, yp := x[p*g.h*g.w:], y[p*g.oh*g.ow:]
		for i := 0; i < g.oh; i++ {
			for j := 0; j < g.ow; j++ {
				h0, h1, w0, w1, div := g.window(i, j)
				var s float64
				for r := h0; r < h1; r++ {
					for c := w0; c < w1; c++ {
						s += float64(xp[r*g.w+c])
					}
				}
				yp[i*g.ow+j] = T(s / div)
			}
		}
	}
}

func avgPoolBackward[T float](g poolGeom, dy, dx []T) {
	clear(dx)
	for p := 0; p < g.planes; p++ {
		dyp, dxp := dy[p*g.oh*g.ow:], dx[p*g.h*g.w:]
		for i := 0; i < g.oh; i++ {
			for j := 0; j < g.ow; j++ {
				h0, h1, w0, w1, div := g.window(i, j)
				v := T(float64(dyp[i*g.ow+j]) / div)
				for r := h0; r < h1; r++ {
					for c := w0; c < w1; c++ {
						dxp[r*g.w+c] += v
					}
				}
			}
		}
	}
}

// globalPoolShape is the Shape rule of GlobalAvgPool2D.
func globalPoolShape(x tensor.Shape) (tensor.Shape, error) {
	if x.Dims() != 4 {
		return nil, errors.Errorf("x has shape %v, want (N, C, H, W)", x)
	}
	return tensor.Shape{x[0], x[1], 1, 1}, nil
}

var globalPoolDef = &Def[struct{}]{
	Name:  "GlobalAvgPool2D",
	Arity: 1,
	Shape: func(_ struct{}, in []tensor.Shape) (tensor.Shape, error) { return globalPoolShape(in[0]) },
	Forward: func(_ struct{}, in []*tensor.Dense, y *tensor.Dense) error {
		x := in[0]
		s := x.Shape()
		if x.Dtype() == tensor.Float32 {
			planeMeans(x.Float32s(), y.Float32s(), s[2]*s[3])
		} else {
			planeMeans(x.Float64s(), y.Float64s(), s[2]*s[3])
		}
		return nil
	},
	Backward: func(_ struct{}, in []*gorgonia.Node, _, dy *gorgonia.Node) ([]*gorgonia.Node, error) {
		dx, err := globalPoolGradDef.Apply(struct{}{}, in[0], dy)
		return []*gorgonia.Node{dx}, err
	},
}

// globalPoolGradDef maps (x, dy) to dx = dy/(H·W) over each plane; x gives the shape.
var globalPoolGradDef = &Def[struct{}]{
	Name:   "GlobalAvgPool2DGrad",
	Arity:  2,
	NoGrad: []int{0},
	Shape: func(_ struct{}, in []tensor.Shape) (tensor.Shape, error) {
		want, err := globalPoolShape(in[0])
		if err != nil {
			return nil, err
		}
		if !sameShape(in[1], want) {
			return nil, errors.Errorf("gradient has shape %v, want %v", in[1], want)
		}
		return in[0], nil
	},
	Forward: func(_ struct{}, in []*tensor.Dense, dx *tensor.Dense) error {
		x, dy := in[0], in[1]
		s := x.Shape()
		if x.Dtype() == tensor.Float32 {
			spreadPlanes(dy.Float32s(), dx.Float32s(), s[2]*s[3])
		} else {
			spreadPlanes(dy.Float64s(), dx.Float64s(), s[2]*s[3])
		}
		return nil
	},
}

// planeMeans writes the mean of each plane of size n of x into y.
func planeMeans[T float](x, y []T, n int) {
	for p := range y {
		var s float64
		for _, v := range x[p*n : (p+1)*n] {
			s += float64(v)
		}
		y[p] = T(s / float64(n))
	}
}

// spreadPlanes writes dy[p]/n into every element of plane p of dx.
func spreadPlanes[T float](dy, dx []T, n int) {
	for p, g := range dy {
		v := T(float64(g) / float64(n))
		for i := p * n; i < (p+1)*n; i++ {
			dx[i] = v
		}
	}
}
