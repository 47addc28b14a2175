package train_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/gradflow/gradflow/train"
	"github.com/gradflow/gradflow/train/data"
	"github.com/gradflow/gradflow/train/optim"
	"gorgonia.org/tensor"
)

func xorSet(t *testing.T) (*data.Dataset, *tensor.Dense) {
	t.Helper()
	x := tensor.New(tensor.WithShape(4, 2), tensor.WithBacking([]float64{0, 0, 0, 1, 1, 0, 1, 1}))
	y := tensor.New(tensor.WithShape(4, 1), tensor.WithBacking([]float64{0, 1, 1, 0}))
	set, err := data.NewRegression(x, y)
	if err != nil {
		t.Fatal(err)
	}
	return set, x
}

func xorModel(t *testing.T, seed uint64) *nn.Sequential {
	t.Helper()
	s := graph.NewScope(graph.Float64, graph.Seed(seed))
	m, err := nn.NewSequential(s.Sub("xor"), nn.LinearConfig{In: 2, Out: 8}, nn.Tanh, nn.LinearConfig{In: 8, Out: 1})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestXORConverges(t *testing.T) {
	set, x := xorSet(t)
	model := xorModel(t, 1)
	tr, err := train.New(model, train.Config{
		Loss: nn.BCEWithLogits, Optimizer: optim.Adam{LR: 0.05}, BatchSize: 4, Epochs: 300, Seed: 1, Quiet: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	hist, err := tr.Fit(context.Background(), set, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := hist.Last().TrainLoss; got > 0.05 {
		t.Fatalf("final loss %v, want < 0.05", got)
	}
	out, err := tr.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{0, 1, 1, 0}
	for i, logit := range out.Data().([]float64) {
		if (logit > 0) != (want[i] == 1) {
			t.Errorf("xor example %d: logit %v, want class %v", i, logit, want[i])
		}
	}
	if tr.Step() != 300 {
		t.Errorf("Step() = %d, want 300", tr.Step())
	}
}

// classification data: two Gaussian blobs per class in 4-D, fixed by a seed.
func blobs(t *testing.T, n int, dt graph.DType) *data.Dataset {
	t.Helper()
	xs := make([]float64, n*4)
	labels := make([]int, n)
	for i := 0; i < n; i++ {
		c := i % 3
		labels[i] = c
		for j := 0; j < 4; j++ {
			// deterministic pseudo-noise
			xs[i*4+j] = float64(c*(j+1)%3) + 0.3*math.Sin(float64(i*7+j*13))
		}
	}
	var x *tensor.Dense
	if dt == graph.Float32 {
		f := make([]float32, len(xs))
		for i, v := range xs {
			f[i] = float32(v)
		}
		x = tensor.New(tensor.WithShape(n, 4), tensor.WithBacking(f))
	} else {
		x = tensor.New(tensor.WithShape(n, 4), tensor.WithBacking(xs))
	}
	set, err := data.New(x, labels, 3)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func fitBlobs(t *testing.T, seed uint64, dt graph.DType, opt optim.Config) (*train.History, []float64) {
	t.Helper()
	s := graph.NewScope(dt, graph.Seed(seed))
	model, err := nn.NewSequential(s.Sub("m"), nn.LinearConfig{In: 4, Out: 16, Activation: nn.ReLU}, nn.LinearConfig{In: 16, Out: 3})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := train.New(model, train.Config{
		Loss: nn.SoftmaxCrossEntropy, Optimizer: opt, BatchSize: 16, EvalBatchSize: 50, Epochs: 4, Seed: seed, Quiet: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	// 150 examples at batch 16: the last batch has 6, a second graph.
	hist, err := tr.Fit(context.Background(), blobs(t, 150, dt), blobs(t, 60, dt))
	if err != nil {
		t.Fatal(err)
	}
	var w []float64
	for _, p := range model.Params() {
		if dt == graph.Float32 {
			for _, v := range p.Float32s() {
				w = append(w, float64(v))
			}
		} else {
			w = append(w, p.Float64s()...)
		}
	}
	return hist, w
}

func TestSameSeedIsBitIdentical(t *testing.T) {
	for _, dt := range []graph.DType{graph.Float32, graph.Float64} {
		for _, opt := range []optim.Config{optim.Adam{LR: 0.01}, optim.SGD{LR: 0.1, Momentum: 0.9}} {
			h1, w1 := fitBlobs(t, 7, dt, opt)
			h2, w2 := fitBlobs(t, 7, dt, opt)
			for i := range h1.Epochs {
				a, b := h1.Epochs[i], h2.Epochs[i]
				if a.TrainLoss != b.TrainLoss || a.ValLoss != b.ValLoss || a.ValAccuracy != b.ValAccuracy {
					t.Fatalf("%v %v epoch %d: runs differ: %+v vs %+v", dt, opt, i+1, a, b)
				}
			}
			for i := range w1 {
				if w1[i] != w2[i] {
					t.Fatalf("%v %v: weight %d differs: %v vs %v", dt, opt, i, w1[i], w2[i])
				}
			}
			h3, _ := fitBlobs(t, 8, dt, opt)
			if h3.Epochs[0].TrainLoss == h1.Epochs[0].TrainLoss {
				t.Fatalf("%v %v: another seed gave the same loss", dt, opt)
			}
			if acc := h1.Last().ValAccuracy; acc < 0.9 {
				t.Errorf("%v %v: blobs validation accuracy %v, want >= 0.9", dt, opt, acc)
			}
		}
	}
}

// Evaluating between steps must not change what training does: same weights with and
// without evaluation runs in between.
func TestEvaluationDoesNotAlterTraining(t *testing.T) {
	run := func(evaluate bool) []float64 {
		s := graph.NewScope(graph.Float64, graph.Seed(3))
		model, _ := nn.NewSequential(s.Sub("m"), nn.LinearConfig{In: 4, Out: 8}, nn.Tanh, nn.LinearConfig{In: 8, Out: 3})
		tr, err := train.New(model, train.Config{
			Loss: nn.SoftmaxCrossEntropy, Optimizer: optim.SGD{LR: 0.1, Momentum: 0.5}, BatchSize: 10, Epochs: 1, Seed: 3, Quiet: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		set := blobs(t, 30, graph.Float64)
		for i := 0; i < 3; i++ {
			if _, err := tr.Fit(context.Background(), set, nil); err != nil {
				t.Fatal(err)
			}
			if evaluate {
				if _, err := tr.Evaluate(context.Background(), set); err != nil {
					t.Fatal(err)
				}
				if _, err := tr.Predict(set.X()); err != nil {
					t.Fatal(err)
				}
			}
		}
		var w []float64
		for _, p := range model.Params() {
			w = append(w, p.Float64s()...)
			w = append(w, p.GradFloat64s()...)
		}
		return w
	}
	a, b := run(false), run(true)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("value %d: %v without evaluation, %v with", i, a[i], b[i])
		}
	}
}

func TestPredictAnyBatchSize(t *testing.T) {
	set := blobs(t, 128, graph.Float64)
	s := graph.NewScope(graph.Float64, graph.Seed(1))
	model, _ := nn.NewSequential(s.Sub("m"), nn.LinearConfig{In: 4, Out: 3})
	tr, _ := train.New(model, train.Config{Loss: nn.SoftmaxCrossEntropy, Quiet: true})
	all, err := tr.Predict(set.X())
	if err != nil {
		t.Fatal(err)
	}
	sub, err := set.Subset([]int{0, 1, 2, 3, 4, 5, 6})
	if err != nil {
		t.Fatal(err)
	}
	seven, err := tr.Predict(sub.X())
	if err != nil {
		t.Fatal(err)
	}
	a, b := all.Data().([]float64), seven.Data().([]float64)
	// The same weights give the same outputs; the GEMM may sum in another order for
	// another batch size (other tiles), so allow rounding.
	for i := range b {
		if math.Abs(a[i]-b[i]) > 1e-12*math.Max(1, math.Abs(a[i])) {
			t.Fatalf("batch 7 and batch 128 disagree at %d: %v vs %v", i, b[i], a[i])
		}
	}
}

func TestTrainerErrors(t *testing.T) {
	model := xorModel(t, 1)
	if _, err := train.New(model, train.Config{}); err == nil || !strings.Contains(err.Error(), "Loss is nil") {
		t.Errorf("no loss: err = %v", err)
	}
	if _, err := train.New(model, train.Config{Loss: nn.MSE, BatchSize: -1}); err == nil {
		t.Error("negative batch size: no error")
	}
	if _, err := train.New(model, train.Config{Loss: nn.MSE, Optimizer: optim.SGD{}}); err == nil {
		t.Error("SGD without a learning rate: no error")
	}
	// A model whose input width does not fit the data: an error naming the layer.
	tr, err := train.New(model, train.Config{Loss: nn.MSE, Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = tr.Fit(context.Background(), blobs(t, 12, graph.Float64), nil)
	if err == nil || !strings.Contains(err.Error(), `linear "xor/0"`) || !strings.Contains(err.Error(), "want (N, 2)") {
		t.Errorf("wrong width: err = %v", err)
	}
	// float32 data for a float64 model.
	_, err = tr.Fit(context.Background(), blobs(t, 12, graph.Float32), nil)
	if err == nil || !strings.Contains(err.Error(), "dtype") {
		t.Errorf("wrong dtype: err = %v", err)
	}
}

func TestFitStopsOnCancel(t *testing.T) {
	set, _ := xorSet(t)
	tr, _ := train.New(xorModel(t, 1), train.Config{Loss: nn.MSE, Epochs: 5, Quiet: true})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	hist, err := tr.Fit(ctx, set, nil)
	if err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Fatalf("err = %v, want context canceled", err)
	}
	if len(hist.Epochs) != 0 {
		t.Fatalf("history has %d epochs, want 0", len(hist.Epochs))
	}
}

func TestProgressLine(t *testing.T) {
	set := blobs(t, 30, graph.Float64)
	var b strings.Builder
	s := graph.NewScope(graph.Float64)
	model, _ := nn.NewSequential(s.Sub("m"), nn.LinearConfig{In: 4, Out: 3})
	tr, _ := train.New(model, train.Config{Loss: nn.SoftmaxCrossEntropy, Epochs: 2, Progress: &b})
	if _, err := tr.Fit(context.Background(), set, set); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d progress lines, want 2:\n%s", len(lines), b.String())
	}
	for _, want := range []string{"epoch 2/2", "loss", "acc", "val_loss", "val_acc", "samples/s"} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("progress line %q lacks %q", lines[1], want)
		}
	}
}
