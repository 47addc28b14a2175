package onnx_test

import (
	"bytes"
	"fmt"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/gradflow/gradflow/nn/onnx"
)

// A model exports with a dynamic batch axis; a layer the exporter does not know is
// an error that names it.
func ExampleExport() {
	s := graph.NewScope(graph.Float32, graph.Seed(1))
	model, _ := nn.NewSequential(s.Sub("cnn"),
		nn.Conv2DConfig{In: 1, Out: 4, Kernel: [2]int{3, 3}}, nn.ReLU,
		nn.MaxPool2DConfig{Kernel: [2]int{2, 2}}, nn.FlattenConfig{}, nn.LinearConfig{In: 4 * 3 * 3, Out: 10})
	var buf bytes.Buffer
	if err := onnx.Export(&buf, model, onnx.Config{Input: []int{1, 8, 8}}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("opset", onnx.Opset, "model written:", buf.Len() > 0)

	odd, _ := nn.NewSequential(s.Sub("odd"), nn.LinearConfig{In: 2, Out: 2}, nn.Use(custom{}))
	_, err := onnx.Marshal(odd, onnx.Config{Input: []int{2}})
	fmt.Println(err)
	// Output:
	// opset 13 model written: true
	// onnx: sequential "odd": layer 1: onnx: cannot export layer onnx_test.custom: not a layer the ONNX exporter knows (see Export's list)
}
