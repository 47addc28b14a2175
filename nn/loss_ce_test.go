package nn_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/gradflow/gradflow/ops"
	"github.com/gradflow/gradflow/train"
	"github.com/gradflow/gradflow/train/data"
	"github.com/gradflow/gradflow/train/optim"
)

func TestCrossEntropyLoss(t *testing.T) {
	g := graph.New(graph.Float64, graph.Train)
	x, _ := g.Input("x", 4, 3)
	l, _ := g.Input("l", 4)
	if _, err := nn.CrossEntropy(ops.CrossEntropyOptions{LabelSmoothing: 0.1})(g, x, l); err != nil {
		t.Fatal(err)
	}
	if _, err := nn.CrossEntropy(ops.CrossEntropyOptions{LabelSmoothing: 2})(g, x, l); err == nil || !strings.Contains(err.Error(), "nn: cross-entropy") {
		t.Errorf("bad smoothing: err = %v", err)
	}
	if _, err := nn.CrossEntropy(ops.CrossEntropyOptions{})(g, nil, l); err == nil {
		t.Error("nil logits: no error")
	}
}

// A classifier trained with label smoothing and class weights, as one would in
// PyTorch with nn.CrossEntropyLoss(weight=..., label_smoothing=0.1).
func ExampleCrossEntropy() {
	xs := make([]float64, 2*90)
	labels := make([]int, 90)
	for i := range labels {
		labels[i] = i % 3
		xs[2*i] = float64(i%3) + 0.2*math.Sin(float64(i))
		xs[2*i+1] = float64(i%3%2) + 0.2*math.Cos(float64(3*i))
	}
	set, err := data.New(tensor.New(tensor.WithShape(90, 2), tensor.WithBacking(xs)), labels, 3)
	if err != nil {
		panic(err)
	}
	model, err := nn.NewSequential(graph.NewScope(graph.Float64, graph.Seed(1)).Sub("mlp"),
		nn.LinearConfig{In: 2, Out: 16, Activation: nn.ReLU}, nn.LinearConfig{In: 16, Out: 3})
	if err != nil {
		panic(err)
	}
	tr, err := train.New(model, train.Config{
		Loss:      nn.CrossEntropy(ops.CrossEntropyOptions{LabelSmoothing: 0.1, Weight: []float64{1, 2, 1}}),
		Optimizer: optim.Adam{LR: 0.05}, BatchSize: 30, Epochs: 20, Seed: 1, Quiet: true,
	})
	if err != nil {
		panic(err)
	}
	if _, err := tr.Fit(context.Background(), set, nil); err != nil {
		panic(err)
	}
	m, err := tr.Evaluate(context.Background(), set)
	if err != nil {
		panic(err)
	}
	fmt.Printf("accuracy %.2f\n", m.Accuracy)
	// Output: accuracy 1.00
}
