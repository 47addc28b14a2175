package train_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/gradflow/gradflow/train"
	"github.com/gradflow/gradflow/train/optim"
)

func TestEMACallback(t *testing.T) {
	for _, acc := range []int{1, 3} {
		s := graph.NewScope(graph.Float64, graph.Seed(1))
		model, err := nn.NewSequential(s.Sub("mlp"), nn.LinearConfig{In: 2, Out: 8, Activation: nn.ReLU}, nn.LinearConfig{In: 8, Out: 3})
		if err != nil {
			t.Fatal(err)
		}
		ema, err := optim.NewEMA(model.Params(), optim.EMAConfig{Decay: 0.9})
		if err != nil {
			t.Fatal(err)
		}
		// A second average updated by hand after each step must agree bit for bit.
		byHand, _ := optim.NewEMA(model.Params(), optim.EMAConfig{Decay: 0.9})
		last := 0
		tr, err := train.New(model, train.Config{
			Loss: nn.SoftmaxCrossEntropy, Optimizer: optim.Adam{LR: 0.05},
			BatchSize: 16, Epochs: 2, Seed: 1, Quiet: true, Accumulate: acc,
			Callbacks: []train.Callback{&train.EMACallback{EMA: ema}, train.CallbackFuncs{BatchEnd: func(st *train.Status) error {
				if st.Step != last {
					last = st.Step
					return byHand.Update()
				}
				return nil
			}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.Fit(context.Background(), threeBlobs(96), nil); err != nil {
			t.Fatal(err)
		}
		if ema.Updates() != tr.Step() || tr.Step() == 0 {
			t.Errorf("accumulate %d: %d EMA updates for %d optimizer steps", acc, ema.Updates(), tr.Step())
		}
		for name, avg := range ema.Averages() {
			if !equalBits(avg.Data().([]float64), byHand.Averages()[name].Data().([]float64)) {
				t.Errorf("accumulate %d: %s: the callback's average differs from the one updated by hand", acc, name)
			}
		}
		w := model.Params()[0]
		if equalBits(ema.Averages()[w.Name()].Data().([]float64), w.Value().Data().([]float64)) {
			t.Errorf("accumulate %d: the average equals the last weights", acc)
		}
	}
	var c train.EMACallback
	tr, err := train.New(mustMLP(t), train.Config{Loss: nn.SoftmaxCrossEntropy, Quiet: true, Callbacks: []train.Callback{&c}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Fit(context.Background(), threeBlobs(30), nil); err == nil || !strings.Contains(err.Error(), "nil EMA") {
		t.Errorf("nil EMA: err = %v", err)
	}
}

func mustMLP(t *testing.T) *nn.Sequential {
	t.Helper()
	m, err := nn.NewSequential(graph.NewScope(graph.Float64, graph.Seed(1)).Sub("mlp"), nn.LinearConfig{In: 2, Out: 3})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func equalBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Keep an exponential moving average of the weights during training, then evaluate
// the averaged model.
func ExampleEMACallback() {
	s := graph.NewScope(graph.Float64, graph.Seed(1))
	model, err := nn.NewSequential(s.Sub("mlp"), nn.LinearConfig{In: 2, Out: 16, Activation: nn.ReLU}, nn.LinearConfig{In: 16, Out: 3})
	if err != nil {
		panic(err)
	}
	ema, err := optim.NewEMA(model.Params(), optim.EMAConfig{Decay: 0.9})
	if err != nil {
		panic(err)
	}
	trainer, err := train.New(model, train.Config{
		Loss: nn.SoftmaxCrossEntropy, Optimizer: optim.Adam{LR: 0.05},
		BatchSize: 32, Epochs: 10, Seed: 1, Quiet: true,
		Callbacks: []train.Callback{&train.EMACallback{EMA: ema}},
	})
	if err != nil {
		panic(err)
	}
	set := threeBlobs(240)
	if _, err := trainer.Fit(context.Background(), set, nil); err != nil {
		panic(err)
	}
	ema.Swap() // the model now holds the averaged weights
	m, err := trainer.Evaluate(context.Background(), set)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d updates, accuracy of the averaged weights %.2f\n", ema.Updates(), m.Accuracy)
	ema.Swap() // back to the last weights, to train on
	// Output:
	// 80 updates, accuracy of the averaged weights 1.00
}
