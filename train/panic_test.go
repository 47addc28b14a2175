package train_test

import (
	"context"
	"strings"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/gradflow/gradflow/train"
	"gorgonia.org/gorgonia"
)

// panicLayer is a user's layer whose Forward panics.
type panicLayer struct{}

func (panicLayer) Forward(*graph.Graph, *gorgonia.Node) (*gorgonia.Node, error) {
	panic("user bug")
}
func (panicLayer) Params() []*graph.Param { return nil }

// TestFitPanicNamesLayer: the Trainer traces the model through nn.Forward, so a panic
// while building a layer's nodes is an error of Fit (and Predict) naming the layer and
// saying whose code panicked.
func TestFitPanicNamesLayer(t *testing.T) {
	s := graph.NewScope(graph.Float64, graph.Seed(1))
	model, err := nn.NewSequential(s.Sub("m"), nn.LinearConfig{In: 4, Out: 3, Activation: nn.ReLU}, nn.Use(panicLayer{}))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := train.New(model, train.Config{Loss: nn.SoftmaxCrossEntropy, BatchSize: 8, Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	set := blobs(t, 24, graph.Float64)
	_, err = tr.Fit(context.Background(), set, nil)
	want := `nn: sequential "m": layer 2 (train_test.panicLayer): nn: layer train_test.panicLayer: ` +
		"user code panicked in github.com/gradflow/gradflow/train_test.panicLayer.Forward: user bug"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Fit: err = %v, want it to contain %q", err, want)
	}
	x, tgt := set.NewBatch(2)
	if err := set.Batch([]int{0, 1}, x, tgt); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Predict(x); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Predict: err = %v, want it to contain %q", err, want)
	}
}
