package train_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/gradflow/gradflow/train"
)

// Six examples of 3 classes. Each row of scores puts 3 on the predicted class, 2 on
// a second choice and 1 on the last; the targets and predictions give the
// confusion matrix [[1 1 0] [0 1 1] [0 1 1]] (rows: target, columns: predicted).
var (
	metricScores = []float64{
		3, 2, 1, // target 0, predicted 0
		1, 2, 3, // target 1, predicted 2, second 1
		1, 2, 3, // target 2, predicted 2
		2, 3, 1, // target 2, predicted 1, second 0
		1, 3, 2, // target 1, predicted 1
		1, 3, 2, // target 0, predicted 1, second 2
	}
	metricLabels = []float64{0, 1, 2, 2, 1, 0}
)

func rows(vals []float64, n int, from, to int) *tensor.Dense {
	c := len(vals) / n
	if c == 1 {
		return tensor.New(tensor.WithShape(to-from), tensor.WithBacking(append([]float64(nil), vals[from:to]...)))
	}
	return tensor.New(tensor.WithShape(to-from, c), tensor.WithBacking(append([]float64(nil), vals[from*c:to*c]...)))
}

// TestMetrics checks each metric against values worked out by hand (they agree with
// scikit-learn's accuracy_score, top_k_accuracy_score, precision/recall/f1_score with
// average="macro" and confusion_matrix), fed in two batches to check streaming.
func TestMetrics(t *testing.T) {
	cm := &train.ConfusionMatrix{}
	p, r, f := &train.Precision{}, &train.Recall{}, &train.F1{}
	tests := []struct {
		m    train.Metric
		name string
		want float64
	}{
		{&train.Accuracy{}, "accuracy", 0.5},
		{&train.TopKAccuracy{K: 2}, "top2_accuracy", 4.0 / 6},
		{&train.TopKAccuracy{K: 3}, "top3_accuracy", 1},
		{cm, "confusion_accuracy", 0.5},
		{p, "precision", (1 + 1.0/3 + 0.5) / 3},
		{r, "recall", 0.5},
		{f, "f1", (2.0/3 + 0.4 + 0.5) / 3},
	}
	for _, tc := range tests {
		if !math.IsNaN(tc.m.Value()) {
			t.Errorf("%s: Value() before any batch = %v, want NaN", tc.name, tc.m.Value())
		}
		for _, half := range [][2]int{{0, 3}, {3, 6}} {
			if err := tc.m.Update(rows(metricScores, 6, half[0], half[1]), rows(metricLabels, 6, half[0], half[1])); err != nil {
				t.Fatal(err)
			}
		}
		if tc.m.Name() != tc.name || math.Abs(tc.m.Value()-tc.want) > 1e-12 {
			t.Errorf("%s = %v, want %s = %v", tc.m.Name(), tc.m.Value(), tc.name, tc.want)
		}
		if fresh := tc.m.New(); !math.IsNaN(fresh.Value()) {
			t.Errorf("%s: New() is not empty", tc.name)
		}
	}
	if got := cm.Matrix(); len(got) != 3 || got[0][0] != 1 || got[0][1] != 1 || got[2][1] != 1 || got[2][2] != 1 || got[1][0] != 0 {
		t.Errorf("confusion matrix %v, want [[1 1 0] [0 1 1] [0 1 1]]", got)
	}
	if got := f.PerClass(); math.Abs(got[0]-2.0/3) > 1e-12 || math.Abs(got[1]-0.4) > 1e-12 || got[2] != 0.5 {
		t.Errorf("per-class F1 %v, want [0.667 0.4 0.5]", got)
	}
	if got := p.PerClass(); got[0] != 1 || math.Abs(got[1]-1.0/3) > 1e-12 {
		t.Errorf("per-class precision %v", got)
	}

	// Binary logits (N, 1) against 0/1 targets (N, 1); one-hot targets.
	acc := &train.Accuracy{}
	logits := tensor.New(tensor.WithShape(3, 1), tensor.WithBacking([]float32{-1, 2, 0.5}))
	targets := tensor.New(tensor.WithShape(3, 1), tensor.WithBacking([]float32{0, 1, 0}))
	if err := acc.Update(logits, targets); err != nil || acc.Value() != 2.0/3 {
		t.Errorf("binary accuracy = %v, %v; want 2/3", acc.Value(), err)
	}
	oneHot := tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]float64{0, 0, 1, 1, 0, 0}))
	acc2 := &train.Accuracy{}
	if err := acc2.Update(rows(metricScores, 6, 1, 3), oneHot); err != nil || acc2.Value() != 0.5 {
		t.Errorf("one-hot accuracy = %v, %v; want 0.5", acc2.Value(), err)
	}

	// Regression.
	out := tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float64{1, 2, 3, 4}))
	y := tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float64{1, 1, 1, 1}))
	mse, mae := &train.MSE{}, &train.MAE{}
	_ = mse.Update(out, y)
	_ = mae.Update(out, y)
	if mse.Value() != 3.5 || mae.Value() != 1.5 {
		t.Errorf("MSE %v, MAE %v; want 3.5, 1.5", mse.Value(), mae.Value())
	}
	if err := mse.Update(out, rows(metricLabels, 6, 0, 6)); err == nil {
		t.Error("MSE of mismatched shapes: no error")
	}
}

// TestMetricsInFit checks that Config.Metrics reach the history and Evaluate, on
// training batches and on the validation set.
func TestMetricsInFit(t *testing.T) {
	metrics := []train.Metric{&train.Accuracy{}, &train.TopKAccuracy{K: 2}, &train.F1{}, &train.ConfusionMatrix{}}
	_, tr := blobTrainer(t, graph.Float32, 2, train.Config{Metrics: metrics})
	val := blobs(t, 30, graph.Float32)
	hist, err := tr.Fit(context.Background(), blobs(t, 60, graph.Float32), val)
	if err != nil {
		t.Fatal(err)
	}
	em := hist.Last()
	for _, k := range []string{"accuracy", "top2_accuracy", "f1", "val_accuracy", "val_top2_accuracy", "val_f1", "confusion_accuracy"} {
		if v, ok := em.Value(k); !ok || v < 0 || v > 1 {
			t.Errorf("epoch metric %s = %v, %v", k, v, ok)
		}
	}
	if em.Extra["val_accuracy"] != em.ValAccuracy || em.Extra["accuracy"] != em.TrainAccuracy {
		t.Errorf("Accuracy metric %v/%v disagrees with the built-in %v/%v",
			em.Extra["accuracy"], em.Extra["val_accuracy"], em.TrainAccuracy, em.ValAccuracy)
	}
	m, err := tr.Evaluate(context.Background(), val)
	if err != nil {
		t.Fatal(err)
	}
	cm := m.Computed[3].(*train.ConfusionMatrix)
	total := 0
	for _, row := range cm.Matrix() {
		for _, c := range row {
			total += c
		}
	}
	if total != 30 || m.Extra["accuracy"] != m.Accuracy {
		t.Errorf("Evaluate: confusion total %d, accuracy %v vs %v", total, m.Extra["accuracy"], m.Accuracy)
	}
	if metrics[0].Value() == metrics[0].Value() { // the prototypes stay empty (NaN)
		t.Error("Fit updated the prototype metric")
	}
}

// TestProgressModes checks the bar (carriage returns, ETA, rate), the silent mode
// and the epoch lines.
func TestProgressModes(t *testing.T) {
	for _, tc := range []struct {
		mode train.ProgressMode
		want []string
		not  []string
	}{
		{train.ProgressBar, []string{"\r", "ETA", "samples/s", "[========================] 4/4", "epoch 2/2  loss"}, nil},
		{train.ProgressLines, []string{"epoch 1/2  loss", "epoch 2/2  loss"}, []string{"\r", "ETA"}},
		{train.ProgressSilent, nil, []string{"epoch"}},
	} {
		var b strings.Builder
		s := graph.NewScope(graph.Float64, graph.Seed(1))
		model, _ := nn.NewSequential(s.Sub("m"), nn.LinearConfig{In: 4, Out: 3})
		tr, err := train.New(model, train.Config{Loss: nn.SoftmaxCrossEntropy, BatchSize: 8, Epochs: 2, Progress: &b, ProgressMode: tc.mode})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.Fit(context.Background(), blobs(t, 32, graph.Float64), nil); err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("mode %d: output %q lacks %q", tc.mode, b.String(), w)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(b.String(), w) {
				t.Errorf("mode %d: output %q holds %q", tc.mode, b.String(), w)
			}
		}
	}
}

// TestHealthMonitor checks the records, the dead-ReLU probe, the warnings and the
// CSV files.
func TestHealthMonitor(t *testing.T) {
	dir := t.TempDir()
	var warn strings.Builder
	h := &train.HealthMonitor{Dir: dir, Exploding: 1e-3, Warn: &warn} // tiny threshold: every gradient "explodes"
	_, tr := blobTrainer(t, graph.Float64, 3, train.Config{Callbacks: []train.Callback{h}})
	if _, err := tr.Fit(context.Background(), blobs(t, 64, graph.Float64), nil); err != nil {
		t.Fatal(err)
	}
	if len(h.Records) != 3*4 {
		t.Fatalf("%d records, want 12 (3 epochs x 4 params)", len(h.Records))
	}
	r := h.Records[len(h.Records)-4] // m/0/weight after epoch 3
	if r.Param != "m/0/weight" || r.Layer != "m/0" || r.Kind != "weight" || !(r.Norm > 0) || !(r.GradNorm > 0) ||
		!(r.UpdateRatio > 0 && r.UpdateRatio < 1) || !(r.Std > 0) {
		t.Errorf("record %+v", r)
	}
	if len(h.Dead) != 3 || h.Dead[0].Layer != "m/0/relu0" || h.Dead[0].Units != 16 {
		t.Errorf("dead-ReLU records %+v, want one per epoch for m/0/relu0 with 16 units", h.Dead)
	}
	if !strings.Contains(warn.String(), "warning: epoch 1: layer m/0: exploding gradient: norm of the gradient of \"m/0/weight\"") {
		t.Errorf("warnings %q", warn.String())
	}
	for _, name := range []string{"health.csv", "dead_relu.csv"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Without a Plot hook, train draws nothing (train/plot's tests draw the PNGs).
	if pngs, _ := filepath.Glob(filepath.Join(dir, "*.png")); len(pngs) != 0 {
		t.Errorf("no Plot hook, but the monitor wrote %v", pngs)
	}
	csv, _ := os.ReadFile(filepath.Join(dir, "health.csv"))
	if lines := strings.Count(string(csv), "\n"); lines != 13 {
		t.Errorf("health.csv has %d lines, want 13", lines)
	}
}
