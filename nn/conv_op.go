package nn

import (
	"fmt"
	"hash"
	"hash/fnv"
	"io"

	"github.com/chewxy/hm"
	"github.com/gradflow/gradflow/ops"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// This file holds gradflow's 2-D convolution op: forward, the gradients with respect to
// the input, the weight and the bias, each a gorgonia op whose Do is written here.
//
// It replaces gorgonia.Conv2d for speed, not correctness (gorgonia's gradients are
// right). gorgonia builds the convolution from five graph nodes (im2col, two reshapes, a
// matrix product and a transposing copy) and adds the bias with BroadcastAdd, which
// materialises the bias at the output's size. Here each pass is one op whose kernels
// (conv_kernel.go) work one sample at a time in each core's cache for small images, in
// chunks of the batch for large ones, with assembly im2col/col2im for valid
// convolutions, and whose output memory is kept from run to run (ops.Buffer);
// docs/layers.md gives the design and the numbers, BenchmarkConv2D and
// BenchmarkLeNetStep time it. The GEMM is the BLAS that gorgonia's tensor package uses
// (tensor.WhichBLAS: gradflow's ops/blas by default, or whatever gorgonia.Use installed).

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

// conv2dOp is y = conv(x, w) (+ b): x (N, C, H, W), w (O, C, kH, kW), b (O).
type conv2dOp struct {
	convGeom
	bias bool
	out  *ops.Buffer // the output's memory, kept across runs (not in String)
}

// conv2dInputGradOp maps (w, dy) to dx of shape (N, C, h, w).
type conv2dInputGradOp struct {
	convGeom
	h, w int
	out  *ops.Buffer
}

// conv2dWeightGradOp maps (x, dy) to dw of shape (O, C, kH, kW).
type conv2dWeightGradOp struct {
	convGeom
	out *ops.Buffer
}

// channelSumOp maps dy of shape (N, C, ...) to its sums over every axis but 1: the
// gradient of a per-channel bias.
type channelSumOp struct{ out *ops.Buffer }

var (
	_ gorgonia.Op   = conv2dOp{}
	_ gorgonia.SDOp = conv2dOp{}
	_ gorgonia.Op   = conv2dInputGradOp{}
	_ gorgonia.Op   = conv2dWeightGradOp{}
	_ gorgonia.Op   = channelSumOp{}
)

// conv2d applies the convolution op to x and w, and b when it is not nil.
func conv2d(geom convGeom, x, w, b *gorgonia.Node) (*gorgonia.Node, error) {
	if b == nil {
		return gorgonia.ApplyOp(conv2dOp{convGeom: geom, out: new(ops.Buffer)}, x, w)
	}
	return gorgonia.ApplyOp(conv2dOp{convGeom: geom, bias: true, out: new(ops.Buffer)}, x, w, b)
}

func (op conv2dOp) Arity() int {
	if op.bias {
		return 3
	}
	return 2
}

func (op conv2dOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	t4 := gorgonia.TensorType{Dims: 4, Of: a}
	if op.bias {
		return hm.NewFnType(t4, t4, gorgonia.TensorType{Dims: 1, Of: a}, t4)
	}
	return hm.NewFnType(t4, t4, t4)
}

func (op conv2dOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf(op, in)
	if err != nil {
		return nil, err
	}
	return op.outShape(s)
}

// outShape checks the input shapes and returns the output's.
func (op conv2dOp) outShape(s []tensor.Shape) (tensor.Shape, error) {
	x, w := s[0], s[1]
	if x.Dims() != 4 || w.Dims() != 4 || w[1] != x[1] || w[2] != op.kh || w[3] != op.kw {
		return nil, errors.Errorf("nn: %v: input %v and weight %v, want (N, C, H, W) and (O, C, %d, %d)", op, x, w, op.kh, op.kw)
	}
	if op.bias && (s[2].Dims() != 1 || s[2][0] != w[0]) {
		return nil, errors.Errorf("nn: %v: bias %v, want (%d)", op, s[2], w[0])
	}
	oh, ow := op.outSize(x[2], x[3])
	if oh < 1 || ow < 1 {
		return nil, errors.Errorf("nn: %v: input %v gives an empty output", op, x)
	}
	return tensor.Shape{x[0], w[0], oh, ow}, nil
}

func (op conv2dOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	ds, err := denseArgs(op, in)
	if err != nil {
		return nil, err
	}
	shapes := make([]tensor.Shape, len(ds))
	for i, d := range ds {
		shapes[i] = d.Shape()
	}
	ys, err := op.outShape(shapes)
	if err != nil {
		return nil, err
	}
	y := op.out.Tensor(ds[0].Dtype(), ys)
	var bias *tensor.Dense
	if op.bias {
		bias = ds[2]
	}
	switch ds[0].Dtype() {
	case tensor.Float32:
		convForward(op.convGeom, ds[0], ds[1], bias, y, sgemm)
	default:
		convForward(op.convGeom, ds[0], ds[1], bias, y, dgemm)
	}
	return y, nil
}

func (op conv2dOp) ReturnsPtr() bool      { return false }
func (op conv2dOp) CallsExtern() bool     { return false }
func (op conv2dOp) OverwritesInput() int  { return -1 }
func (op conv2dOp) WriteHash(h hash.Hash) { io.WriteString(h, op.String()) }
func (op conv2dOp) Hashcode() uint32      { return hashString(op.String()) }
func (op conv2dOp) String() string {
	return fmt.Sprintf("nn.Conv2D{%v, bias=%t}", op.convGeom, op.bias)
}

func (op conv2dOp) DiffWRT(inputs int) []bool {
	d := make([]bool, inputs)
	for i := range d {
		d[i] = true
	}
	return d
}

func (op conv2dOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if len(inputs) != op.Arity() {
		return nil, errors.Errorf("nn: %v: SymDiff got %d inputs, want %d", op, len(inputs), op.Arity())
	}
	x, w := inputs[0], inputs[1]
	xs := x.Shape()
	dx, err := gorgonia.ApplyOp(conv2dInputGradOp{convGeom: op.convGeom, h: xs[2], w: xs[3], out: new(ops.Buffer)}, w, grad)
	if err != nil {
		return nil, err
	}
	dw, err := gorgonia.ApplyOp(conv2dWeightGradOp{convGeom: op.convGeom, out: new(ops.Buffer)}, x, grad)
	if err != nil {
		return nil, err
	}
	if !op.bias {
		return gorgonia.Nodes{dx, dw}, nil
	}
	db, err := gorgonia.ApplyOp(channelSumOp{out: new(ops.Buffer)}, grad)
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{dx, dw, db}, nil
}

func (op conv2dInputGradOp) Arity() int { return 2 }
func (op conv2dInputGradOp) Type() hm.Type {
	t4 := gorgonia.TensorType{Dims: 4, Of: hm.TypeVariable('a')}
	return hm.NewFnType(t4, t4, t4)
}
func (op conv2dInputGradOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf(op, in)
	if err != nil {
		return nil, err
	}
	return op.outShape(s[0], s[1])
}

func (op conv2dInputGradOp) outShape(w, dy tensor.Shape) (tensor.Shape, error) {
	oh, ow := op.outSize(op.h, op.w)
	if w.Dims() != 4 || dy.Dims() != 4 || dy[1] != w[0] || dy[2] != oh || dy[3] != ow {
		return nil, errors.Errorf("nn: %v: weight %v and output gradient %v do not fit", op, w, dy)
	}
	return tensor.Shape{dy[0], w[1], op.h, op.w}, nil
}

func (op conv2dInputGradOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	ds, err := denseArgs(op, in)
	if err != nil {
		return nil, err
	}
	xs, err := op.outShape(ds[0].Shape(), ds[1].Shape())
	if err != nil {
		return nil, err
	}
	dx := op.out.Tensor(ds[0].Dtype(), xs)
	switch ds[0].Dtype() {
	case tensor.Float32:
		convInputGrad(op.convGeom, ds[0], ds[1], dx, sgemm)
	default:
		convInputGrad(op.convGeom, ds[0], ds[1], dx, dgemm)
	}
	return dx, nil
}

func (op conv2dInputGradOp) ReturnsPtr() bool      { return false }
func (op conv2dInputGradOp) CallsExtern() bool     { return false }
func (op conv2dInputGradOp) OverwritesInput() int  { return -1 }
func (op conv2dInputGradOp) WriteHash(h hash.Hash) { io.WriteString(h, op.String()) }
func (op conv2dInputGradOp) Hashcode() uint32      { return hashString(op.String()) }
func (op conv2dInputGradOp) String() string {
	return fmt.Sprintf("nn.Conv2DInputGrad{%v, input=(%d, %d)}", op.convGeom, op.h, op.w)
}

func (op conv2dWeightGradOp) Arity() int { return 2 }
func (op conv2dWeightGradOp) Type() hm.Type {
	t4 := gorgonia.TensorType{Dims: 4, Of: hm.TypeVariable('a')}
	return hm.NewFnType(t4, t4, t4)
}
func (op conv2dWeightGradOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf(op, in)
	if err != nil {
		return nil, err
	}
	return op.outShape(s[0], s[1])
}

func (op conv2dWeightGradOp) outShape(x, dy tensor.Shape) (tensor.Shape, error) {
	if x.Dims() != 4 || dy.Dims() != 4 || dy[0] != x[0] {
		return nil, errors.Errorf("nn: %v: input %v and output gradient %v do not fit", op, x, dy)
	}
	if oh, ow := op.outSize(x[2], x[3]); dy[2] != oh || dy[3] != ow {
		return nil, errors.Errorf("nn: %v: input %v and output gradient %v do not fit", op, x, dy)
	}
	return tensor.Shape{dy[1], x[1], op.kh, op.kw}, nil
}

func (op conv2dWeightGradOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	ds, err := denseArgs(op, in)
	if err != nil {
		return nil, err
	}
	ws, err := op.outShape(ds[0].Shape(), ds[1].Shape())
	if err != nil {
		return nil, err
	}
	dw := op.out.Tensor(ds[0].Dtype(), ws)
	switch ds[0].Dtype() {
	case tensor.Float32:
		convWeightGrad(op.convGeom, ds[0], ds[1], dw, sgemm)
	default:
		convWeightGrad(op.convGeom, ds[0], ds[1], dw, dgemm)
	}
	return dw, nil
}

func (op conv2dWeightGradOp) ReturnsPtr() bool      { return false }
func (op conv2dWeightGradOp) CallsExtern() bool     { return false }
func (op conv2dWeightGradOp) OverwritesInput() int  { return -1 }
func (op conv2dWeightGradOp) WriteHash(h hash.Hash) { io.WriteString(h, op.String()) }
func (op conv2dWeightGradOp) Hashcode() uint32      { return hashString(op.String()) }
func (op conv2dWeightGradOp) String() string {
	return fmt.Sprintf("nn.Conv2DWeightGrad{%v}", op.convGeom)
}

func (op channelSumOp) Arity() int { return 1 }
func (op channelSumOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(gorgonia.TensorType{Dims: 4, Of: a}, gorgonia.TensorType{Dims: 1, Of: a})
}
func (op channelSumOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf(op, in)
	if err != nil {
		return nil, err
	}
	if s[0].Dims() < 2 {
		return nil, errors.Errorf("nn: %v: input %v, want (N, C, ...)", op, s[0])
	}
	return tensor.Shape{s[0][1]}, nil
}

func (op channelSumOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	ds, err := denseArgs(op, in)
	if err != nil {
		return nil, err
	}
	s := ds[0].Shape()
	if s.Dims() < 2 {
		return nil, errors.Errorf("nn: %v: input %v, want (N, C, ...)", op, s)
	}
	out := op.out.Tensor(ds[0].Dtype(), tensor.Shape{s[1]})
	inner := s.TotalSize() / (s[0] * s[1])
	switch ds[0].Dtype() {
	case tensor.Float32:
		channelSum(ds[0].Data().([]float32), out.Data().([]float32), s[0], s[1], inner)
	default:
		channelSum(ds[0].Data().([]float64), out.Data().([]float64), s[0], s[1], inner)
	}
	return out, nil
}

func (op channelSumOp) ReturnsPtr() bool      { return false }
func (op channelSumOp) CallsExtern() bool     { return false }
func (op channelSumOp) OverwritesInput() int  { return -1 }
func (op channelSumOp) WriteHash(h hash.Hash) { io.WriteString(h, op.String()) }
func (op channelSumOp) Hashcode() uint32      { return hashString(op.String()) }
func (op channelSumOp) String() string        { return "nn.ChannelSum{}" }

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

// shapesOf returns the shapes given to InferShape.
func shapesOf(op gorgonia.Op, in []gorgonia.DimSizer) ([]tensor.Shape, error) {
	if len(in) != op.Arity() {
		return nil, errors.Errorf("nn: %v: got %d input shapes, want %d", op, len(in), op.Arity())
	}
	s := make([]tensor.Shape, len(in))
	for i, d := range in {
		var ok bool
		if s[i], ok = d.(tensor.Shape); !ok {
			return nil, errors.Errorf("nn: %v: input %d shape is a %T, want tensor.Shape", op, i, d)
		}
	}
	return s, nil
}

// denseArgs returns the values given to Do as contiguous float tensors of one dtype.
func denseArgs(op gorgonia.Op, in []gorgonia.Value) ([]*tensor.Dense, error) {
	if len(in) != op.Arity() {
		return nil, errors.Errorf("nn: %v: got %d inputs, want %d", op, len(in), op.Arity())
	}
	ds := make([]*tensor.Dense, len(in))
	for i, v := range in {
		d, ok := v.(*tensor.Dense)
		if !ok || d == nil {
			return nil, errors.Errorf("nn: %v: input %d is a %T, want *tensor.Dense", op, i, v)
		}
		if d.IsMaterializable() {
			if d, ok = d.Materialize().(*tensor.Dense); !ok {
				return nil, errors.Errorf("nn: %v: input %d: cannot materialise a view", op, i)
			}
		}
		if dt := d.Dtype(); (dt != tensor.Float32 && dt != tensor.Float64) || dt != in[0].Dtype() {
			return nil, errors.Errorf("nn: %v: input %d has dtype %v, want float32 or float64 like input 0", op, i, dt)
		}
		ds[i] = d
	}
	return ds, nil
}

// hashString is the FNV-1a hash of s. Ops hash their String, which prints every field,
// so ops that differ in any field never merge into one node.
func hashString(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}
