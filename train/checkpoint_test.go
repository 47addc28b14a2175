package train_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/gradflow/gradflow/train"
)

// blobTrainer returns a fresh model and trainer for the blobs data.
func blobTrainer(t *testing.T, dt graph.DType, epochs int, cfg train.Config) (*nn.Sequential, *train.Trainer) {
	t.Helper()
	s := graph.NewScope(dt, graph.Seed(11))
	model, err := nn.NewSequential(s.Sub("m"), nn.LinearConfig{In: 4, Out: 16, Activation: nn.ReLU}, nn.LinearConfig{In: 16, Out: 3})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Loss = nn.SoftmaxCrossEntropy
	if cfg.BatchSize == 0 {
		cfg.BatchSize = 16
	}
	cfg.Epochs, cfg.Seed, cfg.Quiet = epochs, 5, true
	tr, err := train.New(model, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return model, tr
}

func paramValues(ps []*graph.Param) []float64 {
	var out []float64
	for _, p := range ps {
		if v := p.Float64s(); v != nil {
			out = append(out, v...)
			continue
		}
		for _, v := range p.Float32s() {
			out = append(out, float64(v))
		}
	}
	return out
}

// TestResumeIsBitIdentical trains 2 epochs, saves a checkpoint, loads it into a fresh
// model and trainer and trains 2 more: the weights must equal, bit for bit, those of
// 4 epochs straight. The configurations exercise every piece of saved state: Adam's
// moments and step counts, the shuffling generator, a per-step schedule, gradient
// accumulation with clipping, and SGD's momentum with an epoch-wise schedule.
func TestResumeIsBitIdentical(t *testing.T) {
	configs := []struct {
		name string
		cfg  train.Config
	}{
		{"adam", train.Config{Optimizer: train.Adam{LR: 0.01}}},
		{"adamw-onecycle-accumulate", train.Config{Optimizer: train.AdamW{LR: 0.01, WeightDecay: 0.01},
			Schedule: train.OneCycleLR{TotalSteps: 40}, ScheduleEvery: train.EveryStep, Accumulate: 2, ClipNorm: 1}},
		{"sgd-step-schedule", train.Config{Optimizer: train.SGD{LR: 0.1, Momentum: 0.9}, Schedule: train.StepLR{StepSize: 1, Gamma: 0.5}}},
		{"rmsprop-groups", train.Config{Optimizer: train.NoWeightDecay(train.RMSProp{LR: 0.01, WeightDecay: 0.1, Momentum: 0.5}, train.ByKind(graph.Bias))}},
	}
	for _, c := range configs {
		for _, dt := range []graph.DType{graph.Float32, graph.Float64} {
			t.Run(c.name+"/"+dt.String(), func(t *testing.T) {
				set, val := blobs(t, 150, dt), blobs(t, 30, dt)
				ctx := context.Background()
				straight, trS := blobTrainer(t, dt, 4, c.cfg)
				if _, err := trS.Fit(ctx, set, val); err != nil {
					t.Fatal(err)
				}
				_, trA := blobTrainer(t, dt, 2, c.cfg)
				if _, err := trA.Fit(ctx, set, val); err != nil {
					t.Fatal(err)
				}
				path := filepath.Join(t.TempDir(), "ckpt.safetensors")
				if err := trA.SaveCheckpoint(path); err != nil {
					t.Fatal(err)
				}
				resumed, trB := blobTrainer(t, dt, 2, c.cfg)
				if err := trB.LoadCheckpoint(path); err != nil {
					t.Fatal(err)
				}
				if trB.Epoch() != 2 || trB.Step() != trA.Step() {
					t.Fatalf("restored epoch %d step %d, want 2 and %d", trB.Epoch(), trB.Step(), trA.Step())
				}
				hist, err := trB.Fit(ctx, set, val)
				if err != nil {
					t.Fatal(err)
				}
				if got := hist.Epochs[0].Epoch; got != 3 {
					t.Errorf("first resumed epoch is numbered %d, want 3", got)
				}
				a, b := paramValues(straight.Params()), paramValues(resumed.Params())
				for i := range a {
					if a[i] != b[i] {
						t.Fatalf("value %d: %v after 4 epochs, %v after 2 + resume + 2", i, a[i], b[i])
					}
				}
				if trS.Step() != trB.Step() || trS.Optimizer().LR() != trB.Optimizer().LR() {
					t.Errorf("step %d lr %v straight, step %d lr %v resumed", trS.Step(), trS.Optimizer().LR(), trB.Step(), trB.Optimizer().LR())
				}
			})
		}
	}
}

// TestLoadParamsStrict checks that a strict load reports every missing, unexpected
// and mis-shaped name at once and changes nothing, and that Partial and Select load
// subsets.
func TestLoadParamsStrict(t *testing.T) {
	dir := t.TempDir()
	s := graph.NewScope(graph.Float32, graph.Seed(1))
	a, _ := s.Param("a", graph.Weight, []int{2, 3}, graph.Constant{Value: 1})
	b, _ := s.Param("b", graph.Bias, []int{3}, graph.Constant{Value: 2})
	c, _ := s.Param("c", graph.Weight, []int{4}, graph.Constant{Value: 3})
	path := filepath.Join(dir, "p.safetensors")
	if err := train.SaveParams(path, []*graph.Param{a, b, c}, map[string]string{"note": "test"}); err != nil {
		t.Fatal(err)
	}

	s2 := graph.NewScope(graph.Float32, graph.Seed(2))
	a2, _ := s2.Param("a", graph.Weight, []int{2, 3}, graph.Zeros{})
	b2, _ := s2.Param("b", graph.Bias, []int{5}, graph.Zeros{})   // wrong shape
	d2, _ := s2.Param("d", graph.Weight, []int{1}, graph.Zeros{}) // not in the file
	err := train.LoadParams(path, []*graph.Param{a2, b2, d2})
	var le *train.LoadError
	if !errors.As(err, &le) {
		t.Fatalf("err = %v, want a *LoadError", err)
	}
	if len(le.Missing) != 1 || le.Missing[0] != "d" || len(le.Unexpected) != 1 || le.Unexpected[0] != "c" || len(le.Mismatched) != 1 {
		t.Errorf("LoadError = %+v, want missing d, unexpected c, b mismatched", le)
	}
	for _, want := range []string{`"d"`, `"c"`, `"b": file has F32 [3], model has float32 [5]`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if a2.Float32s()[0] != 0 {
		t.Error("a failed strict load changed a param")
	}

	// Partial: a loads, d keeps its value, c is ignored; b's shape is still an error.
	if err := train.LoadParams(path, []*graph.Param{a2, d2}, train.Partial()); err != nil {
		t.Fatal(err)
	}
	if a2.Float32s()[5] != 1 || d2.Float32s()[0] != 0 {
		t.Errorf("partial load: a = %v, d = %v", a2.Float32s(), d2.Float32s())
	}
	if err := train.LoadParams(path, []*graph.Param{b2}, train.Partial()); err == nil {
		t.Error("partial load of a mis-shaped param: no error")
	}
	// Select: only the biases, from a file that has more. float64 params convert.
	s3 := graph.NewScope(graph.Float64)
	b3, _ := s3.Param("b", graph.Bias, []int{3}, graph.Zeros{})
	w3, _ := s3.Param("a", graph.Weight, []int{2, 3}, graph.Zeros{})
	if err := train.LoadParams(path, []*graph.Param{b3, w3}, train.Select(train.ByKind(graph.Bias))); err != nil {
		t.Fatal(err)
	}
	if b3.Float64s()[2] != 2 || w3.Float64s()[0] != 0 {
		t.Errorf("select biases: b = %v, a = %v", b3.Float64s(), w3.Float64s())
	}
	// The file is plain safetensors: read it back with its metadata.
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tensors, meta, err := train.ReadTensors(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(tensors) != 3 || meta["note"] != "test" || meta["format"] != "gradflow" {
		t.Errorf("ReadTensors: %d tensors, metadata %v", len(tensors), meta)
	}
}

// TestLoadCorrupt checks that truncated and corrupted files give clear errors.
func TestLoadCorrupt(t *testing.T) {
	dir := t.TempDir()
	_, tr := blobTrainer(t, graph.Float32, 1, train.Config{})
	if _, err := tr.Fit(context.Background(), blobs(t, 32, graph.Float32), nil); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "c.safetensors")
	if err := tr.SaveCheckpoint(path); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.safetensors")
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "too short"},
		{"truncated-header", good[:20], "does not fit in the file"},
		{"truncated-data", good[:len(good)-3], "outside the"},
		{"trailing", append(append([]byte(nil), good...), 0, 0, 0, 0), "trailing"},
		{"not-json", append([]byte{4, 0, 0, 0, 0, 0, 0, 0}, "{{{{"...), "not a JSON object"},
	}
	for _, c := range cases {
		if err := os.WriteFile(bad, c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, tr2 := blobTrainer(t, graph.Float32, 1, train.Config{})
		err := tr2.LoadCheckpoint(bad)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
	// A model of another shape: the error names the tensor and both shapes.
	s := graph.NewScope(graph.Float32, graph.Seed(1))
	other, _ := nn.NewSequential(s.Sub("m"), nn.LinearConfig{In: 4, Out: 8, Activation: nn.ReLU}, nn.LinearConfig{In: 8, Out: 3})
	tr3, err := train.New(other, train.Config{Loss: nn.SoftmaxCrossEntropy, Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	err = tr3.LoadCheckpoint(path)
	if err == nil || !strings.Contains(err.Error(), `"m/0/weight": file has F32 [4 16], model has float32 [4 8]`) {
		t.Errorf("other model: err = %v", err)
	}
	// A checkpoint of another optimizer.
	_, tr4 := blobTrainer(t, graph.Float32, 1, train.Config{Optimizer: train.SGD{LR: 0.1, Momentum: 0.9}})
	if err := tr4.LoadCheckpoint(path); err == nil || !strings.Contains(err.Error(), "optimizer state") {
		t.Errorf("other optimizer: err = %v", err)
	}
}

// TestSaveIsAtomic checks that a failed save leaves the previous checkpoint intact
// and no temporary file behind.
func TestSaveIsAtomic(t *testing.T) {
	dir := t.TempDir()
	s := graph.NewScope(graph.Float64)
	p, _ := s.Param("p", graph.Weight, []int{3}, graph.Constant{Value: 7})
	path := filepath.Join(dir, "w.safetensors")
	if err := train.SaveParams(path, []*graph.Param{p}, nil); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	// The same name twice makes the write fail after the temporary file exists.
	if err := train.SaveParams(path, []*graph.Param{p, p}, nil); err == nil {
		t.Fatal("saving a duplicate name: no error")
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Error("a failed save changed the file")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries after a failed save, want 1", len(entries))
	}
	// Saving into a missing directory is an error, not a panic.
	if err := train.SaveParams(filepath.Join(dir, "no", "such", "w"), []*graph.Param{p}, nil); err == nil {
		t.Error("save into a missing directory: no error")
	}
}
