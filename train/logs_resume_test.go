package train_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gradflow/gradflow/nn"
	"github.com/gradflow/gradflow/train"
	"github.com/gradflow/gradflow/train/optim"
)

// TestCSVLoggerAppendKeepsHeader: a second Fit appending to the same log (a resumed
// run) writes rows only, under the header the first one wrote.
func TestCSVLoggerAppendKeepsHeader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.csv")
	set := threeBlobs(60)
	for round := range 2 {
		tr, err := train.New(mustMLP(t), train.Config{
			Loss: nn.SoftmaxCrossEntropy, Optimizer: optim.SGD{LR: 0.1}, BatchSize: 20, Epochs: 2, Quiet: true,
			Callbacks: []train.Callback{&train.CSVLogger{Path: path, Append: round == 1}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.Fit(context.Background(), set, set); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "epoch,") || strings.Count(string(b), "epoch,") != 1 {
		t.Fatalf("want one header and 4 rows, got:\n%s", b)
	}
	// Appending a different metric set to it fails rather than mixing columns.
	tr, _ := train.New(mustMLP(t), train.Config{
		Loss: nn.SoftmaxCrossEntropy, BatchSize: 20, Epochs: 1, Quiet: true, Metrics: []train.Metric{&train.F1{}},
		Callbacks: []train.Callback{&train.CSVLogger{Path: path, Append: true}},
	})
	if _, err := tr.Fit(context.Background(), set, set); err == nil || !strings.Contains(err.Error(), "columns") {
		t.Errorf("different columns: err = %v", err)
	}
	// Appending to a file that is not a CSVLogger log fails before training.
	other := filepath.Join(t.TempDir(), "notes.csv")
	os.WriteFile(other, []byte("a,b\n1,2\n"), 0o644)
	tr, _ = train.New(mustMLP(t), train.Config{Loss: nn.SoftmaxCrossEntropy, Epochs: 1, Quiet: true,
		Callbacks: []train.Callback{&train.CSVLogger{Path: other, Append: true}}})
	if _, err := tr.Fit(context.Background(), set, nil); err == nil || !strings.Contains(err.Error(), "header") {
		t.Errorf("foreign file: err = %v", err)
	}
}

// TestJSONLoggerEveryStep: a line per optimizer step (with accumulation, per step,
// not per batch) and a line per epoch.
func TestJSONLoggerEveryStep(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.jsonl")
	tr, err := train.New(mustMLP(t), train.Config{
		Loss: nn.SoftmaxCrossEntropy, Optimizer: optim.SGD{LR: 0.1}, BatchSize: 10, Epochs: 2, Quiet: true, Accumulate: 2,
		Callbacks: []train.Callback{&train.JSONLogger{Path: path, EveryStep: true}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Fit(context.Background(), threeBlobs(60), nil); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	steps, epochs, last := 0, 0, 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var rec map[string]float64
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatal(err)
		}
		if _, ok := rec["batch"]; ok {
			steps++
			if int(rec["step"]) != last+1 || rec["lr"] != 0.1 || rec["loss"] <= 0 {
				t.Errorf("step line %v after step %d", rec, last)
			}
			last = int(rec["step"])
		} else {
			epochs++
		}
	}
	if steps != tr.Step() || epochs != 2 || steps != 6 {
		t.Errorf("%d step lines (trainer took %d steps, want 6), %d epoch lines", steps, tr.Step(), epochs)
	}
}
