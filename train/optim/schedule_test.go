package optim_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gradflow/gradflow/train/optim"
)

// schedFixture is one file written by testdata/optim/gen_sched.py.
type schedFixture struct {
	TorchVersion string  `json:"torch_version"`
	BaseLR       float64 `json:"base_lr"`
	Config       struct {
		Kind           string  `json:"kind"`
		StepSize       int     `json:"step_size"`
		Gamma          float64 `json:"gamma"`
		Milestones     []int   `json:"milestones"`
		TMax           int     `json:"t_max"`
		EtaMin         float64 `json:"eta_min"`
		Warmup         int     `json:"warmup"`
		Total          int     `json:"total"`
		StartFactor    float64 `json:"start_factor"`
		MaxLR          float64 `json:"max_lr"`
		TotalSteps     int     `json:"total_steps"`
		PctStart       float64 `json:"pct_start"`
		Anneal         string  `json:"anneal"`
		DivFactor      float64 `json:"div_factor"`
		FinalDivFactor float64 `json:"final_div_factor"`
		ThreePhase     bool    `json:"three_phase"`
		Mode           string  `json:"mode"`
		Factor         float64 `json:"factor"`
		Patience       int     `json:"patience"`
		Threshold      float64 `json:"threshold"`
		ThresholdMode  string  `json:"threshold_mode"`
		Cooldown       int     `json:"cooldown"`
		MinLR          float64 `json:"min_lr"`
		Eps            float64 `json:"eps"`
	} `json:"config"`
	LRs     []float64 `json:"lrs"`
	Metrics []float64 `json:"metrics"`
}

func (f *schedFixture) schedule() (optim.Schedule, error) {
	c := f.Config
	switch c.Kind {
	case "step":
		return optim.StepLR{StepSize: c.StepSize, Gamma: c.Gamma}, nil
	case "multistep":
		return optim.MultiStepLR{Milestones: c.Milestones, Gamma: c.Gamma}, nil
	case "exponential":
		return optim.ExponentialLR{Gamma: c.Gamma}, nil
	case "cosine":
		return optim.CosineAnnealingLR{TMax: c.TMax, MinLR: c.EtaMin}, nil
	case "warmup_cosine":
		return optim.WarmupCosineLR{WarmupSteps: c.Warmup, TotalSteps: c.Total, StartFactor: c.StartFactor, MinLR: c.EtaMin}, nil
	case "onecycle":
		return optim.OneCycleLR{MaxLR: c.MaxLR, TotalSteps: c.TotalSteps, PctStart: c.PctStart, DivFactor: c.DivFactor,
			FinalDivFactor: c.FinalDivFactor, Linear: c.Anneal == "linear", ThreePhase: c.ThreePhase}, nil
	}
	return nil, fmt.Errorf("unknown schedule %q", c.Kind)
}

// TestScheduleMatchesPyTorch compares every schedule with PyTorch 1.13's scheduler
// for 50 steps (testdata/optim/gen_sched.py). PyTorch computes most rates
// recursively (each from the previous one) and gradflow in closed form, so they
// differ by rounding: the tolerance is 1e-12 relative to the base rate.
func TestScheduleMatchesPyTorch(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "optim", "sched", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 11 {
		t.Fatalf("found %d schedule fixtures, want 11; run testdata/optim/gen_sched.py", len(files))
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".json"), func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var f schedFixture
			if err := json.Unmarshal(raw, &f); err != nil {
				t.Fatal(err)
			}
			if len(f.LRs) != 50 {
				t.Fatalf("fixture has %d rates, want 50", len(f.LRs))
			}
			tol := 1e-12 * f.BaseLR
			if f.Config.Kind == "plateau" {
				c := f.Config
				p := &optim.Plateau{Max: c.Mode == "max", Factor: c.Factor, Patience: c.Patience, Threshold: c.Threshold,
					AbsThreshold: c.ThresholdMode == "abs", Cooldown: c.Cooldown, MinLR: c.MinLR, Eps: c.Eps}
				if c.Patience == 0 {
					p.Patience = -1
				}
				if err := p.Validate(); err != nil {
					t.Fatal(err)
				}
				lr := f.BaseLR
				for k, m := range f.Metrics {
					lr = p.Observe(m, lr)
					if math.Abs(lr-f.LRs[k]) > tol {
						t.Fatalf("after metric %d (%v): lr = %.17g, want %.17g (torch %s)", k, m, lr, f.LRs[k], f.TorchVersion)
					}
				}
				return
			}
			s, err := f.schedule()
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Validate(); err != nil {
				t.Fatal(err)
			}
			for k, want := range f.LRs {
				if got := s.LR(f.BaseLR, k); math.Abs(got-want) > tol {
					t.Fatalf("%v: step %d: lr = %.17g, want %.17g (torch %s)", s, k, got, want, f.TorchVersion)
				}
			}
		})
	}
}

func TestScheduleValidate(t *testing.T) {
	tests := []struct {
		s    optim.Schedule
		want string
	}{
		{optim.StepLR{}, "optim: StepLR: StepSize = 0, want > 0"},
		{optim.StepLR{StepSize: 2, Gamma: 1.5}, "optim: StepLR: Gamma = 1.5, want in (0, 1]"},
		{optim.MultiStepLR{}, "optim: MultiStepLR: no Milestones"},
		{optim.MultiStepLR{Milestones: []int{5, 3}}, "Milestones = [5 3], want increasing values > 0"},
		{optim.ExponentialLR{}, "optim: ExponentialLR: Gamma = 0, want in (0, 1]"},
		{optim.CosineAnnealingLR{}, "optim: CosineAnnealingLR: TMax = 0, want > 0"},
		{optim.CosineAnnealingLR{TMax: 3, MinLR: -1}, "MinLR = -1, want finite >= 0"},
		{optim.WarmupCosineLR{WarmupSteps: 5, TotalSteps: 5}, "want 0 <= WarmupSteps < TotalSteps"},
		{optim.WarmupCosineLR{TotalSteps: 5, StartFactor: 2}, "StartFactor = 2, want in (0, 1]"},
		{optim.OneCycleLR{TotalSteps: 1}, "optim: OneCycleLR: TotalSteps = 1, want > 1"},
		{optim.OneCycleLR{TotalSteps: 10, PctStart: 1}, "PctStart = 1, want in (0, 1)"},
	}
	for _, tc := range tests {
		err := tc.s.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%#v: Validate() = %v, want %q", tc.s, err, tc.want)
		}
	}
	for _, p := range []*optim.Plateau{{Factor: 1}, {Patience: -2}, {MinLR: -1}} {
		if err := p.Validate(); err == nil {
			t.Errorf("%+v: Validate() = nil, want an error", p)
		}
	}
}
