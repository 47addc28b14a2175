package optim_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/train/optim"
)

// optimFixture is one file written by testdata/optim/gen.py: a PyTorch optimizer run
// on a fixed problem, with the gradients torch used at each step and the parameters
// after it.
type optimFixture struct {
	TorchVersion string `json:"torch_version"`
	Config       struct {
		Optimizer   string    `json:"optimizer"`
		LR          float64   `json:"lr"`
		Momentum    float64   `json:"momentum"`
		Dampening   float64   `json:"dampening"`
		WeightDecay float64   `json:"weight_decay"`
		Nesterov    bool      `json:"nesterov"`
		Betas       []float64 `json:"betas"`
		Eps         float64   `json:"eps"`
		AMSGrad     bool      `json:"amsgrad"`
		Alpha       float64   `json:"alpha"`
		Centered    bool      `json:"centered"`
		LRDecay     float64   `json:"lr_decay"`
		InitAcc     float64   `json:"initial_accumulator_value"`
	} `json:"config"`
	Shapes map[string][]int `json:"shapes"`
	Runs   map[string]struct {
		Init  map[string][]float64 `json:"init"`
		Steps []struct {
			Grads  map[string][]float64 `json:"grads"`
			Params map[string][]float64 `json:"params"`
		} `json:"steps"`
	} `json:"runs"`
}

// optimizerConfig returns the gradflow config equal to the fixture's torch.optim
// arguments.
func (f *optimFixture) optimizerConfig() (optim.Config, error) {
	c := f.Config
	var b1, b2 float64
	if len(c.Betas) == 2 {
		b1, b2 = c.Betas[0], c.Betas[1]
	}
	switch c.Optimizer {
	case "sgd":
		return optim.SGD{LR: c.LR, Momentum: c.Momentum, Dampening: c.Dampening, WeightDecay: c.WeightDecay, Nesterov: c.Nesterov}, nil
	case "adam":
		return optim.Adam{LR: c.LR, Beta1: b1, Beta2: b2, Eps: c.Eps, WeightDecay: c.WeightDecay, AMSGrad: c.AMSGrad}, nil
	case "adamw":
		return optim.AdamW{LR: c.LR, Beta1: b1, Beta2: b2, Eps: c.Eps, WeightDecay: c.WeightDecay, AMSGrad: c.AMSGrad}, nil
	case "rmsprop":
		return optim.RMSProp{LR: c.LR, Alpha: c.Alpha, Eps: c.Eps, Momentum: c.Momentum, WeightDecay: c.WeightDecay, Centered: c.Centered}, nil
	case "adagrad":
		return optim.Adagrad{LR: c.LR, LRDecay: c.LRDecay, WeightDecay: c.WeightDecay, InitialAccumulator: c.InitAcc, Eps: c.Eps}, nil
	}
	return nil, fmt.Errorf("unknown optimizer %q", c.Optimizer)
}

// TestOptimizerMatchesPyTorch replays PyTorch 1.13 runs of every optimizer
// configuration (testdata/optim/gen.py): each step gets torch's gradient, and the
// parameters must then match torch's. The tolerance is relative to max(1, |want|),
// as parameters pass near zero: 1e-10 in float64, where only the rounding of a few
// operations per step differs, and 1e-5 in float32 (machine epsilon 1.2e-7, over 20
// steps; the float32 fixtures are torch's own float32 runs).
func TestOptimizerMatchesPyTorch(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "optim", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 14 {
		t.Fatalf("found %d fixtures in testdata/optim, want 14; run testdata/optim/gen.py", len(files))
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var f optimFixture
		if err := json.Unmarshal(data, &f); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		cfg, err := f.optimizerConfig()
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, tc := range []struct {
			dtype graph.DType
			run   string
			tol   float64
		}{
			{graph.Float64, "float64", 1e-10},
			{graph.Float32, "float32", 1e-5},
		} {
			name := strings.TrimSuffix(filepath.Base(file), ".json") + "/" + tc.run
			t.Run(name, func(t *testing.T) {
				run, ok := f.Runs[tc.run]
				if !ok || len(run.Steps) == 0 {
					t.Fatalf("fixture has no %s run", tc.run)
				}
				s := graph.NewScope(tc.dtype, graph.Seed(1))
				names := []string{"w", "b"}
				var params []*graph.Param
				for _, n := range names {
					params = append(params, newOptimParam(t, s, n, f.Shapes[n], run.Init[n]))
				}
				opt, err := cfg.NewOptimizer()
				if err != nil {
					t.Fatal(err)
				}
				worst := 0.0
				for step, st := range run.Steps {
					for i, n := range names {
						setOptimGrad(t, params[i], st.Grads[n])
					}
					if err := opt.Step(params); err != nil {
						t.Fatalf("step %d: %v", step+1, err)
					}
					for i, n := range names {
						got, want := optimValues(params[i]), st.Params[n]
						for j := range want {
							e := math.Abs(got[j]-want[j]) / math.Max(1, math.Abs(want[j]))
							worst = max(worst, e)
							if !(e <= tc.tol) {
								t.Fatalf("%v: step %d: %s[%d] = %.17g, want %.17g (torch %s), error %.3g > %g",
									opt, step+1, n, j, got[j], want[j], f.TorchVersion, e, tc.tol)
							}
						}
					}
				}
				t.Logf("%v: %d steps, worst error %.3g", opt, len(run.Steps), worst)
			})
		}
	}
}
