package train_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/gradflow/gradflow/train"
	"github.com/gradflow/gradflow/train/data"
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
		Optimizer:     train.NoWeightDecay(train.AdamW{LR: 0.05, WeightDecay: 1e-2}, train.ByKind(graph.Bias)),
		Schedule:      train.WarmupCosineLR{WarmupSteps: 6, TotalSteps: 60},
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
		tr, err := train.New(model, train.Config{Loss: nn.SoftmaxCrossEntropy, Optimizer: train.Adam{LR: 0.01},
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
	resumed, second := newTrainer(2)
	if err := second.LoadCheckpoint(path); err != nil {
		panic(err)
	}
	hist, err := second.Fit(ctx, set, nil)
	if err != nil {
		panic(err)
	}
	same := fmt.Sprint(straight.Params()[0].Float64s()) == fmt.Sprint(resumed.Params()[0].Float64s())
	fmt.Println("resumed at epoch", hist.Epochs[0].Epoch, "- identical weights:", same)
	// Output:
	// resumed at epoch 3 - identical weights: true
}

// Learning-rate schedules are closed-form functions of the step; Fit calls them.
func ExampleOneCycleLR() {
	s := train.OneCycleLR{MaxLR: 0.1, TotalSteps: 10}
	for step := range 10 {
		fmt.Printf("%.4f ", s.LR(0, step))
	}
	fmt.Println()
	// Output:
	// 0.0040 0.0520 0.1000 0.0950 0.0812 0.0611 0.0389 0.0188 0.0050 0.0000
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

// RMSProp with momentum minimising f(w) = sum w^2.
func ExampleRMSProp() {
	s := graph.NewScope(graph.Float64, graph.Seed(1))
	w, _ := s.Param("w", graph.Weight, []int{2}, graph.Constant{Value: 1})
	opt, err := train.RMSProp{LR: 0.01, Momentum: 0.9}.NewOptimizer()
	if err != nil {
		panic(err)
	}
	fmt.Println(opt)
	grad := w.GradFloat64s()
	for range 300 {
		for i, v := range w.Float64s() {
			grad[i] = 2 * v
		}
		if err := opt.Step([]*graph.Param{w}); err != nil {
			panic(err)
		}
	}
	fmt.Printf("|w| < 0.01: %v\n", math.Abs(w.Float64s()[0]) < 0.01)
	// Output:
	// RMSprop(lr=0.01, alpha=0.99, eps=1e-08, weight_decay=0, momentum=0.9, centered=false)
	// |w| < 0.01: true
}

// A strict load reports every problem at once.
func ExampleLoadParams() {
	dir, _ := os.MkdirTemp("", "gradflow")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "weights.safetensors")
	s := graph.NewScope(graph.Float32)
	w, _ := s.Param("w", graph.Weight, []int{2, 3}, graph.Ones{})
	b, _ := s.Param("b", graph.Bias, []int{3}, graph.Zeros{})
	if err := train.SaveParams(path, []*graph.Param{w, b}, nil); err != nil {
		panic(err)
	}
	s2 := graph.NewScope(graph.Float32)
	w2, _ := s2.Param("w", graph.Weight, []int{3, 2}, graph.Zeros{})
	head, _ := s2.Param("head", graph.Weight, []int{3}, graph.Zeros{})
	err := train.LoadParams(path, []*graph.Param{w2, head})
	fmt.Println(strings.TrimPrefix(err.Error(), "train: LoadParams "+path+": "))
	// Output:
	// params do not fit: missing from the file: ["head"]; not in the model: ["b"]; shapes differ: "w": file has F32 [2 3], model has float32 [3 2]
}
