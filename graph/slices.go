package graph

import (
	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// Number is an element type TensorOf and ValuesOf handle: the float dtypes gradflow
// computes in, and int for class labels and token ids.
type Number interface {
	float32 | float64 | int
}

// TensorOf returns a dense tensor of the given shape holding a copy of data, in
// row-major order: the feed for a graph input or Predict, made from a Go slice
// without gorgonia's tensor options. With no shape it is a vector of len(data).
//
//	x, err := graph.TensorOf([]float32{0, 1, 1, 0}, 2, 2)
func TensorOf[T Number](data []T, shape ...int) (*tensor.Dense, error) {
	if len(shape) == 0 {
		shape = []int{len(data)}
	}
	n := 1
	for i, d := range shape {
		if d <= 0 {
			return nil, errors.Errorf("graph: TensorOf: dimension %d of shape %v is %d; want > 0", i, shape, d)
		}
		if n > (1<<62)/d {
			return nil, errors.Errorf("graph: TensorOf: shape %v is too large", shape)
		}
		n *= d
	}
	if n != len(data) {
		return nil, errors.Errorf("graph: TensorOf: shape %v holds %d values, the slice has %d", shape, n, len(data))
	}
	backing := make([]T, len(data))
	copy(backing, data)
	return tensor.New(tensor.WithShape(append([]int(nil), shape...)...), tensor.WithBacking(backing)), nil
}

// ValuesOf returns a copy of t's values in row-major order as a []T: a model output
// read as a Go slice, with no type assertion. It fails when t's dtype is not T's.
//
//	probs, err := graph.ValuesOf[float32](out)
func ValuesOf[T Number](t tensor.Tensor) ([]T, error) {
	if t == nil {
		return nil, errors.New("graph: ValuesOf of a nil tensor")
	}
	d, ok := t.(*tensor.Dense)
	if !ok {
		return nil, errors.Errorf("graph: ValuesOf: a %T, want a *tensor.Dense", t)
	}
	if d.RequiresIterator() {
		d = d.Materialize().(*tensor.Dense) // a view: copy it out in order
	}
	if v, ok := d.Data().(T); ok { // a scalar
		return []T{v}, nil
	}
	src, ok := d.Data().([]T)
	if !ok {
		var zero T
		return nil, errors.Errorf("graph: ValuesOf[%T] of a %v tensor", zero, d.Dtype())
	}
	return append([]T(nil), src...), nil
}
