package train_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/gradflow/gradflow/train"
	"github.com/gradflow/gradflow/train/optim"
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
// model and a trainer configured for the whole run (Epochs 4) and fits: it trains the
// 2 epochs left, and the weights must equal, bit for bit, those of 4 epochs straight;
// its History is the whole run's. The configurations exercise every piece of saved state: Adam's
// moments and step counts, the shuffling generator, a per-step schedule, gradient
// accumulation with clipping, and SGD's momentum with an epoch-wise schedule.
func TestResumeIsBitIdentical(t *testing.T) {
	configs := []struct {
		name string
		cfg  train.Config
	}{
		{"adam", train.Config{Optimizer: optim.Adam{LR: 0.01}}},
		{"adamw-onecycle-accumulate", train.Config{Optimizer: optim.AdamW{LR: 0.01, WeightDecay: 0.01},
			Schedule: optim.OneCycleLR{TotalSteps: 40}, ScheduleEvery: train.EveryStep, Accumulate: 2, ClipNorm: 1}},
		{"sgd-step-schedule", train.Config{Optimizer: optim.SGD{LR: 0.1, Momentum: 0.9}, Schedule: optim.StepLR{StepSize: 1, Gamma: 0.5}}},
		{"rmsprop-groups", train.Config{Optimizer: optim.NoWeightDecay(optim.RMSProp{LR: 0.01, WeightDecay: 0.1, Momentum: 0.5}, optim.ByKind(graph.Bias))}},
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
				resumed, trB := blobTrainer(t, dt, 4, c.cfg) // the run's total
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
				if len(hist.Epochs) != 2 || hist.Epochs[0].Epoch != 3 {
					t.Fatalf("the resumed Fit trained %d epochs, want 2: epochs 3 and 4", len(hist.Epochs))
				}
				whole, want := trB.History(), trS.History()
				if len(whole.Epochs) != 4 || whole.Epochs[0].TrainLoss != want.Epochs[0].TrainLoss || whole.Epochs[3].TrainLoss != want.Epochs[3].TrainLoss {
					t.Errorf("History after the resume has %d epochs (losses %v), want the straight run's 4 (%v)", len(whole.Epochs), whole.Series("loss"), want.Series("loss"))
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
	_, tr4 := blobTrainer(t, graph.Float32, 1, train.Config{Optimizer: optim.SGD{LR: 0.1, Momentum: 0.9}})
	if err := tr4.LoadCheckpoint(path); err == nil || !strings.Contains(err.Error(), "optimizer state") {
		t.Errorf("other optimizer: err = %v", err)
	}
}
