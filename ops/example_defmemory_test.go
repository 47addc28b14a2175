package ops_test

import (
	"fmt"

	"github.com/gradflow/gradflow/ops"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

var double = &ops.Def[struct{}]{
	Name:  "Double",
	Arity: 1,
	Shape: func(_ struct{}, in []tensor.Shape) (tensor.Shape, error) { return in[0], nil },
	Forward: func(_ struct{}, in []*tensor.Dense, y *tensor.Dense) error {
		for i, v := range in[0].Float64s() {
			y.Float64s()[i] = 2 * v
		}
		return nil
	},
}

// A Def's node owns its output memory: Forward writes into the same tensor memory at
// every run of the machine instead of allocating a new output.
func ExampleDef_outputMemory() {
	g := gorgonia.NewGraph()
	x := gorgonia.NewVector(g, tensor.Float64, gorgonia.WithShape(2), gorgonia.WithName("x"),
		gorgonia.WithValue(tensor.New(tensor.WithBacking([]float64{1, 2}))))
	y, err := double.Apply(struct{}{}, x)
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
