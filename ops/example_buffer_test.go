package ops_test

import (
	"fmt"

	"github.com/gradflow/gradflow/ops"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// doubleParams carry the node's output memory: a new Buffer per application.
type doubleParams struct{ Out *ops.Buffer }

var double = &ops.Def[doubleParams]{
	Name:  "Double",
	Arity: 1,
	Shape: func(_ doubleParams, in []tensor.Shape) (tensor.Shape, error) { return in[0], nil },
	Forward: func(p doubleParams, in []*tensor.Dense) (*tensor.Dense, error) {
		y := p.Out.Tensor(in[0].Dtype(), in[0].Shape()) // last run's values: overwrite all
		for i, v := range in[0].Float64s() {
			y.Float64s()[i] = 2 * v
		}
		return y, nil
	},
}

// A node whose op writes into an ops.Buffer reuses the same memory at every run of
// its machine instead of allocating a new output.
func ExampleBuffer() {
	g := gorgonia.NewGraph()
	x := gorgonia.NewVector(g, tensor.Float64, gorgonia.WithShape(2), gorgonia.WithName("x"),
		gorgonia.WithValue(tensor.New(tensor.WithBacking([]float64{1, 2}))))
	y, err := double.Apply(doubleParams{Out: new(ops.Buffer)}, x)
	if err != nil {
		fmt.Println(err)
		return
	}
	m := gorgonia.NewTapeMachine(g)
	defer m.Close()
	var first *float64
	for run := 0; run < 2; run++ {
		m.Reset()
		if err := m.RunAll(); err != nil {
			fmt.Println(err)
			return
		}
		v := y.Value().Data().([]float64)
		if run == 0 {
			first = &v[0]
		}
		fmt.Println(v, &v[0] == first)
	}
	// Output:
	// [2 4] true
	// [2 4] true
}
