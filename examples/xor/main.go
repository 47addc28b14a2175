// Command xor trains a 2-8-1 network to compute exclusive-or and prints its four
// predictions.
//
//	go run ./examples/xor
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/gradflow/gradflow/train"
	"github.com/gradflow/gradflow/train/data"
	"github.com/gradflow/gradflow/train/optim"
	"gorgonia.org/tensor"
)

func main() {
	epochs := flag.Int("epochs", 500, "training epochs (one batch of the 4 examples each)")
	lr := flag.Float64("lr", 0.05, "Adam learning rate")
	seed := flag.Uint64("seed", 1, "seed of the initial weights")
	flag.Parse()
	if err := run(*epochs, *lr, *seed); err != nil {
		log.Fatal(err)
	}
}

func run(epochs int, lr float64, seed uint64) error {
	x := tensor.New(tensor.WithShape(4, 2), tensor.WithBacking([]float64{0, 0, 0, 1, 1, 0, 1, 1}))
	y := tensor.New(tensor.WithShape(4, 1), tensor.WithBacking([]float64{0, 1, 1, 0}))
	set, err := data.NewRegression(x, y)
	if err != nil {
		return err
	}
	s := graph.NewScope(graph.Float64, graph.Seed(seed))
	model, err := nn.NewSequential(s.Sub("xor"),
		nn.LinearConfig{In: 2, Out: 8, Activation: nn.Tanh},
		nn.LinearConfig{In: 8, Out: 1})
	if err != nil {
		return err
	}
	trainer, err := train.New(model, train.Config{
		Loss:      nn.BCEWithLogits,
		Optimizer: optim.Adam{LR: lr},
		BatchSize: 4,
		Epochs:    epochs,
		Seed:      seed,
		Quiet:     true,
	})
	if err != nil {
		return err
	}
	hist, err := trainer.Fit(context.Background(), set, nil)
	if err != nil {
		return err
	}
	fmt.Printf("trained %d epochs, final loss %.4f\n", len(hist.Epochs), hist.Last().TrainLoss)
	logits, err := trainer.Predict(x)
	if err != nil {
		return err
	}
	in, out := x.Data().([]float64), logits.Data().([]float64)
	for i := 0; i < 4; i++ {
		p := 1 / (1 + math.Exp(-out[i]))
		fmt.Printf("%v xor %v -> %.3f\n", in[2*i], in[2*i+1], p)
	}
	return nil
}
