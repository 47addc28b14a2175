package ops

import (
	"fmt"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// This file holds gradflow's 2-D convolution op, declared with Def: forward, and the
// gradients with respect to the input, the weight and the bias, each a Def whose
// Forward is a kernel of conv_kernel.go.
//
// It replaces gorgonia.Conv2d for speed, not correctness (gorgonia's gradients are
// right). gorgonia builds the convolution from five graph nodes (im2col, two reshapes, a
// matrix product and a transposing copy) and adds the bias with BroadcastAdd, which
// materialises the bias at the output's size. Here each pass is one op whose kernels
// (conv_kernel.go) work one sample at a time in each core's cache for small images, in
// chunks of the batch for large ones, with assembly im2col/col2im for valid
// convolutions, and whose output memory is kept from run to run (Def owns it);
// docs/layers.md gives the design and the numbers, BenchmarkConv2D and
// BenchmarkLeNetStep time it. The GEMM is gradflow's ops/blas, called directly.

// Conv2D returns the 2-D convolution of x (N, C, H, W) with the weight w (O, C, kH,
// kW), plus the bias b (O) when b is not nil: a cross-correlation, as PyTorch's
// F.conv2d(x, w, b, stride, padding, dilation) with groups=1,
//
//	y[n, o, i, j] = b[o] + sum over c, p, q of
//	    w[o, c, p, q] * xpad[n, c, i*sH + p*dH, j*sW + q*dW]
//
// where xpad is x with opt.Padding zeros on each side. The output is (N, O, H', W')
// with H' = floor((H + 2*padH - dH*(kH-1) - 1)/sH) + 1 and likewise W' (see
// Conv2DOptions.OutputSize). x, w and b are differentiable.
func Conv2D(x, w, b *gorgonia.Node, opt Conv2DOptions) (*gorgonia.Node, error) {
	const name = "Conv2D"
	if err := convArgs(name, x, w, b, 4); err != nil {
		return nil, err
	}
	if err := opt.Validate(); err != nil {
		return nil, errors.Wrap(err, "ops: Conv2D")
	}
	o := opt.WithDefaults()
	ws := w.Shape()
	return conv2d(convGeom{kh: ws[2], kw: ws[3], sh: o.Stride[0], sw: o.Stride[1],
		ph: o.Padding[0], pw: o.Padding[1], dh: o.Dilation[0], dw: o.Dilation[1]}, x, w, b)
}

// Conv1D returns the 1-D convolution of x (N, C, L) with the weight w (O, C, K), plus
// the bias b (O) when b is not nil, as PyTorch's F.conv1d(x, w, b, stride, padding,
// dilation) with groups=1:
//
//	y[n, o, i] = b[o] + sum over c, p of w[o, c, p] * xpad[n, c, i*stride + p*dilation]
//
// The output is (N, O, L') with L' = floor((L + 2*padding - dilation*(K-1) - 1)/stride)
// + 1 (see Conv1DOptions.OutputSize). It runs Conv2D's op on x viewed as (N, C, 1, L)
// and w as (O, C, 1, K). x, w and b are differentiable.
func Conv1D(x, w, b *gorgonia.Node, opt Conv1DOptions) (y *gorgonia.Node, err error) {
	const name = "Conv1D"
	if err := convArgs(name, x, w, b, 3); err != nil {
		return nil, err
	}
	if err := opt.Validate(); err != nil {
		return nil, errors.Wrap(err, "ops: Conv1D")
	}
	defer recoverInto(&err, "ops: "+name)
	o := opt.WithDefaults()
	xs, ws := x.Shape(), w.Shape()
	if w, err = gorgonia.Reshape(w, []int{ws[0], ws[1], 1, ws[2]}); err != nil {
		return nil, errors.Wrap(err, "ops: Conv1D: weight")
	}
	if x, err = gorgonia.Reshape(x, []int{xs[0], xs[1], 1, xs[2]}); err != nil {
		return nil, errors.Wrap(err, "ops: Conv1D: input")
	}
	g := convGeom{kh: 1, kw: ws[2], sh: 1, sw: o.Stride, ph: 0, pw: o.Padding, dh: 1, dw: o.Dilation}
	if y, err = conv2d(g, x, w, b); err != nil {
		return nil, errors.Wrapf(err, "ops: Conv1D: input %v, weight %v", xs, ws)
	}
	ys := y.Shape()
	if y, err = gorgonia.Reshape(y, []int{ys[0], ys[1], ys[3]}); err != nil {
		return nil, errors.Wrap(err, "ops: Conv1D: output")
	}
	return y, nil
}

// convArgs checks the nodes of a convolution of rank dims: x (N, C, ...), w (O, C,
// ...), b (O) or nil.
func convArgs(name string, x, w, b *gorgonia.Node, dims int) error {
	if err := checkFloat(name, "x", x); err != nil {
		return err
	}
	if err := checkFloat(name, "w", w); err != nil {
		return err
	}
	if b != nil {
		if err := checkFloat(name, "b", b); err != nil {
			return err
		}
	}
	xs, ws := x.Shape(), w.Shape()
	if xs.Dims() != dims || ws.Dims() != dims || xs[1] != ws[1] {
		what := map[int]string{3: "(N, C, L) and (O, C, K)", 4: "(N, C, H, W) and (O, C, kH, kW)"}[dims]
		return errors.Errorf("ops: %s: x %v and w %v, want %s", name, xs, ws, what)
	}
	if b != nil {
		if bs := b.Shape(); bs.Dims() != 1 || bs[0] != ws[0] {
			return errors.Errorf("ops: %s: b has shape %v, want (%d)", name, bs, ws[0])
		}
	}
	return nil
}

// convGeom is the geometry of a 2-D convolution window: kernel, stride, padding and
// dilation, each {height, width}.
type convGeom struct {
	kh, kw, sh, sw, ph, pw, dh, dw int
}

func (c convGeom) String() string {
	return fmt.Sprintf("kernel=(%d, %d), stride=(%d, %d), padding=(%d, %d), dilation=(%d, %d)",
		c.kh, c.kw, c.sh, c.sw, c.ph, c.pw, c.dh, c.dw)
}

// outSize returns the output height and width for an input of h x w.
func (c convGeom) outSize(h, w int) (int, int) {
	return convOut(h, c.kh, c.sh, c.ph, c.dh), convOut(w, c.kw, c.sw, c.pw, c.dw)
}

// convParams are the convolution op's parameters: the window and whether the bias is
// its third input.
type convParams struct {
	Geom convGeom
	Bias bool
}

// convInputGradParams are the input gradient's: the window and the input's height
// and width, which the output's size does not determine.
type convInputGradParams struct {
	Geom convGeom
	H, W int
}

// conv2d applies the convolution op to x and w, and b when it is not nil.
func conv2d(geom convGeom, x, w, b *gorgonia.Node) (*gorgonia.Node, error) {
	if b == nil {
		return conv2dDef.Apply(convParams{Geom: geom}, x, w)
	}
	return conv2dDef.Apply(convParams{Geom: geom, Bias: true}, x, w, b)
}

// conv2dDef is y = conv(x, w) (+ b): x (N, C, H, W), w (O, C, kH, kW), b (O).
var conv2dDef = &Def[convParams]{
	Name:  "Conv2D",
	Arity: Variadic,
	Shape: func(p convParams, in []tensor.Shape) (tensor.Shape, error) { return p.outShape(in) },
	Forward: func(p convParams, in []*tensor.Dense, y *tensor.Dense) error {
		var bias *tensor.Dense
		if p.Bias {
			bias = in[2]
		}
		if in[0].Dtype() == tensor.Float32 {
			convForward[float32](p.Geom, in[0], in[1], bias, y)
		} else {
			convForward[float64](p.Geom, in[0], in[1], bias, y)
		}
		return nil
	},
	Backward: func(p convParams, in []*gorgonia.Node, _, dy *gorgonia.Node) ([]*gorgonia.Node, error) {
		x, w := in[0], in[1]
		xs := x.Shape()
		dx, err := conv2dInputGradDef.Apply(convInputGradParams{Geom: p.Geom, H: xs[2], W: xs[3]}, w, dy)
		if err != nil {
			return nil, err
		}
		dw, err := conv2dWeightGradDef.Apply(p.Geom, x, dy)
		if err != nil {
			return nil, err
		}
		if !p.Bias {
			return []*gorgonia.Node{dx, dw}, nil
		}
		db, err := channelSumDef.Apply(struct{}{}, dy)
		if err != nil {
			return nil, err
		}
		return []*gorgonia.Node{dx, dw, db}, nil
	},
}

// outShape checks the convolution's input shapes and returns the output's.
func (p convParams) outShape(s []tensor.Shape) (tensor.Shape, error) {
	want := 2
	if p.Bias {
		want = 3
	}
	if len(s) != want {
		return nil, errors.Errorf("got %d inputs, want %d (bias %t)", len(s), want, p.Bias)
	}
	g, x, w := p.Geom, s[0], s[1]
	if x.Dims() != 4 || w.Dims() != 4 || w[1] != x[1] || w[2] != g.kh || w[3] != g.kw {
		return nil, errors.Errorf("input %v and weight %v, want (N, C, H, W) and (O, C, %d, %d)", x, w, g.kh, g.kw)
	}
	if p.Bias && (s[2].Dims() != 1 || s[2][0] != w[0]) {
		return nil, errors.Errorf("bias %v, want (%d)", s[2], w[0])
	}
	oh, ow := g.outSize(x[2], x[3])
	if oh < 1 || ow < 1 {
		return nil, errors.Errorf("input %v gives an empty output with %v", x, g)
	}
	return tensor.Shape{x[0], w[0], oh, ow}, nil
}

// conv2dInputGradDef maps (w, dy) to dx of shape (N, C, H, W).
var conv2dInputGradDef = &Def[convInputGradParams]{
	Name:  "Conv2DInputGrad",
	Arity: 2,
	Shape: func(p convInputGradParams, in []tensor.Shape) (tensor.Shape, error) {
		w, dy := in[0], in[1]
		oh, ow := p.Geom.outSize(p.H, p.W)
		if w.Dims() != 4 || dy.Dims() != 4 || dy[1] != w[0] || dy[2] != oh || dy[3] != ow {
			return nil, errors.Errorf("weight %v and output gradient %v do not fit", w, dy)
		}
		return tensor.Shape{dy[0], w[1], p.H, p.W}, nil
	},
	Forward: func(p convInputGradParams, in []*tensor.Dense, dx *tensor.Dense) error {
		if in[0].Dtype() == tensor.Float32 {
			convInputGrad[float32](p.Geom, in[0], in[1], dx)
		} else {
			convInputGrad[float64](p.Geom, in[0], in[1], dx)
		}
		return nil
	},
}

// conv2dWeightGradDef maps (x, dy) to dw of shape (O, C, kH, kW).
var conv2dWeightGradDef = &Def[convGeom]{
	Name:  "Conv2DWeightGrad",
	Arity: 2,
	Shape: func(g convGeom, in []tensor.Shape) (tensor.Shape, error) {
		x, dy := in[0], in[1]
		if x.Dims() != 4 || dy.Dims() != 4 || dy[0] != x[0] {
			return nil, errors.Errorf("input %v and output gradient %v do not fit", x, dy)
		}
		if oh, ow := g.outSize(x[2], x[3]); dy[2] != oh || dy[3] != ow {
			return nil, errors.Errorf("input %v and output gradient %v do not fit", x, dy)
		}
		return tensor.Shape{dy[1], x[1], g.kh, g.kw}, nil
	},
	Forward: func(g convGeom, in []*tensor.Dense, dw *tensor.Dense) error {
		if in[0].Dtype() == tensor.Float32 {
			convWeightGrad[float32](g, in[0], in[1], dw)
		} else {
			convWeightGrad[float64](g, in[0], in[1], dw)
		}
		return nil
	},
}

// channelSumDef maps dy of shape (N, C, ...) to its sums over every axis but 1: the
// gradient of a per-channel bias.
var channelSumDef = &Def[struct{}]{
	Name:  "ChannelSum",
	Arity: 1,
	Shape: func(_ struct{}, in []tensor.Shape) (tensor.Shape, error) {
		if in[0].Dims() < 2 {
			return nil, errors.Errorf("input %v, want (N, C, ...)", in[0])
		}
		return tensor.Shape{in[0][1]}, nil
	},
	Forward: func(_ struct{}, in []*tensor.Dense, out *tensor.Dense) error {
		s := in[0].Shape()
		inner := s.TotalSize() / (s[0] * s[1])
		if in[0].Dtype() == tensor.Float32 {
			channelSum(in[0].Float32s(), out.Float32s(), s[0], s[1], inner)
		} else {
			channelSum(in[0].Float64s(), out.Float64s(), s[0], s[1], inner)
		}
		return nil
	},
}

// channelSum writes the sums of x, viewed as (n, c, inner), over n and inner into out.
// Channels are split between the workers; each sum runs in float64 over four
// independent partial sums (a single running sum waits for every add to finish).
func channelSum[T float](x, out []T, n, c, inner int) {
	sum := func(c0, c1 int) {
		for ch := c0; ch < c1; ch++ {
			var s0, s1, s2, s3 float64
			for i := 0; i < n; i++ {
				v := x[(i*c+ch)*inner : (i*c+ch+1)*inner]
				j := 0
				for ; j+4 <= len(v); j += 4 {
					s0 += float64(v[j])
					s1 += float64(v[j+1])
					s2 += float64(v[j+2])
					s3 += float64(v[j+3])
				}
				for ; j < len(v); j++ {
					s0 += float64(v[j])
				}
			}
			out[ch] = T((s0 + s1) + (s2 + s3))
		}
	}
	if n*c*inner < 1<<16 {
		sum(0, c)
		return
	}
	forRanges(c, sum)
}

// convOut is the output length of a convolution or pooling window along one axis.
func convOut(in, k, stride, pad, dil int) int {
	span := dil*(k-1) + 1
	if in+2*pad < span {
		return 0
	}
	return (in+2*pad-span)/stride + 1
}
