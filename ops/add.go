package ops

import (
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Add returns a + b for two nodes of one shape (no broadcasting) as one node, as
// torch.add(a, b): a residual connection's sum. It replaces gorgonia.Add, which clones
// a into a new tensor at every run; this node keeps its memory, and its backward hands
// dy to both inputs.
func Add(a, b *gorgonia.Node) (*gorgonia.Node, error) {
	const name = "Add"
	if err := checkFloat(name, "a", a); err != nil {
		return nil, err
	}
	if err := checkFloat(name, "b", b); err != nil {
		return nil, err
	}
	return addDef.Apply(struct{}{}, a, b)
}

// addDef maps (a, b) of one shape to a + b.
var addDef = &Def[struct{}]{
	Name: "Add", Arity: 2,
	Shape: func(_ struct{}, in []tensor.Shape) (tensor.Shape, error) {
		if !in[0].Eq(in[1]) {
			return nil, errors.Errorf("a %v and b %v, want one shape", in[0], in[1])
		}
		return in[0], nil
	},
	Forward: func(_ struct{}, in []*tensor.Dense, y *tensor.Dense) error {
		switch in[0].Dtype() {
		case tensor.Float32:
			addInto(y.Float32s(), in[0].Float32s(), in[1].Float32s())
		default:
			addInto(y.Float64s(), in[0].Float64s(), in[1].Float64s())
		}
		return nil
	},
	Backward: func(_ struct{}, _ []*gorgonia.Node, _, dy *gorgonia.Node) ([]*gorgonia.Node, error) {
		return []*gorgonia.Node{dy, dy}, nil
	},
}

// addInto writes a + b into y.
func addInto[F float](y, a, b []F) {
	b, y = b[:len(a)], y[:len(a)]
	for i, v := range a {
		y[i] = v + b[i]
	}
}
