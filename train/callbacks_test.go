package train_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/gradflow/gradflow/train"
	"github.com/gradflow/gradflow/train/data"
	"github.com/gradflow/gradflow/train/optim"
)

// TestCallbackOrder checks which hooks run, in which order, with what status.
func TestCallbackOrder(t *testing.T) {
	var log []string
	rec := func(name string) func(s *train.Status) error {
		return func(s *train.Status) error {
			log = append(log, fmt.Sprintf("%s e%d b%d/%d s%d", name, s.Epoch, s.Batch, s.Batches, s.Step))
			return nil
		}
	}
	cb := train.CallbackFuncs{TrainBegin: rec("train-begin"), EpochBegin: rec("epoch-begin"),
		BatchEnd: rec("batch"), EpochEnd: rec("epoch-end"), TrainEnd: rec("train-end")}
	_, tr := blobTrainer(t, graph.Float64, 2, train.Config{Callbacks: []train.Callback{cb}})
	if _, err := tr.Fit(context.Background(), blobs(t, 20, graph.Float64), nil); err != nil {
		t.Fatal(err)
	}
	want := []string{"train-begin e0 b0/2 s0",
		"epoch-begin e1 b0/2 s0", "batch e1 b1/2 s1", "batch e1 b2/2 s2", "epoch-end e1 b2/2 s2",
		"epoch-begin e2 b0/2 s2", "batch e2 b1/2 s3", "batch e2 b2/2 s4", "epoch-end e2 b2/2 s4",
		"train-end e2 b2/2 s4"}
	if strings.Join(log, "\n") != strings.Join(want, "\n") {
		t.Errorf("hooks:\n%s\nwant:\n%s", strings.Join(log, "\n"), strings.Join(want, "\n"))
	}
	// A callback error stops Fit and names the callback.
	boom := train.CallbackFuncs{BatchEnd: func(*train.Status) error { return errors.New("boom") }}
	_, tr2 := blobTrainer(t, graph.Float64, 2, train.Config{Callbacks: []train.Callback{boom}})
	_, err := tr2.Fit(context.Background(), blobs(t, 20, graph.Float64), nil)
	if err == nil || !strings.Contains(err.Error(), "callback 0 (train.CallbackFuncs) at batch end: boom") {
		t.Errorf("err = %v", err)
	}
}

// TestEarlyStopping feeds a validation loss that improves for 3 epochs and then gets
// worse: with patience 2, training stops after epoch 5 (as Keras's) and the weights
// of epoch 3 come back.
func TestEarlyStopping(t *testing.T) {
	losses := []float64{5, 4, 3, 3.5, 3.2, 3.1, 2, 1}
	var atEpoch3 []float64
	fake := train.CallbackFuncs{EpochEnd: func(s *train.Status) error {
		// Overwrite the monitored metric before EarlyStopping sees it (callbacks run
		// in order, sharing the Status).
		s.Metrics.ValLoss = losses[s.Epoch-1]
		if s.Epoch == 3 {
			atEpoch3 = paramValues(s.Trainer.Params())
		}
		return nil
	}}
	es := &train.EarlyStopping{Patience: 2, MinDelta: 0.01, RestoreBest: true}
	model, tr := blobTrainer(t, graph.Float64, 8, train.Config{Callbacks: []train.Callback{fake, es}})
	hist, err := tr.Fit(context.Background(), blobs(t, 30, graph.Float64), blobs(t, 9, graph.Float64))
	if err != nil {
		t.Fatal(err)
	}
	if len(hist.Epochs) != 5 || es.BestEpoch != 3 || !strings.Contains(hist.Stopped, "early stopping: val_loss did not improve for 2 epochs") {
		t.Errorf("ran %d epochs, best %d, stopped %q; want 5, 3, early stopping", len(hist.Epochs), es.BestEpoch, hist.Stopped)
	}
	got := paramValues(model.Params())
	for i := range got {
		if got[i] != atEpoch3[i] {
			t.Fatalf("weight %d = %v after restore, want %v (epoch 3)", i, got[i], atEpoch3[i])
		}
	}
	// An unknown metric is an error from New (see TestMonitorNames).
	bad := &train.EarlyStopping{Monitor: "val_f7"}
	if _, err := train.New(model, train.Config{Loss: nn.SoftmaxCrossEntropy, Callbacks: []train.Callback{bad}}); err == nil || !strings.Contains(err.Error(), `"val_f7"`) {
		t.Errorf("unknown metric: err = %v", err)
	}
}

// TestLoggersAndCheckpoint checks the CSV and JSON-lines logs, the best-model
// checkpoint and the History's CSV (train/plot's tests draw its curves).
func TestLoggersAndCheckpoint(t *testing.T) {
	dir := t.TempDir()
	var jsonl strings.Builder
	best := &train.BestCheckpoint{Path: filepath.Join(dir, "best.safetensors"), Monitor: "val_accuracy"}
	cbs := []train.Callback{
		&train.CSVLogger{Path: filepath.Join(dir, "log.csv")},
		&train.JSONLogger{W: &jsonl},
		best,
	}
	_, tr := blobTrainer(t, graph.Float64, 3, train.Config{Callbacks: cbs, Metrics: []train.Metric{&train.F1{}}})
	hist, err := tr.Fit(context.Background(), blobs(t, 60, graph.Float64), blobs(t, 30, graph.Float64))
	if err != nil {
		t.Fatal(err)
	}
	csvData, err := os.ReadFile(filepath.Join(dir, "log.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(csvData)), "\n")
	if len(lines) != 4 || lines[0] != "epoch,loss,accuracy,val_loss,val_accuracy,f1,val_f1,lr,step,samples,samples_per_sec,seconds" {
		t.Errorf("CSV log:\n%s", csvData)
	}
	sc := bufio.NewScanner(strings.NewReader(jsonl.String()))
	n := 0
	for sc.Scan() {
		var rec map[string]float64
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("JSON line %q: %v", sc.Text(), err)
		}
		n++
		if rec["epoch"] != float64(n) || rec["val_f1"] != hist.Epochs[n-1].Extra["val_f1"] || rec["lr"] != 0.001 {
			t.Errorf("JSON line %d: %v", n, rec)
		}
	}
	if n != 3 {
		t.Errorf("%d JSON lines, want 3", n)
	}
	if len(best.Saved) == 0 {
		t.Fatal("BestCheckpoint saved nothing")
	}
	if _, err := os.Stat(best.Saved[0]); err != nil {
		t.Error(err)
	}
	var b strings.Builder
	if err := hist.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	if b.String() != string(csvData) {
		// Same columns and values; only the timing columns may differ in format.
		if strings.Split(b.String(), "\n")[0] != lines[0] {
			t.Errorf("History.WriteCSV header %q, want %q", strings.Split(b.String(), "\n")[0], lines[0])
		}
	}
}

// TestReduceLROnPlateauCallback halves the rate after a plateau of the training
// loss, forced flat by a callback that runs first.
func TestReduceLROnPlateauCallback(t *testing.T) {
	flat := train.CallbackFuncs{EpochEnd: func(s *train.Status) error { s.Metrics.TrainLoss = 1; return nil }}
	r := &train.ReduceLROnPlateau{Monitor: "loss", Plateau: optim.Plateau{Factor: 0.5, Patience: 1}}
	_, tr := blobTrainer(t, graph.Float64, 5, train.Config{Optimizer: optim.SGD{LR: 0.1}, Callbacks: []train.Callback{flat, r}})
	hist, err := tr.Fit(context.Background(), blobs(t, 30, graph.Float64), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Epoch 1 sets the best; epochs 2 and 3 are bad, the second of them (> patience 1)
	// halves the rate; epochs 4 and 5 halve it again after two more.
	if got := tr.Optimizer().LR(); got != 0.025 {
		t.Errorf("lr = %v after 5 flat epochs, want 0.025; history lrs %v", got, hist.Series("lr"))
	}
}

// TestScheduleInFit checks that Fit applies an epoch-wise and a step-wise schedule.
func TestScheduleInFit(t *testing.T) {
	_, tr := blobTrainer(t, graph.Float64, 3, train.Config{Optimizer: optim.SGD{LR: 0.1}, Schedule: optim.StepLR{StepSize: 1, Gamma: 0.5}})
	hist, err := tr.Fit(context.Background(), blobs(t, 32, graph.Float64), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := hist.Series("lr"); fmt.Sprint(got) != "[0.1 0.05 0.025]" {
		t.Errorf("epoch lrs %v, want [0.1 0.05 0.025]", got)
	}
	var lrs []float64
	spy := train.CallbackFuncs{BatchEnd: func(s *train.Status) error { lrs = append(lrs, s.Trainer.Optimizer().LR()); return nil }}
	sched := optim.WarmupCosineLR{WarmupSteps: 2, TotalSteps: 6, StartFactor: 0.5}
	_, tr2 := blobTrainer(t, graph.Float64, 3, train.Config{Optimizer: optim.SGD{LR: 0.1}, Schedule: sched,
		ScheduleEvery: train.EveryStep, Callbacks: []train.Callback{spy}})
	if _, err := tr2.Fit(context.Background(), blobs(t, 32, graph.Float64), nil); err != nil {
		t.Fatal(err)
	}
	for i, lr := range lrs { // after step i+1 the rate is the schedule's at i+1
		if want := sched.LR(0.1, i+1); lr != want {
			t.Errorf("after step %d lr = %v, want %v", i+1, lr, want)
		}
	}
}

// sqrtModel computes x·sqrt(w) with w = 0: its loss is finite but the gradient of w
// is infinite (d sqrt(w)/dw = 1/(2 sqrt(w))).
type sqrtModel struct{ w *graph.Param }

func (m sqrtModel) Params() []*graph.Param { return []*graph.Param{m.w} }
func (m sqrtModel) Forward(g *graph.Graph, x *gorgonia.Node) (*gorgonia.Node, error) {
	wn, err := g.Node(m.w)
	if err != nil {
		return nil, err
	}
	s, err := gorgonia.Sqrt(wn)
	if err != nil {
		return nil, err
	}
	return gorgonia.Mul(x, s)
}

// TestNonFiniteStops checks that a NaN loss and an infinite gradient stop training
// with an error naming the step and the param.
func TestNonFiniteStops(t *testing.T) {
	s := graph.NewScope(graph.Float64)
	w, _ := s.Param("w", graph.Weight, []int{2, 1}, graph.Zeros{})
	tr, err := train.New(sqrtModel{w}, train.Config{Loss: nn.MSE, Optimizer: optim.SGD{LR: 0.1}, BatchSize: 2, Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.New(tensor.WithShape(4, 2), tensor.WithBacking([]float64{1, 2, 3, 4, 5, 6, 7, 8}))
	y := tensor.New(tensor.WithShape(4, 1), tensor.WithBacking([]float64{1, 1, 1, 1}))
	set, _ := data.NewRegression(x, y)
	_, err = tr.Fit(context.Background(), set, nil)
	if err == nil || !strings.Contains(err.Error(), `train: step 1 (epoch 1, batch 1): gradient of "w" is not finite: element 0 is -Inf`) {
		t.Errorf("infinite gradient: err = %v", err)
	}

	nanX := tensor.New(tensor.WithShape(4, 4), tensor.WithBacking(make([]float64, 16)))
	nanX.Float64s()[13] = math.NaN() // example 3
	set2, _ := data.New(nanX, []int{0, 1, 2, 0}, 3)
	_, tr2 := blobTrainer(t, graph.Float64, 1, train.Config{NoShuffle: true, BatchSize: 2})
	_, err = tr2.Fit(context.Background(), set2, nil)
	if err == nil || !strings.Contains(err.Error(), "train: step 2 (epoch 1, batch 2): loss is NaN") {
		t.Errorf("NaN loss: err = %v", err)
	}
}

// TestFitOnStreams trains from transformed, prefetched sources: the same batches in
// the same order as the dataset itself, so the same weights.
func TestFitOnStreams(t *testing.T) {
	set := blobs(t, 48, graph.Float64)
	mean, std, err := data.MeanStd(set)
	if err != nil {
		t.Fatal(err)
	}
	norm, err := data.Normalize(set, mean, std)
	if err != nil {
		t.Fatal(err)
	}
	pre, err := data.Prefetch(norm, 2)
	if err != nil {
		t.Fatal(err)
	}
	run := func(src data.Source) []float64 {
		model, tr := blobTrainer(t, graph.Float64, 2, train.Config{})
		if _, err := tr.Fit(context.Background(), src, src); err != nil {
			t.Fatal(err)
		}
		return paramValues(model.Params())
	}
	a, b := run(norm), run(pre)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("value %d: %v without prefetch, %v with", i, a[i], b[i])
		}
	}
	// One-hot targets with a loss on probabilities; accuracy still reported.
	oh, err := data.OneHotTargets(set)
	if err != nil {
		t.Fatal(err)
	}
	s := graph.NewScope(graph.Float64, graph.Seed(1))
	model, _ := nn.NewSequential(s.Sub("m"), nn.LinearConfig{In: 4, Out: 3})
	tr, _ := train.New(model, train.Config{Loss: nn.BCEWithLogits, Optimizer: optim.Adam{LR: 0.05}, Epochs: 20, Quiet: true})
	hist, err := tr.Fit(context.Background(), oh, oh)
	if err != nil {
		t.Fatal(err)
	}
	if acc := hist.Last().ValAccuracy; !(acc > 0.8) {
		t.Errorf("one-hot targets: accuracy %v, want > 0.8", acc)
	}
}
