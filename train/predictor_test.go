package train_test

import (
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"

	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/gradflow/gradflow/train"
)

func predictorModel(t testing.TB, dt graph.DType) *nn.Sequential {
	t.Helper()
	s := graph.NewScope(dt, graph.Seed(2))
	m, err := nn.NewSequential(s.Sub("m"),
		nn.LinearConfig{In: 6, Out: 16, Activation: nn.ReLU},
		nn.BatchNorm1DConfig{Features: 16},
		nn.DropoutConfig{P: 0.5}, // identity in evaluation
		nn.LinearConfig{In: 16, Out: 8, Activation: nn.GELU},
		nn.LinearConfig{In: 8, Out: 3})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func batchOf(n, seed int) *tensor.Dense {
	xs := make([]float32, n*6)
	for i := range xs {
		xs[i] = float32(math.Sin(float64(seed*31 + i)))
	}
	return tensor.New(tensor.WithShape(n, 6), tensor.WithBacking(xs))
}

// TestPredictorConcurrent: many goroutines predicting at once, with batch sizes that
// share and do not share machines, get exactly the outputs of calls made one at a
// time (run with -race).
func TestPredictorConcurrent(t *testing.T) {
	model := predictorModel(t, graph.Float32)
	p, err := train.NewPredictor(model, train.PredictorConfig{MaxIdle: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	const inputs = 6
	want := make([][]float32, inputs)
	for i := range want {
		out, err := p.Predict(batchOf(1+i%3, i))
		if err != nil {
			t.Fatal(err)
		}
		want[i] = out.Data().([]float32)
	}
	// The trainer's own Predict agrees bit for bit.
	tr, err := train.New(model, train.Config{Loss: nn.SoftmaxCrossEntropy, Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := tr.Predict(batchOf(1, 0))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ref.Data()) != fmt.Sprint(want[0]) {
		t.Fatalf("Predictor %v, Trainer.Predict %v", want[0], ref.Data())
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 25 {
				i := (g + k) % inputs
				out, err := p.Predict(batchOf(1+i%3, i))
				if err != nil {
					errs <- err
					return
				}
				got := out.Data().([]float32)
				for j := range got {
					if math.Float32bits(got[j]) != math.Float32bits(want[i][j]) {
						errs <- fmt.Errorf("goroutine %d call %d input %d: element %d = %v, want %v", g, k, i, j, got[j], want[i][j])
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestPredictorSlicesAndErrors(t *testing.T) {
	model := predictorModel(t, graph.Float32)
	p, err := train.NewPredictor(model, train.PredictorConfig{})
	if err != nil {
		t.Fatal(err)
	}
	x := batchOf(2, 1)
	out, shape, err := p.PredictFloat32(x.Data().([]float32), 2, 6)
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := p.Predict(x)
	if fmt.Sprint(shape) != "[2 3]" || fmt.Sprint(out) != fmt.Sprint(ref.Data()) {
		t.Errorf("PredictFloat32 = %v %v, Predict %v", out, shape, ref.Data())
	}
	if _, _, err := p.PredictFloat64(make([]float64, 12), 2, 6); err == nil || !strings.Contains(err.Error(), "dtype") {
		t.Errorf("float64 input to a float32 model: err = %v", err)
	}
	if _, err := p.Predict(tensor.New(tensor.WithShape(2, 5), tensor.WithBacking(make([]float32, 10)))); err == nil || !strings.Contains(err.Error(), "linear") {
		t.Errorf("wrong width: err = %v, want the layer named", err)
	}
	if _, err := p.Predict(nil); err == nil {
		t.Error("nil input: no error")
	}
	if _, err := train.NewPredictor(nil, train.PredictorConfig{}); err == nil {
		t.Error("nil model: no error")
	}
	if _, err := train.NewPredictor(model, train.PredictorConfig{MaxIdle: -1}); err == nil {
		t.Error("MaxIdle -1: no error")
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Predict(x); err != nil {
		t.Errorf("Predict after Close: %v", err)
	}
}

// Serve a model from many goroutines with one Predictor.
func ExamplePredictor() {
	s := graph.NewScope(graph.Float32, graph.Seed(1))
	model, err := nn.NewSequential(s.Sub("mlp"), nn.LinearConfig{In: 2, Out: 8, Activation: nn.ReLU}, nn.LinearConfig{In: 8, Out: 3})
	if err != nil {
		panic(err)
	}
	p, err := train.NewPredictor(model, train.PredictorConfig{})
	if err != nil {
		panic(err)
	}
	defer p.Close()
	var wg sync.WaitGroup
	shapes := make([][]int, 4)
	for i := range shapes {
		wg.Add(1)
		go func() { // e.g. one per HTTP request
			defer wg.Done()
			_, shape, err := p.PredictFloat32([]float32{0.5, -1}, 1, 2)
			if err != nil {
				panic(err)
			}
			shapes[i] = shape
		}()
	}
	wg.Wait()
	fmt.Println(shapes)
	// Output: [[1 3] [1 3] [1 3] [1 3]]
}
