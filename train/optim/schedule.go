package optim

import (
	"fmt"
	"math"

	"github.com/pkg/errors"
)

// Schedule gives the learning rate as a function of the schedule's step count, in
// closed form. train.Trainer calls LR with the optimizer's configured rate as base and
// step = 0 before training, and again after each epoch (or each optimizer step, with
// train.Config.ScheduleEvery = train.EveryStep), like calling a PyTorch scheduler's
// step(); anyone may call it, and set the rate with Optimizer.SetLR.
//
// The schedules match torch.optim.lr_scheduler (1.13) to rounding:
// testdata/optim/gen_sched.py writes PyTorch's values for 50 steps and
// schedule_test.go compares. ReduceLROnPlateau depends on a metric, not on the step:
// its rule is Plateau, which train.ReduceLROnPlateau, a Callback, drives once per
// epoch.
type Schedule interface {
	// LR returns the learning rate at step (>= 0) for a base rate base.
	LR(base float64, step int) float64
	// Validate returns an error naming the first invalid field.
	Validate() error
	String() string
}

var (
	_ Schedule = StepLR{}
	_ Schedule = MultiStepLR{}
	_ Schedule = ExponentialLR{}
	_ Schedule = CosineAnnealingLR{}
	_ Schedule = WarmupCosineLR{}
	_ Schedule = OneCycleLR{}
)

// StepLR multiplies the rate by Gamma every StepSize steps: base*Gamma^(step/StepSize)
// (PyTorch's StepLR). Gamma 0 means 0.1.
type StepLR struct {
	StepSize int     // > 0
	Gamma    float64 // in (0, 1]; 0 means 0.1
}

func (s StepLR) gamma() float64 { return orDefault(s.Gamma, 0.1) }

func (s StepLR) LR(base float64, step int) float64 {
	return base * math.Pow(s.gamma(), float64(step/s.StepSize))
}

func (s StepLR) Validate() error {
	if s.StepSize <= 0 {
		return errors.Errorf("optim: StepLR: StepSize = %d, want > 0", s.StepSize)
	}
	return checkGamma("StepLR", s.gamma())
}

func (s StepLR) String() string {
	return fmt.Sprintf("StepLR(step_size=%d, gamma=%g)", s.StepSize, s.gamma())
}

// MultiStepLR multiplies the rate by Gamma at each milestone step: base*Gamma^k where
// k counts the milestones <= step (PyTorch's MultiStepLR). Milestones must increase.
// Gamma 0 means 0.1.
type MultiStepLR struct {
	Milestones []int
	Gamma      float64 // in (0, 1]; 0 means 0.1
}

func (s MultiStepLR) LR(base float64, step int) float64 {
	k := 0
	for _, m := range s.Milestones {
		if m <= step {
			k++
		}
	}
	return base * math.Pow(orDefault(s.Gamma, 0.1), float64(k))
}

func (s MultiStepLR) Validate() error {
	if len(s.Milestones) == 0 {
		return errors.New("optim: MultiStepLR: no Milestones")
	}
	for i, m := range s.Milestones {
		if m <= 0 || (i > 0 && m <= s.Milestones[i-1]) {
			return errors.Errorf("optim: MultiStepLR: Milestones = %v, want increasing values > 0", s.Milestones)
		}
	}
	return checkGamma("MultiStepLR", orDefault(s.Gamma, 0.1))
}

func (s MultiStepLR) String() string {
	return fmt.Sprintf("MultiStepLR(milestones=%v, gamma=%g)", s.Milestones, orDefault(s.Gamma, 0.1))
}

// ExponentialLR multiplies the rate by Gamma every step: base*Gamma^step (PyTorch's
// ExponentialLR).
type ExponentialLR struct {
	Gamma float64 // in (0, 1]; required
}

func (s ExponentialLR) LR(base float64, step int) float64 {
	return base * math.Pow(s.Gamma, float64(step))
}

func (s ExponentialLR) Validate() error { return checkGamma("ExponentialLR", s.Gamma) }

func (s ExponentialLR) String() string { return fmt.Sprintf("ExponentialLR(gamma=%g)", s.Gamma) }

// CosineAnnealingLR follows half a cosine from base down to MinLR over TMax steps
// (Loshchilov and Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts",
// ICLR 2017, without restarts):
//
//	MinLR + (base-MinLR) * (1 + cos(pi*step/TMax)) / 2
//
// As in PyTorch's CosineAnnealingLR, the cosine goes on past TMax, so the rate
// climbs back to base at 2*TMax; stop training at TMax to end at MinLR.
type CosineAnnealingLR struct {
	TMax  int     // > 0
	MinLR float64 // >= 0, PyTorch's eta_min
}

func (s CosineAnnealingLR) LR(base float64, step int) float64 {
	return cosineAnneal(base, s.MinLR, float64(step)/float64(s.TMax))
}

func cosineAnneal(base, min, frac float64) float64 {
	return min + (base-min)*(1+math.Cos(math.Pi*frac))/2
}

func (s CosineAnnealingLR) Validate() error {
	if s.TMax <= 0 {
		return errors.Errorf("optim: CosineAnnealingLR: TMax = %d, want > 0", s.TMax)
	}
	return checkMinLR("CosineAnnealingLR", s.MinLR)
}

func (s CosineAnnealingLR) String() string {
	return fmt.Sprintf("CosineAnnealingLR(T_max=%d, eta_min=%g)", s.TMax, s.MinLR)
}

// WarmupCosineLR rises linearly from StartFactor*base to base over WarmupSteps
// steps, then follows a cosine down to MinLR at TotalSteps (Goyal et al., "Accurate,
// Large Minibatch SGD", 2017, for the warm-up). It equals PyTorch's
// SequentialLR([LinearLR(start_factor=StartFactor, total_iters=WarmupSteps),
// CosineAnnealingLR(T_max=TotalSteps-WarmupSteps, eta_min=MinLR)],
// milestones=[WarmupSteps]). StartFactor 0 means 1/3, LinearLR's default.
type WarmupCosineLR struct {
	WarmupSteps int     // >= 0
	TotalSteps  int     // > WarmupSteps
	StartFactor float64 // in (0, 1]; 0 means 1/3
	MinLR       float64 // >= 0
}

func (s WarmupCosineLR) LR(base float64, step int) float64 {
	if step < s.WarmupSteps {
		f := orDefault(s.StartFactor, 1.0/3)
		return base * (f + (1-f)*float64(step)/float64(s.WarmupSteps))
	}
	return cosineAnneal(base, s.MinLR, float64(step-s.WarmupSteps)/float64(s.TotalSteps-s.WarmupSteps))
}

func (s WarmupCosineLR) Validate() error {
	if s.WarmupSteps < 0 || s.TotalSteps <= s.WarmupSteps {
		return errors.Errorf("optim: WarmupCosineLR: WarmupSteps = %d, TotalSteps = %d, want 0 <= WarmupSteps < TotalSteps",
			s.WarmupSteps, s.TotalSteps)
	}
	if f := orDefault(s.StartFactor, 1.0/3); !(f > 0 && f <= 1) {
		return errors.Errorf("optim: WarmupCosineLR: StartFactor = %g, want in (0, 1]", s.StartFactor)
	}
	return checkMinLR("WarmupCosineLR", s.MinLR)
}

func (s WarmupCosineLR) String() string {
	return fmt.Sprintf("WarmupCosineLR(warmup=%d, total=%d, start_factor=%g, eta_min=%g)",
		s.WarmupSteps, s.TotalSteps, orDefault(s.StartFactor, 1.0/3), s.MinLR)
}

// OneCycleLR is the one-cycle policy (Smith and Topin, "Super-Convergence", 2018),
// as PyTorch's OneCycleLR without momentum cycling: the rate rises from
// MaxLR/DivFactor to MaxLR over the first PctStart of TotalSteps, then anneals to
// MaxLR/(DivFactor*FinalDivFactor) at the last step. With ThreePhase it rises, comes
// back down to the start symmetrically, then anneals to the minimum. Annealing is
// cosine, or linear with Linear. Use it with train.Config.ScheduleEvery =
// train.EveryStep and TotalSteps = epochs * batches per epoch. After TotalSteps-1 the
// rate stays at the minimum (PyTorch raises an error).
//
// MaxLR 0 means the optimizer's rate; PctStart 0 means 0.3, DivFactor 0 means 25,
// FinalDivFactor 0 means 1e4, as in PyTorch.
type OneCycleLR struct {
	MaxLR          float64
	TotalSteps     int // > 1
	PctStart       float64
	DivFactor      float64
	FinalDivFactor float64
	Linear         bool
	ThreePhase     bool
}

func (s OneCycleLR) LR(base float64, step int) float64 {
	maxLR := orDefault(s.MaxLR, base)
	pct := orDefault(s.PctStart, 0.3)
	initial := maxLR / orDefault(s.DivFactor, 25)
	minLR := initial / orDefault(s.FinalDivFactor, 1e4)
	type phase struct{ end, start, stop float64 }
	total := float64(s.TotalSteps)
	phases := []phase{{pct*total - 1, initial, maxLR}, {total - 1, maxLR, minLR}}
	if s.ThreePhase {
		phases = []phase{{pct*total - 1, initial, maxLR}, {2*pct*total - 2, maxLR, initial}, {total - 1, initial, minLR}}
	}
	if step > s.TotalSteps-1 {
		step = s.TotalSteps - 1
	}
	x, start := float64(step), 0.0
	for i, ph := range phases {
		if x <= ph.end || i == len(phases)-1 {
			frac := (x - start) / (ph.end - start)
			if s.Linear {
				return (ph.stop-ph.start)*frac + ph.start
			}
			return ph.stop + (ph.start-ph.stop)/2*(math.Cos(math.Pi*frac)+1)
		}
		start = ph.end
	}
	return minLR // unreachable
}

func (s OneCycleLR) Validate() error {
	if s.TotalSteps <= 1 {
		return errors.Errorf("optim: OneCycleLR: TotalSteps = %d, want > 1", s.TotalSteps)
	}
	if s.MaxLR < 0 || math.IsNaN(s.MaxLR) || math.IsInf(s.MaxLR, 0) {
		return errors.Errorf("optim: OneCycleLR: MaxLR = %g, want finite >= 0 (0 means the optimizer's rate)", s.MaxLR)
	}
	if p := orDefault(s.PctStart, 0.3); !(p > 0 && p < 1) {
		return errors.Errorf("optim: OneCycleLR: PctStart = %g, want in (0, 1)", s.PctStart)
	}
	if s.DivFactor < 0 || s.FinalDivFactor < 0 || math.IsNaN(s.DivFactor+s.FinalDivFactor) {
		return errors.Errorf("optim: OneCycleLR: DivFactor = %g, FinalDivFactor = %g, want > 0 (0 means the default)",
			s.DivFactor, s.FinalDivFactor)
	}
	return nil
}

func (s OneCycleLR) String() string {
	anneal := "cos"
	if s.Linear {
		anneal = "linear"
	}
	return fmt.Sprintf("OneCycleLR(max_lr=%g, total_steps=%d, pct_start=%g, anneal_strategy=%s, div_factor=%g, final_div_factor=%g, three_phase=%t)",
		s.MaxLR, s.TotalSteps, orDefault(s.PctStart, 0.3), anneal, orDefault(s.DivFactor, 25), orDefault(s.FinalDivFactor, 1e4), s.ThreePhase)
}

func orDefault(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return v
}

func checkGamma(name string, g float64) error {
	if !(g > 0 && g <= 1) {
		return errors.Errorf("optim: %s: Gamma = %g, want in (0, 1]", name, g)
	}
	return nil
}

func checkMinLR(name string, v float64) error {
	if !(v >= 0) || math.IsInf(v, 0) {
		return errors.Errorf("optim: %s: MinLR = %g, want finite >= 0", name, v)
	}
	return nil
}
