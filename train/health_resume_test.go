package train_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gradflow/gradflow/nn"
	"github.com/gradflow/gradflow/train"
	"github.com/gradflow/gradflow/train/optim"
)

// TestHealthMonitorResume: a run checkpointed after epoch 2 and killed during epoch 3
// (after its health records were written) resumes from the checkpoint: the health
// files then hold epochs 1, 2 and the resumed 3 once each, and the plot hook ran
// after every epoch.
func TestHealthMonitorResume(t *testing.T) {
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "ckpt")
	set := threeBlobs(60)
	plots := 0
	plot := func(h *train.HealthMonitor, d string) error { plots++; return nil }
	newTrainer := func(epochs int, cbs ...train.Callback) *train.Trainer {
		tr, err := train.New(mustMLP(t), train.Config{
			Loss: nn.SoftmaxCrossEntropy, Optimizer: optim.SGD{LR: 0.1}, BatchSize: 20, Epochs: epochs, Quiet: true, Seed: 1,
			Callbacks: cbs,
		})
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	first := newTrainer(2, &train.HealthMonitor{Dir: dir, ProbeSize: -1, Plot: plot})
	if _, err := first.Fit(context.Background(), set, nil); err != nil {
		t.Fatal(err)
	}
	if err := first.SaveCheckpoint(ckpt); err != nil {
		t.Fatal(err)
	}
	// The "killed" continuation: epoch 3 gets written, then the process dies.
	killed := &train.HealthMonitor{Dir: dir, ProbeSize: -1, Plot: plot}
	cont := newTrainer(3, killed) // the run's total: epoch 3 is left
	if err := cont.LoadCheckpoint(ckpt); err != nil {
		t.Fatal(err)
	}
	if _, err := cont.Fit(context.Background(), set, nil); err != nil {
		t.Fatal(err)
	}
	if plots != 3 {
		t.Errorf("the plot hook ran %d times in 3 epochs", plots)
	}
	// The resumed run, from the same checkpoint.
	h := &train.HealthMonitor{Dir: dir, ProbeSize: -1}
	resumed := newTrainer(3, h)
	if err := resumed.LoadCheckpoint(ckpt); err != nil {
		t.Fatal(err)
	}
	if _, err := resumed.Fit(context.Background(), set, nil); err != nil {
		t.Fatal(err)
	}
	perEpoch := len(mustMLP(t).Params())
	if len(h.Records) != 3*perEpoch {
		t.Fatalf("%d records, want %d (3 epochs of %d params)", len(h.Records), 3*perEpoch, perEpoch)
	}
	for i, r := range h.Records {
		if want := 1 + i/perEpoch; r.Epoch != want {
			t.Errorf("record %d: epoch %d, want %d", i, r.Epoch, want)
		}
	}
	if h.Records[0] != killed.Records[0] {
		t.Errorf("the record read back differs:\n%+v\n%+v", h.Records[0], killed.Records[0])
	}
	b, err := os.ReadFile(filepath.Join(dir, "health.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(b), "\n"); got != 1+3*perEpoch {
		t.Errorf("health.csv has %d lines, want %d:\n%s", got, 1+3*perEpoch, b)
	}
	// A corrupt file is an error, not a silent restart.
	os.WriteFile(filepath.Join(dir, "health.csv"), []byte("epoch,layer\n1,x\n"), 0o644)
	bad := newTrainer(3, &train.HealthMonitor{Dir: dir, ProbeSize: -1})
	if err := bad.LoadCheckpoint(ckpt); err != nil {
		t.Fatal(err)
	}
	if _, err := bad.Fit(context.Background(), set, nil); err == nil || !strings.Contains(err.Error(), "health.csv") {
		t.Errorf("corrupt health.csv: err = %v", err)
	}
}

func TestHealthMonitorLargeUpdate(t *testing.T) {
	h := &train.HealthMonitor{ProbeSize: -1, LargeUpdate: 1e-9}
	tr, err := train.New(mustMLP(t), train.Config{Loss: nn.SoftmaxCrossEntropy, Optimizer: optim.SGD{LR: 1}, BatchSize: 20, Epochs: 1, Quiet: true,
		Callbacks: []train.Callback{h}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Fit(context.Background(), threeBlobs(60), nil); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, w := range h.Warnings {
		found = found || strings.Contains(w, "large update") && strings.Contains(w, "mlp/0/weight")
		if strings.Contains(w, "large update") && strings.Contains(w, "bias") {
			t.Errorf("a bias warned: %s", w)
		}
	}
	if !found {
		t.Errorf("no large-update warning for the weight: %q", h.Warnings)
	}
}
