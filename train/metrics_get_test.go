package train_test

import (
	"context"
	"testing"

	"github.com/gradflow/gradflow/nn"
	"github.com/gradflow/gradflow/train"
)

func TestMetricsConfusion(t *testing.T) {
	set := threeBlobs(60)
	for _, metrics := range [][]train.Metric{{&train.ConfusionMatrix{}}, {&train.F1{}}, {&train.TopKAccuracy{K: 2}, &train.Recall{}}} {
		tr, err := train.New(mustMLP(t), train.Config{Loss: nn.SoftmaxCrossEntropy, Quiet: true, Metrics: metrics})
		if err != nil {
			t.Fatal(err)
		}
		m, err := tr.Evaluate(context.Background(), set)
		if err != nil {
			t.Fatal(err)
		}
		cm, ok := m.Confusion()
		if !ok {
			t.Fatalf("%T: no confusion matrix", metrics[len(metrics)-1])
		}
		total := 0
		for _, row := range cm.Matrix() {
			for _, v := range row {
				total += v
			}
		}
		if total != 60 || len(cm.Matrix()) != 3 {
			t.Errorf("matrix %v: %d examples, want 60 in 3x3", cm.Matrix(), total)
		}
		if _, ok := m.Metric(metrics[0].Name()); !ok {
			t.Errorf("Metric(%q) not found", metrics[0].Name())
		}
	}
	tr, _ := train.New(mustMLP(t), train.Config{Loss: nn.SoftmaxCrossEntropy, Quiet: true})
	m, _ := tr.Evaluate(context.Background(), set)
	if _, ok := m.Confusion(); ok {
		t.Error("a confusion matrix without one configured")
	}
	if _, ok := m.Metric("nope"); ok {
		t.Error("Metric(\"nope\") found")
	}
}
