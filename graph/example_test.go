package graph_test

import (
	"errors"
	"fmt"

	"github.com/gradflow/gradflow/graph"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// A weight lives outside any graph: the graph binds it by reference, Compile adds the
// backward pass, and Run writes dloss/dw into w.Grad().
func Example() {
	s := graph.NewScope(graph.Float64, graph.Seed(1))
	w, err := s.Sub("model").Param("w", graph.Weight, []int{2, 1}, graph.Constant{Value: 0.5})
	if err != nil {
		fmt.Println(err)
		return
	}
	g := graph.New(graph.Float64, graph.Train)
	x, _ := g.Input("x", 3, 2)
	wn, _ := g.Node(w)
	y, _ := gorgonia.Mul(x, wn) // (3, 1)
	loss, _ := gorgonia.Sum(y)
	m, err := graph.Compile(g, graph.Loss(loss))
	if err != nil {
		fmt.Println(err)
		return
	}
	batch := tensor.New(tensor.WithShape(3, 2), tensor.WithBacking([]float64{1, 2, 3, 4, 5, 6}))
	if err := m.Run(graph.Feeds{x: batch}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(w.Name(), "loss", m.Loss(), "grad", w.GradFloat64s())
	// Output: model/w loss 10.5 grad [9 12]
}

// Creating the same name twice is an error, where gorgonia would silently merge the
// two nodes into one.
func ExampleScope_Param_duplicate() {
	s := graph.NewScope(graph.Float32)
	fc := s.Sub("fc1")
	_, _ = fc.Param("weight", graph.Weight, []int{4, 3}, graph.GlorotUniform{})
	_, err := fc.Param("weight", graph.Weight, []int{4, 3}, graph.GlorotUniform{})
	fmt.Println(err)
	// Output: graph: param "fc1/weight" already exists; names must be unique
}

func ExampleSummary() {
	s := graph.NewScope(graph.Float32)
	s.Sub("fc").Param("weight", graph.Weight, []int{784, 10}, graph.Zeros{})
	s.Sub("fc").Param("bias", graph.Bias, []int{10}, graph.Zeros{})
	fmt.Print(graph.Summary(s.Params()))
	// Output:
	// name       kind    shape     count  trainable
	// fc/weight  weight  [784 10]  7840   true
	// fc/bias    bias    [10]      10     true
	// total 7850 params (7850 trainable, 0 not)
}

// Recover turns a panic at a boundary of your own into an error that says whose code
// panicked and where.
func ExampleRecover() {
	build := func() (err error) {
		defer graph.Recover(&err)
		var sizes map[string]int
		sizes["fc1"] = 128 // a bug: the map was never made
		return nil
	}
	err := build()
	fmt.Println(err)
	var pe *graph.PanicError
	if errors.As(err, &pe) {
		fmt.Println(pe.Whose)
	}
	// Output:
	// user code panicked in github.com/gradflow/gradflow/graph_test.ExampleRecover.func1: assignment to entry in nil map
	// user code
}
