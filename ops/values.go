package ops

import (
	"hash/fnv"
	"math"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// float is the element type of the tensors our ops accept. Kernels are written once
// for both and accumulate in float64.
type float interface{ ~float32 | ~float64 }

// checkFloat returns an error unless n is a non-nil float32 or float64 node.
func checkFloat(op, arg string, n *gorgonia.Node) error {
	if n == nil {
		return errors.Errorf("ops: %s: %s is nil", op, arg)
	}
	if dt := n.Dtype(); dt != tensor.Float64 && dt != tensor.Float32 {
		return errors.Errorf("ops: %s: %s has dtype %v, want float32 or float64", op, arg, dt)
	}
	return nil
}

// normAxis maps axis (negative counts from the end) into [0, dims).
func normAxis(op string, axis, dims int) (int, error) {
	a := axis
	if a < 0 {
		a += dims
	}
	if a < 0 || a >= dims {
		return 0, errors.Errorf("ops: %s: axis %d out of range for a %d-D input, want in [%d, %d)", op, axis, dims, -dims, dims)
	}
	return a, nil
}

// tensorType is the hm type of a dims-D tensor of a.
func tensorType(dims int, a hm.Type) hm.Type {
	if dims == 0 {
		return a
	}
	return gorgonia.TensorType{Dims: dims, Of: a}
}

// shapeArg returns the i-th shape given to InferShape.
func shapeArg(op gorgonia.Op, in []gorgonia.DimSizer, i int) (tensor.Shape, error) {
	if len(in) != op.Arity() {
		return nil, errors.Errorf("ops: %v: got %d input shapes, want %d", op, len(in), op.Arity())
	}
	s, ok := in[i].(tensor.Shape)
	if !ok {
		return nil, errors.Errorf("ops: %v: input %d shape is a %T, want tensor.Shape", op, i, in[i])
	}
	return s, nil
}

// checkArity returns an error unless Do got op.Arity() values.
func checkArity(op gorgonia.Op, in []gorgonia.Value) error {
	if len(in) != op.Arity() {
		return errors.Errorf("ops: %v: got %d inputs, want %d", op, len(in), op.Arity())
	}
	for i, v := range in {
		if v == nil {
			return errors.Errorf("ops: %v: input %d is nil", op, i)
		}
	}
	return nil
}

// denseArg returns v as a contiguous float *tensor.Dense (materialising a view).
func denseArg(op gorgonia.Op, v gorgonia.Value, i int) (*tensor.Dense, error) {
	d, ok := v.(*tensor.Dense)
	if !ok {
		return nil, errors.Errorf("ops: %v: input %d is a %T, want *tensor.Dense", op, i, v)
	}
	if d.IsMaterializable() {
		m, ok := d.Materialize().(*tensor.Dense)
		if !ok {
			return nil, errors.Errorf("ops: %v: input %d: cannot materialise a view", op, i)
		}
		d = m
	}
	if dt := d.Dtype(); dt != tensor.Float64 && dt != tensor.Float32 {
		return nil, errors.Errorf("ops: %v: input %d has dtype %v, want float32 or float64", op, i, dt)
	}
	return d, nil
}

// elems returns the first Size() elements of d's backing slice as []T.
func elems[T float](d *tensor.Dense) []T {
	return d.Data().([]T)[:d.Size()]
}

// scalarOf returns v as a gorgonia scalar of dtype dt.
func scalarOf(dt tensor.Dtype, v float64) gorgonia.Value {
	if dt == tensor.Float32 {
		return gorgonia.NewF32(float32(v))
	}
	return gorgonia.NewF64(v)
}

// apply builds op on children, turning a gorgonia panic into an error.
func apply(name string, op gorgonia.Op, children ...*gorgonia.Node) (n *gorgonia.Node, err error) {
	defer recoverInto(&err, "ops: "+name)
	n, err = gorgonia.ApplyOp(op, children...)
	if err != nil {
		return nil, errors.Wrapf(err, "ops: %s", name)
	}
	return n, nil
}

// recoverInto turns a panic into an error stored in *err, prefixed with where.
// Use it as defer recoverInto(&err, "ops: X").
func recoverInto(err *error, where string) {
	r := recover()
	if r == nil {
		return
	}
	if e, ok := r.(error); ok {
		*err = errors.Wrapf(e, "%s: panic", where)
		return
	}
	*err = errors.Errorf("%s: panic: %v", where, r)
}

// splitAxis returns the sizes (outer, n, inner) that view shape as
// [outer][n][inner] with n = shape[axis].
func splitAxis(shape tensor.Shape, axis int) (outer, n, inner int) {
	outer, inner = 1, 1
	for i, d := range shape {
		switch {
		case i < axis:
			outer *= d
		case i > axis:
			inner *= d
		}
	}
	return outer, shape[axis], inner
}

// logSumExp returns log(sum(exp(x[i*stride]))) for i < n, shifted by the max so that
// it neither overflows nor underflows.
func logSumExp[T float](x []T, n, stride int) float64 {
	m := math.Inf(-1)
	for i := 0; i < n; i++ {
		if v := float64(x[i*stride]); v > m {
			m = v
		}
	}
	if math.IsInf(m, 0) {
		// All -Inf (the sum is 0) or some +Inf: the shift would make NaN.
		return m
	}
	var s float64
	for i := 0; i < n; i++ {
		s += math.Exp(float64(x[i*stride]) - m)
	}
	return m + math.Log(s)
}

// hash32 is the FNV-1a hash of s, as gorgonia's own ops hash. Our ops hash their
// String, which prints every field, so two ops that differ in any field never merge
// into one node.
func hash32(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}
