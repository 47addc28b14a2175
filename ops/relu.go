package ops

import (
	"hash"
	"io"
	"unsafe"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ReLU returns the rectified linear unit max(x, 0) element-wise, as PyTorch's F.relu:
// NaN stays NaN, -Inf becomes 0, and the result has x's shape and dtype. The gradient
// is dy where the output is not <= 0 and 0 elsewhere (0 at x = 0, as PyTorch; dy at
// a NaN input, as PyTorch's threshold_backward).
//
// It replaces gorgonia.Rectify for speed. Rectify is x * (x >= 0): a comparison node
// that allocates a 0/1 tensor, then a product node, each with its own output, and a
// backward of two more element-wise nodes; and x * 0 makes -Inf a NaN. ReLU is one
// node each way, one pass over the tensor in its own dtype (AVX2 where available),
// with PyTorch's values bit for bit (relu(-0) is -0).
//
// It is a hand-written op rather than a Def. When it was written a Def's Forward had to
// return a new tensor: the same kernels through a Def took 1.0 ms a forward and backward
// run on a (128, 512) float32 input against 0.45 ms here, and Rectify 1.5 ms
// (BenchmarkReLU, gonum's BLAS; the difference was allocating and zeroing the outputs
// every run). A Def can now write into an ops.Buffer, but its parameters (the Buffer's
// address included) go into the hash, so two identical ReLUs of one input would no
// longer merge into one node as they do here.
func ReLU(x *gorgonia.Node) (n *gorgonia.Node, err error) {
	if err := checkFloat("ReLU", "x", x); err != nil {
		return nil, err
	}
	if x.IsScalar() {
		return nil, errors.Errorf("ops: ReLU: x is a scalar, want a tensor")
	}
	return apply("ReLU", reluOp{out: new(outBuf)}, x)
}

// reluOp is y = max(x, 0).
type reluOp struct{ out *outBuf }

// reluGradOp maps (y, dy) to dy where y > 0 (or NaN), 0 elsewhere; y is the output of
// a ReLU (never negative), of dy's shape.
type reluGradOp struct{ out *outBuf }

var (
	_ gorgonia.Op   = reluOp{}
	_ gorgonia.SDOp = reluOp{}
	_ gorgonia.Op   = reluGradOp{}
)

func (op reluOp) Arity() int { return 1 }

// Type is a -> a for tensors of any rank: the input's type is the output's.
func (op reluOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(a, a)
}

func (op reluOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	s, err := shapeArg(op, in, 0)
	if err != nil {
		return nil, err
	}
	return s.Clone(), nil
}

func (op reluOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	if err := checkArity(op, in); err != nil {
		return nil, err
	}
	x, err := denseArg(op, in[0], 0)
	if err != nil {
		return nil, err
	}
	y := op.out.newOut(x.Dtype(), x.Shape())
	if x.Dtype() == tensor.Float32 {
		reluF32(elems[float32](x), elems[float32](y))
	} else {
		reluF64(elems[float64](x), elems[float64](y))
	}
	return y, nil
}

func (op reluOp) ReturnsPtr() bool      { return false }
func (op reluOp) CallsExtern() bool     { return false }
func (op reluOp) OverwritesInput() int  { return -1 }
func (op reluOp) WriteHash(h hash.Hash) { io.WriteString(h, op.String()) }
func (op reluOp) Hashcode() uint32      { return hash32(op.String()) }
func (op reluOp) String() string        { return "ops.ReLU{}" }

func (op reluOp) DiffWRT(inputs int) []bool { return []bool{true} }

func (op reluOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if len(inputs) != 1 {
		return nil, errors.Errorf("ops: %v: SymDiff got %d inputs, want 1", op, len(inputs))
	}
	dx, err := apply("ReLUGrad", reluGradOp{out: new(outBuf)}, output, grad)
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{dx}, nil
}

func (op reluGradOp) Arity() int { return 2 }

func (op reluGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(a, a, a)
}

func (op reluGradOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	y, err := shapeArg(op, in, 0)
	if err != nil {
		return nil, err
	}
	dy, err := shapeArg(op, in, 1)
	if err != nil {
		return nil, err
	}
	if !sameShape(y, dy) {
		return nil, errors.Errorf("ops: %v: output %v and its gradient %v, want one shape", op, y, dy)
	}
	return y.Clone(), nil
}

func (op reluGradOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	if err := checkArity(op, in); err != nil {
		return nil, err
	}
	y, err := denseArg(op, in[0], 0)
	if err != nil {
		return nil, err
	}
	dy, err := denseArg(op, in[1], 1)
	if err != nil {
		return nil, err
	}
	if y.Dtype() != dy.Dtype() || !sameShape(y.Shape(), dy.Shape()) {
		return nil, errors.Errorf("ops: %v: output %v %v and its gradient %v %v, want one shape and dtype", op, y.Shape(), y.Dtype(), dy.Shape(), dy.Dtype())
	}
	dx := op.out.newOut(y.Dtype(), y.Shape())
	if y.Dtype() == tensor.Float32 {
		reluMaskF32(elems[float32](y), elems[float32](dy), elems[float32](dx))
	} else {
		reluMaskF64(elems[float64](y), elems[float64](dy), elems[float64](dx))
	}
	return dx, nil
}

func (op reluGradOp) ReturnsPtr() bool      { return false }
func (op reluGradOp) CallsExtern() bool     { return false }
func (op reluGradOp) OverwritesInput() int  { return -1 }
func (op reluGradOp) WriteHash(h hash.Hash) { io.WriteString(h, op.String()) }
func (op reluGradOp) Hashcode() uint32      { return hash32(op.String()) }
func (op reluGradOp) String() string        { return "ops.ReLUGrad{}" }

// The kernels run on AVX2 where the CPU has it (simd_amd64.s: VMAXPS, and a compare
// and an and for the mask), 8 float32s or 4 float64s at a time, and the tails and
// other CPUs in Go. The Go kernels work on the bits of the floats: a branch on the
// sign of random data is mispredicted half the time, which made a branching loop 4 to
// 5 times slower (5.5 ns against 1.3 ns an element, float32, 64K elements). Both
// compute PyTorch's values: x < 0 ? 0 : x (NaN and -0 pass through), and
// dy where !(y <= 0), else 0.

// reluF32 writes max(x, 0) into y (len(y) >= len(x)); x and y may be the same slice.
func reluF32(x, y []float32) {
	y = y[:len(x)]
	n := 0
	if useAVX2 && len(x) >= 8 {
		n = len(x) &^ 7
		reluAVX2S(&x[0], &y[0], n)
	}
	reluGoF32(x[n:], y[n:])
}

func reluF64(x, y []float64) {
	y = y[:len(x)]
	n := 0
	if useAVX2 && len(x) >= 4 {
		n = len(x) &^ 3
		reluAVX2D(&x[0], &y[0], n)
	}
	reluGoF64(x[n:], y[n:])
}

// reluMaskF32 writes dy where !(y <= 0) and 0 elsewhere into dx: PyTorch's
// threshold_backward, which passes the gradient at a NaN output.
func reluMaskF32(y, dy, dx []float32) {
	dy, dx = dy[:len(y)], dx[:len(y)]
	n := 0
	if useAVX2 && len(y) >= 8 {
		n = len(y) &^ 7
		reluMaskAVX2S(&y[0], &dy[0], &dx[0], n)
	}
	reluMaskGoF32(y[n:], dy[n:], dx[n:])
}

func reluMaskF64(y, dy, dx []float64) {
	dy, dx = dy[:len(y)], dx[:len(y)]
	n := 0
	if useAVX2 && len(y) >= 4 {
		n = len(y) &^ 3
		reluMaskAVX2D(&y[0], &dy[0], &dx[0], n)
	}
	reluMaskGoF64(y[n:], dy[n:], dx[n:])
}

// reluGoF32 zeroes the elements whose sign bit is set unless they are NaN or -0.
func reluGoF32(x, y []float32) {
	y = y[:len(x)]
	xs := unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(x))), len(x))
	ys := unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(y))), len(y))
	for i, u := range xs {
		a := u & 0x7fffffff
		neg := uint32(int32(u) >> 31)            // all ones if the sign bit is set
		nonzero := uint32(int32(a|-a) >> 31)     // all ones unless ±0
		nan := uint32(int32(0x7f800000-a) >> 31) // all ones if NaN
		ys[i] = u &^ (neg & nonzero &^ nan)
	}
}

func reluGoF64(x, y []float64) {
	y = y[:len(x)]
	xs := unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(x))), len(x))
	ys := unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(y))), len(y))
	for i, u := range xs {
		a := u & 0x7fffffffffffffff
		neg := uint64(int64(u) >> 63)
		nonzero := uint64(int64(a|-a) >> 63)
		nan := uint64(int64(0x7ff0000000000000-a) >> 63)
		ys[i] = u &^ (neg & nonzero &^ nan)
	}
}

func reluMaskGoF32(y, dy, dx []float32) {
	dy, dx = dy[:len(y)], dx[:len(y)]
	ys := unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(y))), len(y))
	ds := unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(dy))), len(y))
	xs := unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(dx))), len(y))
	for i, u := range ys {
		a := u & 0x7fffffff
		nonzero := uint32(int32(a|-a) >> 31)
		neg := uint32(int32(u) >> 31)
		nan := uint32(int32(0x7f800000-a) >> 31)
		xs[i] = ds[i] & (nonzero &^ (neg &^ nan))
	}
}

func reluMaskGoF64(y, dy, dx []float64) {
	dy, dx = dy[:len(y)], dx[:len(y)]
	ys := unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(y))), len(y))
	ds := unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(dy))), len(y))
	xs := unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(dx))), len(y))
	for i, u := range ys {
		a := u & 0x7fffffffffffffff
		nonzero := uint64(int64(a|-a) >> 63)
		neg := uint64(int64(u) >> 63)
		nan := uint64(int64(0x7ff0000000000000-a) >> 63)
		xs[i] = ds[i] & (nonzero &^ (neg &^ nan))
	}
}

// IsReLU reports whether n is the output of ReLU or of LinearReLU: a rectified
// tensor, whose zeros are the "dead" units that training diagnostics count.
func IsReLU(n *gorgonia.Node) bool {
	if n == nil {
		return false
	}
	if _, ok := n.Op().(reluOp); ok {
		return true
	}
	p, _, ok := linearDef.Of(n)
	return ok && p.ReLU
}
