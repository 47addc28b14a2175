package nn_test

import (
	"fmt"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"gorgonia.org/tensor"
)

func ExampleNewSequential() {
	s := graph.NewScope(graph.Float32, graph.Seed(1))
	model, err := nn.NewSequential(s.Sub("mlp"),
		nn.LinearConfig{In: 784, Out: 256, Activation: nn.ReLU},
		nn.LinearConfig{In: 256, Out: 10})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range model.Params() {
		fmt.Println(p)
	}
	// Output:
	// mlp/0/weight weight (784, 256)
	// mlp/0/bias bias (256)
	// mlp/2/weight weight (256, 10)
	// mlp/2/bias bias (10)
}

// A Linear layer with hand-set weights, run in an evaluation graph.
func ExampleLinear() {
	s := graph.NewScope(graph.Float64)
	fc, _ := nn.NewLinear(s.Sub("fc"), nn.LinearConfig{In: 2, Out: 1})
	_ = fc.Weight.SetValues([]float64{2, -1})
	_ = fc.Bias.SetValues([]float64{0.5})

	g := graph.New(graph.Float64, graph.Eval)
	x, _ := g.Input("x", 2, 2)
	y, err := fc.Forward(g, x)
	if err != nil {
		fmt.Println(err)
		return
	}
	m, _ := graph.Compile(g, graph.Outputs(y))
	batch := tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float64{1, 1, 3, 2}))
	if err := m.Run(graph.Feeds{x: batch}); err != nil {
		fmt.Println(err)
		return
	}
	out, _ := m.Output(y)
	fmt.Println(out.Data())
	// Output: [1.5 4.5]
}
