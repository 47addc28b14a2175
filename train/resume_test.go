package train_test

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/train"
)

// TestResumeToTotal: after LoadCheckpoint the first Fit trains up to Config.Epochs in
// all (nothing when the checkpoint is there already); the Fits after it train
// Config.Epochs more, and History keeps every epoch, NaN validation metrics included.
func TestResumeToTotal(t *testing.T) {
	ctx := context.Background()
	set := blobs(t, 48, graph.Float64)
	_, first := blobTrainer(t, graph.Float64, 3, train.Config{})
	if _, err := first.Fit(ctx, set, nil); err != nil { // no validation set: NaN val metrics
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ckpt.safetensors")
	if err := first.SaveCheckpoint(path); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		epochs, first, then int // Config.Epochs, epochs the resumed Fit trains, the next Fit
	}{{5, 2, 5}, {3, 0, 3}, {2, 0, 2}} {
		_, tr := blobTrainer(t, graph.Float64, c.epochs, train.Config{})
		if err := tr.LoadCheckpoint(path); err != nil {
			t.Fatal(err)
		}
		h, err := tr.Fit(ctx, set, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(h.Epochs) != c.first {
			t.Errorf("Epochs %d, checkpoint at 3: the resumed Fit trained %d epochs, want %d", c.epochs, len(h.Epochs), c.first)
		}
		if h, err = tr.Fit(ctx, set, nil); err != nil || len(h.Epochs) != c.then {
			t.Errorf("Epochs %d: the next Fit trained %d epochs (err %v), want %d", c.epochs, len(h.Epochs), err, c.then)
		}
		whole := tr.History()
		if want := 3 + c.first + c.then; len(whole.Epochs) != want {
			t.Fatalf("Epochs %d: History has %d epochs, want %d", c.epochs, len(whole.Epochs), want)
		}
		for i, em := range whole.Epochs {
			if em.Epoch != i+1 || !math.IsNaN(em.ValLoss) {
				t.Errorf("History epoch %d: numbered %d, val loss %v (want NaN: no validation set)", i, em.Epoch, em.ValLoss)
			}
		}
		if whole.Epochs[0].TrainLoss != first.History().Epochs[0].TrainLoss {
			t.Errorf("the loaded first epoch's loss %v differs from the saved %v", whole.Epochs[0].TrainLoss, first.History().Epochs[0].TrainLoss)
		}
	}
	// History returns a copy: changing it changes nothing in the trainer.
	h := first.History()
	h.Epochs[0].TrainLoss = -1
	if first.History().Epochs[0].TrainLoss == -1 {
		t.Error("History shares its epochs with the trainer")
	}
}

// TestResumeHistoryMismatch: a checkpoint whose history does not match its epoch is
// an error naming the history, and the trainer is unchanged.
func TestResumeHistoryMismatch(t *testing.T) {
	ctx := context.Background()
	_, tr := blobTrainer(t, graph.Float64, 2, train.Config{})
	if _, err := tr.Fit(ctx, blobs(t, 32, graph.Float64), nil); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ckpt.safetensors")
	if err := tr.SaveCheckpoint(path); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tensors, meta, err := graph.ReadTensors(raw)
	if err != nil {
		t.Fatal(err)
	}
	key := ""
	for k, v := range meta {
		if strings.Contains(v, `"history"`) {
			key = k
		}
	}
	if key == "" {
		t.Fatalf("no metadata entry holds the history: %v", meta)
	}
	i := strings.Index(meta[key], `"epoch":2,`)
	if i < 0 {
		t.Fatalf("no second epoch record in %s", meta[key])
	}
	meta[key] = meta[key][:i] + `"epoch":7,` + meta[key][i+len(`"epoch":2,`):]
	bad := filepath.Join(t.TempDir(), "bad.safetensors")
	var buf bytes.Buffer
	if err := graph.WriteTensors(&buf, tensors, meta); err != nil { // checksums made anew
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	_, fresh := blobTrainer(t, graph.Float64, 2, train.Config{})
	err = fresh.LoadCheckpoint(bad)
	if err == nil || !strings.Contains(err.Error(), "history") {
		t.Fatalf("a history out of order: err = %v, want one naming the history", err)
	}
	if fresh.Epoch() != 0 || len(fresh.History().Epochs) != 0 {
		t.Errorf("a failed load changed the trainer: epoch %d, %d epochs of history", fresh.Epoch(), len(fresh.History().Epochs))
	}
}
