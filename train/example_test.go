package train_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/gradflow/gradflow/train"
	"github.com/gradflow/gradflow/train/data"
	"github.com/gradflow/gradflow/train/optim"
)

// threeBlobs is a small classification set: 3 classes in 2-D, fixed values.
func threeBlobs(n int) *data.Dataset {
	xs := make([]float64, 2*n)
	labels := make([]int, n)
	for i := range n {
		c := i % 3
		labels[i] = c
		xs[2*i] = float64(c) + 0.3*math.Sin(float64(7*i))
		xs[2*i+1] = float64(c%2) + 0.3*math.Cos(float64(5*i))
	}
	d, err := data.New(tensor.New(tensor.WithShape(n, 2), tensor.WithBacking(xs)), labels, 3)
	if err != nil {
		panic(err)
	}
	return d
}

// Fit a small classifier with AdamW (no decay on biases), a warm-up then cosine
// schedule stepped per batch, gradient clipping, extra metrics, early stopping and a
// user callback.
func ExampleTrainer_Fit() {
	set := threeBlobs(240)
	trainSet, valSet, err := set.Split(0.75, 1)
	if err != nil {
		panic(err)
	}
	s := graph.NewScope(graph.Float64, graph.Seed(1))
	model, err := nn.NewSequential(s.Sub("mlp"), nn.LinearConfig{In: 2, Out: 16, Activation: nn.ReLU}, nn.LinearConfig{In: 16, Out: 3})
	if err != nil {
		panic(err)
	}
	epochs := 0
	trainer, err := train.New(model, train.Config{
		Loss:          nn.SoftmaxCrossEntropy,
		Optimizer:     optim.NoWeightDecay(optim.AdamW{LR: 0.05, WeightDecay: 1e-2}, optim.ByKind(graph.Bias)),
		Schedule:      optim.WarmupCosineLR{WarmupSteps: 6, TotalSteps: 60},
		ScheduleEvery: train.EveryStep,
		ClipNorm:      5,
		BatchSize:     32, Epochs: 10, Seed: 1,
		Metrics: []train.Metric{&train.F1{}, &train.TopKAccuracy{K: 2}},
		Callbacks: []train.Callback{
			&train.EarlyStopping{Monitor: "val_loss", Patience: 3},
			train.CallbackFuncs{EpochEnd: func(s *train.Status) error { epochs++; return nil }},
		},
		Quiet: true, // or Progress: os.Stderr for a bar on a terminal, a line per epoch otherwise
	})
	if err != nil {
		panic(err)
	}
	hist, err := trainer.Fit(context.Background(), trainSet, valSet)
	if err != nil {
		panic(err)
	}
	last := hist.Last()
	fmt.Printf("%d epochs, %d steps\n", epochs, trainer.Step())
	fmt.Printf("val_acc %.2f  val_f1 %.2f  val_top2 %.2f\n", last.ValAccuracy, last.Extra["val_f1"], last.Extra["val_top2_accuracy"])
	// Output:
	// 10 epochs, 60 steps
	// val_acc 1.00  val_f1 1.00  val_top2 1.00
}

// Save a checkpoint after 2 epochs, restore it into a fresh model and trainer, and
// train 2 more: the weights equal, bit for bit, those of 4 epochs in one go.
func ExampleTrainer_SaveCheckpoint() {
	dir, err := os.MkdirTemp("", "gradflow")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "ckpt.safetensors")
	set := threeBlobs(90)
	newTrainer := func(epochs int) (*nn.Sequential, *train.Trainer) {
		s := graph.NewScope(graph.Float64, graph.Seed(7))
		model, _ := nn.NewSequential(s.Sub("mlp"), nn.LinearConfig{In: 2, Out: 8}, nn.Tanh, nn.LinearConfig{In: 8, Out: 3})
		tr, err := train.New(model, train.Config{Loss: nn.SoftmaxCrossEntropy, Optimizer: optim.Adam{LR: 0.01},
			BatchSize: 16, Epochs: epochs, Seed: 7, Quiet: true})
		if err != nil {
			panic(err)
		}
		return model, tr
	}
	ctx := context.Background()
	straight, tr := newTrainer(4)
	if _, err := tr.Fit(ctx, set, nil); err != nil {
		panic(err)
	}
	_, first := newTrainer(2)
	if _, err := first.Fit(ctx, set, nil); err != nil {
		panic(err)
	}
	if err := first.SaveCheckpoint(path); err != nil {
		panic(err)
	}
	// The resumed process builds its trainer for the whole run (Epochs 4), loads
	// the checkpoint and fits: it trains the epochs left, 3 and 4.
	resumed, second := newTrainer(4)
	if err := second.LoadCheckpoint(path); err != nil {
		panic(err)
	}
	hist, err := second.Fit(ctx, set, nil)
	if err != nil {
		panic(err)
	}
	same := fmt.Sprint(straight.Params()[0].Float64s()) == fmt.Sprint(resumed.Params()[0].Float64s())
	fmt.Println("resumed at epoch", hist.Epochs[0].Epoch, "of", len(hist.Epochs), "epochs left - identical weights:", same)
	fmt.Println("the whole run's history:", len(second.History().Epochs), "epochs")
	// Output:
	// resumed at epoch 3 of 2 epochs left - identical weights: true
	// the whole run's history: 4 epochs
}

// Metrics stream: update them batch by batch, read them at the end.
func ExampleF1() {
	scores := tensor.New(tensor.WithShape(4, 2), tensor.WithBacking([]float64{
		0.9, 0.1, // predicted 0
		0.2, 0.8, // predicted 1
		0.6, 0.4, // predicted 0
		0.3, 0.7, // predicted 1
	}))
	labels := tensor.New(tensor.WithShape(4), tensor.WithBacking([]float64{0, 1, 1, 1}))
	f1 := &train.F1{}
	if err := f1.Update(scores, labels); err != nil {
		panic(err)
	}
	fmt.Printf("macro F1 %.3f, per class %.3f\n", f1.Value(), f1.PerClass())
	fmt.Println("confusion", f1.Matrix())
	// Output:
	// macro F1 0.733, per class [0.667 0.800]
	// confusion [[1 0] [1 2]]
}

// train.New checks the metrics that callbacks monitor, so a typo is an error before
// any training, with the names that would do.
func ExampleEarlyStopping_monitorTypo() {
	s := graph.NewScope(graph.Float64, graph.Seed(1))
	model, _ := nn.NewSequential(s.Sub("mlp"), nn.LinearConfig{In: 2, Out: 3})
	_, err := train.New(model, train.Config{
		Loss:      nn.SoftmaxCrossEntropy,
		Metrics:   []train.Metric{&train.F1{}},
		Callbacks: []train.Callback{&train.EarlyStopping{Monitor: "val_f"}},
	})
	fmt.Println(err)
	// Output:
	// train: Config.Callbacks[0] (*train.EarlyStopping) monitors "val_f", which is not a metric of this Trainer; valid names: loss, train_loss, accuracy, acc, train_accuracy, val_loss, val_accuracy, val_acc, lr, f1, val_f1
}
