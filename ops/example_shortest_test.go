package ops_test

import (
	"fmt"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/ops"
)

// square is the shortest Def that works (docs/custom-ops.md): y = x², float64 only,
// its backward written with gorgonia's ops.
var square = &ops.Def[struct{}]{
	Name: "Square", Arity: 1,
	Shape: func(_ struct{}, in []tensor.Shape) (tensor.Shape, error) { return in[0], nil },
	Forward: func(_ struct{}, in []*tensor.Dense, out *tensor.Dense) error {
		for i, v := range in[0].Float64s() {
			out.Float64s()[i] = v * v
		}
		return nil
	},
	Backward: func(_ struct{}, in []*gorgonia.Node, _, dy *gorgonia.Node) ([]*gorgonia.Node, error) {
		two, err := gorgonia.Mul(in[0], gorgonia.NewConstant(2.0))
		if err != nil {
			return nil, err
		}
		dx, err := gorgonia.HadamardProd(two, dy) // dy·2x
		return []*gorgonia.Node{dx}, err
	},
}

// The shortest Def, checked numerically with CheckFunc.
func ExampleDef_shortest() {
	x := tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float64{1, -2, 0.5, 3}))
	rep, err := ops.CheckFunc(func(in ...*gorgonia.Node) (*gorgonia.Node, error) {
		return square.Apply(struct{}{}, in[0])
	}, ops.CheckConfig{}, x)
	if err != nil {
		panic(err)
	}
	fmt.Println(rep.Passed, rep.Checked)
	// Output: true 4
}
