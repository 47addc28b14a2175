package nn_test

import (
	"fmt"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"gorgonia.org/gorgonia"
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

// Activations are values: they go straight into a Sequential, between layers.
func ExampleActivation() {
	g := graph.New(graph.Float64, graph.Eval)
	x, _ := g.Input("x", 1, 4)
	acts := []nn.Activation{nn.ReLU, nn.LeakyReLU(0.1), nn.GELU, nn.GELUTanh, nn.SiLU, nn.Sigmoid, nn.Tanh, nn.Softmax}
	var ys []*gorgonia.Node
	for _, a := range acts {
		y, err := nn.Forward(a, g, x)
		if err != nil {
			fmt.Println(err)
			return
		}
		ys = append(ys, y)
	}
	m, _ := graph.Compile(g, graph.Outputs(ys...))
	batch := tensor.New(tensor.WithShape(1, 4), tensor.WithBacking([]float64{-2, -0.5, 0, 1.5}))
	if err := m.Run(graph.Feeds{x: batch}); err != nil {
		fmt.Println(err)
		return
	}
	for i, a := range acts {
		out, _ := m.Output(ys[i])
		fmt.Printf("%-15v %.4f\n", a, out.Data())
	}
	// Output:
	// relu            [0.0000 0.0000 0.0000 1.5000]
	// leaky_relu(0.1) [-0.2000 -0.0500 0.0000 1.5000]
	// gelu            [-0.0455 -0.1543 0.0000 1.3998]
	// gelu_tanh       [-0.0454 -0.1543 0.0000 1.3996]
	// silu            [-0.2384 -0.1888 0.0000 1.2264]
	// sigmoid         [0.1192 0.3775 0.5000 0.8176]
	// tanh            [-0.9640 -0.4621 0.0000 0.9051]
	// softmax         [0.0217 0.0975 0.1607 0.7201]
}

// A Linear layer applies its Activation itself; with ReLU, in the same node
// (ops.LinearReLU). In a Sequential it takes two positions, as nn.Linear and nn.ReLU
// in PyTorch: the output layer is "mlp/2".
func ExampleLinearConfig_activation() {
	s := graph.NewScope(graph.Float64, graph.Seed(1))
	model, err := nn.NewSequential(s.Sub("mlp"),
		nn.LinearConfig{In: 2, Out: 2, Activation: nn.ReLU},
		nn.LinearConfig{In: 2, Out: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	hidden := model.Layers[0].(*nn.Linear)
	_ = hidden.Weight.SetValues([]float64{1, -1, 1, -1}) // both units see x0 + x1, the second negated
	_ = hidden.Bias.SetValues([]float64{0, 0})
	out := model.Layers[1].(*nn.Linear)
	_ = out.Weight.SetValues([]float64{1, 10})
	_ = out.Bias.SetValues([]float64{0})
	fmt.Println(hidden, hidden.Activation, "then", out)

	g := graph.New(graph.Float64, graph.Eval)
	x, _ := g.Input("x", 2, 2)
	y, err := nn.Forward(model, g, x)
	if err != nil {
		fmt.Println(err)
		return
	}
	m, _ := graph.Compile(g, graph.Outputs(y))
	batch := tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float64{1, 2, -1, -2}))
	if err := m.Run(graph.Feeds{x: batch}); err != nil {
		fmt.Println(err)
		return
	}
	o, _ := m.Output(y)
	fmt.Println(o.Data())
	// Output:
	// linear "mlp/0" relu then linear "mlp/2"
	// [3 30]
}

// A layer built elsewhere (here shared by two models) goes into a Sequential with Use;
// it keeps its own Params.
func ExampleUse() {
	s := graph.NewScope(graph.Float32, graph.Seed(1))
	encoder, _ := nn.NewLinear(s.Sub("encoder"), nn.LinearConfig{In: 8, Out: 4, Activation: nn.Tanh})
	classifier, err := nn.NewSequential(s.Sub("cls"), nn.Use(encoder), nn.LinearConfig{In: 4, Out: 3})
	if err != nil {
		fmt.Println(err)
		return
	}
	regressor, _ := nn.NewSequential(s.Sub("reg"), nn.Use(encoder), nn.LinearConfig{In: 4, Out: 1})
	for _, p := range append(classifier.Params(), regressor.Params()...) {
		fmt.Println(p.Name())
	}
	// Output:
	// encoder/weight
	// encoder/bias
	// cls/2/weight
	// cls/2/bias
	// encoder/weight
	// encoder/bias
	// reg/2/weight
	// reg/2/bias
}

// faulty is a user's layer with a bug: its Forward indexes past the end of a slice.
type faulty struct{ widths []int }

func (l faulty) Forward(_ *graph.Graph, x *gorgonia.Node) (*gorgonia.Node, error) {
	_ = l.widths[x.Dims()] // the bug
	return x, nil
}

func (faulty) Params() []*graph.Param { return nil }

// Forward turns a panic while building a layer's nodes into an error that names the
// layer and says whose code panicked. Sequential, Residual and the Trainer build every
// layer through it.
func ExampleForward() {
	s := graph.NewScope(graph.Float32)
	model, _ := nn.NewSequential(s.Sub("m"), nn.LinearConfig{In: 3, Out: 2}, nn.Use(faulty{}))
	g := graph.New(graph.Float32, graph.Eval)
	x, _ := g.Input("x", 4, 3)
	_, err := nn.Forward(model, g, x)
	fmt.Println(err)
	// Output:
	// nn: sequential "m": layer 1 (nn_test.faulty): nn: layer nn_test.faulty: user code panicked in github.com/gradflow/gradflow/nn_test.faulty.Forward: runtime error: index out of range [2] with length 0
}
