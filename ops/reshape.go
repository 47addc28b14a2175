package ops

import (
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Reshape returns x's elements, in row-major order, in a tensor of the given shape.
// One dimension may be -1: it is inferred from x's size. The shape slice is not
// modified (gorgonia.Reshape writes the inferred -1 into its caller's slice).
//
// It replaces gorgonia.Reshape, whose output shares x's memory without gorgonia's
// memory planning knowing it: an op after the reshape whose backward reuses its
// operand's memory (Square, Cube, Rectify, HadamardProd of a value with itself) writes
// its gradient over x. With x a weight, one training step replaces the weight by its
// gradient; CheckGrad of Square(gorgonia.Reshape(x)) fails with a numeric gradient of
// 1e4 (TestGorgoniaReshapeAliasesItsInput). This Reshape copies, forward and
// backward: one pass over the data each way.
func Reshape(x *gorgonia.Node, shape ...int) (*gorgonia.Node, error) {
	const name = "Reshape"
	if err := checkFloat(name, "x", x); err != nil {
		return nil, err
	}
	s, err := inferShape(x.Shape(), shape)
	if err != nil {
		return nil, errors.Wrapf(err, "ops: %s", name)
	}
	if sameShape(s, x.Shape()) {
		return x, nil
	}
	return reshapeDef.Apply(reshapeParams{Shape: s}, x)
}

// reshapeParams holds the output shape, -1 resolved.
type reshapeParams struct {
	Shape []int
}

// inferShape resolves a -1 in shape for an input of shape in and checks the size.
func inferShape(in tensor.Shape, shape []int) (tensor.Shape, error) {
	size := in.TotalSize()
	if in.IsScalar() {
		size = 1
	}
	out := make(tensor.Shape, len(shape))
	copy(out, shape)
	known, free := 1, -1
	for i, d := range out {
		switch {
		case d == -1 && free < 0:
			free = i
		case d <= 0:
			return nil, errors.Errorf("shape %v: dimension %d is %d, want > 0 (or one -1)", shape, i, d)
		default:
			known *= d
		}
	}
	if free >= 0 {
		if known == 0 || size%known != 0 {
			return nil, errors.Errorf("shape %v does not fit %d elements of x %v", shape, size, in)
		}
		out[free] = size / known
		known = size
	}
	if known != size {
		return nil, errors.Errorf("shape %v holds %d elements, x %v holds %d", shape, known, in, size)
	}
	return out, nil
}

var reshapeDef = &Def[reshapeParams]{
	Name:  "Reshape",
	Arity: 1,
	Shape: func(p reshapeParams, in []tensor.Shape) (tensor.Shape, error) {
		return inferShape(in[0], p.Shape)
	},
	Forward: func(p reshapeParams, in []*tensor.Dense, y *tensor.Dense) error {
		x := in[0]
		if x.Dtype() == tensor.Float32 {
			copy(y.Float32s(), x.Float32s())
		} else {
			copy(y.Float64s(), x.Float64s())
		}
		return nil
	},
}

func init() {
	// Set here: a Backward that applies its own Def would be an initialisation cycle.
	reshapeDef.Backward = func(_ reshapeParams, in []*gorgonia.Node, _, dy *gorgonia.Node) ([]*gorgonia.Node, error) {
		dx, err := Reshape(dy, in[0].Shape()...)
		return []*gorgonia.Node{dx}, err
	}
}
