package main

import (
	"context"
	"fmt"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/gradflow/gradflow/train"
	"github.com/gradflow/gradflow/train/data"
	"github.com/gradflow/gradflow/train/optim"
)

// Example_readme holds the code of README.md's "A model in 20 lines", so that it keeps
// compiling. It has no Output comment: go test compiles it but does not run its five
// epochs of MNIST (go run ./examples/mnist does that).
func Example_readme() {
	_ = func(ctx context.Context) error {
		s := graph.NewScope(graph.Float32, graph.Seed(1))
		model, err := nn.NewSequential(s.Sub("mlp"),
			nn.LinearConfig{In: 784, Out: 256, Activation: nn.ReLU},
			nn.LinearConfig{In: 256, Out: 10})
		if err != nil {
			return err
		}
		trainSet, testSet, err := data.LoadMNIST("", graph.Float32)
		if err != nil {
			return err
		}
		trainer, err := train.New(model, train.Config{
			Loss:      nn.SoftmaxCrossEntropy,
			Optimizer: optim.Adam{LR: 1e-3},
			BatchSize: 128, Epochs: 5, Seed: 1,
		})
		if err != nil {
			return err
		}
		history, err := trainer.Fit(ctx, trainSet, testSet) // one progress line per epoch
		fmt.Printf("test accuracy %.2f%%\n", 100*history.Last().ValAccuracy)
		return err
	}
}
