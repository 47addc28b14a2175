package nn_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
)

func TestSummarize(t *testing.T) {
	s := graph.NewScope(graph.Float32, graph.Seed(1))
	model, err := nn.NewSequential(s.Sub("cnn"),
		nn.Conv2DConfig{In: 1, Out: 4, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}},
		nn.BatchNorm2DConfig{Features: 4}, nn.ReLU,
		nn.MaxPool2DConfig{Kernel: [2]int{2, 2}},
		nn.FlattenConfig{},
		nn.Use(mustSeq(t, s.Sub("head"), nn.LinearConfig{In: 4 * 14 * 14, Out: 10, Activation: nn.ReLU}, nn.LinearConfig{In: 10, Out: 3})))
	if err != nil {
		t.Fatal(err)
	}
	ms, err := nn.Summarize(model, graph.Float32, 2, 1, 28, 28)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		shape  string
		params int
	}
	want := []row{
		{"(2, 4, 28, 28)", 4*9 + 4}, {"(2, 4, 28, 28)", 4 * 4}, {"(2, 4, 28, 28)", 0},
		{"(2, 4, 14, 14)", 0}, {"(2, 784)", 0}, {"(2, 10)", 784*10 + 10}, {"(2, 3)", 33},
	}
	if len(ms.Layers) != len(want) {
		t.Fatalf("%d rows, want %d:\n%s", len(ms.Layers), len(want), ms)
	}
	total := 0
	for i, w := range want {
		r := ms.Layers[i]
		if got := fmt.Sprint(r.Output); strings.ReplaceAll(strings.Trim(got, "[]"), " ", ", ") != strings.Trim(w.shape, "()") || r.Params != w.params {
			t.Errorf("row %d (%s): output %v, %d params; want %s, %d", i, r.Layer, r.Output, r.Params, w.shape, w.params)
		}
		total += r.Params
	}
	// BatchNorm's running statistics are params that do not train.
	if ms.Params != total || ms.Trainable != total-8 {
		t.Errorf("totals %d (%d trainable), want %d (%d)", ms.Params, ms.Trainable, total, total-8)
	}
	if ms.Layers[5].Depth != 2 || ms.Layers[0].Depth != 1 {
		t.Errorf("depths %d, %d: want the nested Sequential's layers one deeper", ms.Layers[0].Depth, ms.Layers[5].Depth)
	}
	out := ms.String()
	for _, w := range []string{"conv2d \"cnn/0\"", "(2, 4, 14, 14)", "7,850", "input (2, 1, 28, 28) float32, output (2, 3)"} {
		if !strings.Contains(out, w) {
			t.Errorf("String lacks %q:\n%s", w, out)
		}
	}
	// A shape the first layer rejects: the error names it.
	if _, err := nn.Summarize(model, graph.Float32, 2, 3, 28, 28); err == nil || !strings.Contains(err.Error(), `"cnn/0"`) {
		t.Errorf("wrong channels: err = %v, want one naming cnn/0", err)
	}
	if _, err := nn.Summarize(model, graph.Float32); err == nil {
		t.Error("no input shape: no error")
	}
	if _, err := nn.Summarize(nil, graph.Float32, 1); err == nil {
		t.Error("nil model: no error")
	}
}

func mustSeq(t *testing.T, s *graph.Scope, items ...nn.LayerConfig) *nn.Sequential {
	t.Helper()
	m, err := nn.NewSequential(s, items...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Print a Keras-style summary of a model, traced for one input.
func ExampleSummarize() {
	s := graph.NewScope(graph.Float32, graph.Seed(1))
	model, err := nn.NewSequential(s.Sub("mlp"),
		nn.LinearConfig{In: 784, Out: 256, Activation: nn.ReLU},
		nn.DropoutConfig{P: 0.2},
		nn.LinearConfig{In: 256, Out: 10})
	if err != nil {
		panic(err)
	}
	ms, err := nn.Summarize(model, graph.Float32, 1, 784)
	if err != nil {
		panic(err)
	}
	fmt.Print(ms)
	// Output:
	// layer            type         output shape  params
	// linear "mlp/0"   *nn.Linear   (1, 256)      200,960
	// dropout "mlp/2"  *nn.Dropout  (1, 256)      0
	// linear "mlp/3"   *nn.Linear   (1, 10)       2,570
	// total 203,530 params (203,530 trainable, 0 not); input (1, 784) float32, output (1, 10)
}
