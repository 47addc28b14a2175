package plot_test

import (
	"context"
	stdpng "image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/gradflow/gradflow/train"
	"github.com/gradflow/gradflow/train/data"
	"github.com/gradflow/gradflow/train/plot"
)

// blobs is train's test data: three classes in 4-D, fixed values.
func blobs(t *testing.T, n int) *data.Dataset {
	t.Helper()
	xs := make([]float64, n*4)
	labels := make([]int, n)
	for i := 0; i < n; i++ {
		c := i % 3
		labels[i] = c
		for j := 0; j < 4; j++ {
			xs[i*4+j] = float64(c*(j+1)%3) + 0.3*math.Sin(float64(i*7+j*13))
		}
	}
	set, err := data.New(tensor.New(tensor.WithShape(n, 4), tensor.WithBacking(xs)), labels, 3)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// fit trains train's test model (4-16-3 with a ReLU) on blobs for epochs epochs.
func fit(t *testing.T, epochs int, cfg train.Config, val bool) *train.History {
	t.Helper()
	s := graph.NewScope(graph.Float64, graph.Seed(11))
	model, err := nn.NewSequential(s.Sub("m"), nn.LinearConfig{In: 4, Out: 16, Activation: nn.ReLU}, nn.LinearConfig{In: 16, Out: 3})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Loss, cfg.BatchSize, cfg.Epochs, cfg.Seed, cfg.Quiet = nn.SoftmaxCrossEntropy, 16, epochs, 5, true
	tr, err := train.New(model, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var valSet data.Source
	if val {
		valSet = blobs(t, 30)
	}
	hist, err := tr.Fit(context.Background(), blobs(t, 60), valSet)
	if err != nil {
		t.Fatal(err)
	}
	return hist
}

// TestHistory checks the curves of a History with validation and extra metrics.
func TestHistory(t *testing.T) {
	hist := fit(t, 3, train.Config{Metrics: []train.Metric{&train.F1{}}}, true)
	png := filepath.Join(t.TempDir(), "curves.png")
	if err := plot.History(hist, png); err != nil {
		t.Fatal(err)
	}
	if raw, err := os.ReadFile(png); err != nil || len(raw) < 1000 || string(raw[1:4]) != "PNG" {
		t.Errorf("curves.png: %d bytes, err %v", len(raw), err)
	}
	// Three panels (loss, metrics, learning rate) of 9 cm each on a 20 cm width.
	f, err := os.Open(png)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := stdpng.DecodeConfig(f)
	f.Close()
	if err != nil || cfg.Height <= cfg.Width {
		t.Errorf("curves.png is %dx%d (err %v): want three panels, taller than wide", cfg.Width, cfg.Height, err)
	}
	if err := plot.History(&train.History{}, png); err == nil || !strings.Contains(err.Error(), "empty history") {
		t.Errorf("empty history: err = %v", err)
	}
}

// TestHealth checks that a HealthMonitor with Plot: plot.Health draws its four
// plots into Dir at the end of training, next to its CSV files.
func TestHealth(t *testing.T) {
	dir := t.TempDir()
	h := &train.HealthMonitor{Dir: dir, Warn: &strings.Builder{}, Plot: plot.Health}
	fit(t, 3, train.Config{Callbacks: []train.Callback{h}}, false)
	for _, name := range []string{"health.csv", "dead_relu.csv", "health_weights.png", "health_gradients.png", "health_updates.png", "health_dead_relu.png"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
}
