package nn_test

import (
	"fmt"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"gorgonia.org/tensor"
)

// An LSTM over a batch of 2 sequences of 5 steps with 3 features, returning every
// hidden state and the last state and cell.
func ExampleLSTM() {
	s := graph.NewScope(graph.Float32, graph.Seed(1))
	lstm, err := nn.NewLSTM(s.Sub("lstm"), nn.LSTMConfig{In: 3, Hidden: 4})
	if err != nil {
		panic(err)
	}
	for _, p := range lstm.Params() {
		fmt.Println(p.Name(), p.Shape()) // PyTorch's layout: gates i, f, g, o stacked
	}

	g := graph.New(graph.Float32, graph.Eval)
	x, _ := g.Input("x", 2, 5, 3)
	out, h, c, err := lstm.Run(g, x, nil, nil) // zero initial state
	if err != nil {
		panic(err)
	}
	m, err := graph.Compile(g, graph.Outputs(out, h, c))
	if err != nil {
		panic(err)
	}
	if err := m.Run(graph.Feeds{x: tensor.New(tensor.WithShape(2, 5, 3), tensor.Of(tensor.Float32))}); err != nil {
		panic(err)
	}
	fmt.Println(out.Shape(), h.Shape(), c.Shape())
	// Output:
	// lstm/weight_ih [16 3]
	// lstm/weight_hh [16 4]
	// lstm/bias_ih [16]
	// lstm/bias_hh [16]
	// (2, 5, 4) (2, 4) (2, 4)
}
