package nn_test

import (
	"fmt"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// A 2x2 convolution with a kernel of ones sums each 2x2 window of a 3x3 image.
func ExampleConv2D() {
	s := graph.NewScope(graph.Float64)
	conv, err := nn.NewConv2D(s.Sub("conv"), nn.Conv2DConfig{In: 1, Out: 1, Kernel: [2]int{2, 2}})
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = conv.Weight.SetValues([]float64{1, 1, 1, 1}) // (Out, In, kH, kW) = (1, 1, 2, 2)
	_ = conv.Bias.SetValues([]float64{0.5})

	g := graph.New(graph.Float64, graph.Eval)
	x, _ := g.Input("x", 1, 1, 3, 3)
	y, err := conv.Forward(g, x)
	if err != nil {
		fmt.Println(err)
		return
	}
	m, _ := graph.Compile(g, graph.Outputs(y))
	img := tensor.New(tensor.WithShape(1, 1, 3, 3), tensor.WithBacking([]float64{1, 2, 3, 4, 5, 6, 7, 8, 9}))
	if err := m.Run(graph.Feeds{x: img}); err != nil {
		fmt.Println(err)
		return
	}
	out, _ := m.Output(y)
	fmt.Println(out.Shape(), out.Data())
	// Output: (1, 1, 2, 2) [12.5 16.5 24.5 28.5]
}

// In a Train graph BatchNorm normalises with the batch's statistics and moves its
// running statistics towards them; an Eval graph uses the running statistics.
func ExampleBatchNorm() {
	s := graph.NewScope(graph.Float64)
	bn, _ := nn.NewBatchNorm1D(s.Sub("bn"), nn.BatchNorm1DConfig{Features: 1})
	batch := tensor.New(tensor.WithShape(4, 1), tensor.WithBacking([]float64{1, 2, 3, 4}))

	for _, mode := range []graph.Mode{graph.Train, graph.Eval} {
		g := graph.New(graph.Float64, mode)
		x, _ := g.Input("x", 4, 1)
		y, err := bn.Forward(g, x)
		if err != nil {
			fmt.Println(err)
			return
		}
		loss, _ := gorgonia.Sum(y)
		m, _ := graph.Compile(g, graph.Loss(loss), graph.Outputs(y))
		if err := m.Run(graph.Feeds{x: batch}); err != nil {
			fmt.Println(err)
			return
		}
		out, _ := m.Output(y)
		fmt.Printf("%v: y = %.3f, running mean %.3f, running var %.4f\n",
			mode, out.Data(), bn.RunningMean.Float64s(), bn.RunningVar.Float64s())
	}
	// Output:
	// train: y = [-1.342 -0.447 0.447 1.342], running mean [0.250], running var [1.0667]
	// eval: y = [0.726 1.694 2.663 3.631], running mean [0.250], running var [1.0667]
}
