package optim

import (
	"math"

	"github.com/pkg/errors"
)

// Plateau is the rule of PyTorch's ReduceLROnPlateau (1.13), a schedule driven by a
// metric rather than by the step count: it watches the metric and multiplies the
// learning rate by Factor when the metric has not improved for more than Patience
// observations. Zero fields take PyTorch's defaults: Factor 0.1, Patience 10 (write
// -1 for 0), Threshold 1e-4 (relative), Eps 1e-8. train.ReduceLROnPlateau is the
// Callback that feeds it a metric after every epoch; Observe can also be called by
// hand.
type Plateau struct {
	Max           bool    // the metric should increase (accuracy); default: decrease (loss)
	Factor        float64 // in (0, 1); 0 means 0.1
	Patience      int     // observations without improvement tolerated; 0 means 10, -1 means 0
	Threshold     float64 // the least change that counts as an improvement; 0 means 1e-4
	AbsThreshold  bool    // Threshold is absolute; default: relative to the best value
	Cooldown      int     // observations to wait after a reduction before counting again
	MinLR         float64 // the rate never goes below it
	Eps           float64 // a reduction smaller than Eps is skipped; 0 means 1e-8
	best          float64
	bad, cooldown int
	started       bool
}

// PlateauState is the part of a Plateau that changes as it observes; checkpoints
// save it.
type PlateauState struct {
	Best     float64 `json:"best"`
	Bad      int     `json:"num_bad_epochs"`
	Cooldown int     `json:"cooldown_counter"`
	Started  bool    `json:"started"`
}

// State returns the Plateau's state.
func (p *Plateau) State() PlateauState {
	return PlateauState{Best: p.best, Bad: p.bad, Cooldown: p.cooldown, Started: p.started}
}

// SetState restores a state returned by State.
func (p *Plateau) SetState(s PlateauState) {
	p.best, p.bad, p.cooldown, p.started = s.Best, s.Bad, s.Cooldown, s.Started
}

// Validate returns an error naming the first invalid field.
func (p *Plateau) Validate() error {
	if f := orDefault(p.Factor, 0.1); !(f > 0 && f < 1) {
		return errors.Errorf("optim: Plateau: Factor = %g, want in (0, 1)", p.Factor)
	}
	if p.Patience < -1 || p.Cooldown < 0 {
		return errors.Errorf("optim: Plateau: Patience = %d, Cooldown = %d, want >= 0 (Patience -1 means 0)",
			p.Patience, p.Cooldown)
	}
	if !(p.Threshold >= 0) || !(p.MinLR >= 0) || !(p.Eps >= 0) {
		return errors.Errorf("optim: Plateau: Threshold = %g, MinLR = %g, Eps = %g, want >= 0",
			p.Threshold, p.MinLR, p.Eps)
	}
	return nil
}

// Observe records one value of the metric and returns the learning rate to use from
// now on, given the current one.
func (p *Plateau) Observe(metric, lr float64) float64 {
	if !p.started {
		p.best, p.started = math.Inf(1), true
		if p.Max {
			p.best = math.Inf(-1)
		}
	}
	if p.better(metric) {
		p.best, p.bad = metric, 0
	} else {
		p.bad++
	}
	if p.cooldown > 0 {
		p.cooldown--
		p.bad = 0
	}
	patience := p.Patience
	switch patience {
	case 0:
		patience = 10
	case -1:
		patience = 0
	}
	if p.bad > patience {
		next := max(lr*orDefault(p.Factor, 0.1), p.MinLR)
		if lr-next > orDefault(p.Eps, 1e-8) {
			lr = next
		}
		p.cooldown, p.bad = p.Cooldown, 0
	}
	return lr
}

func (p *Plateau) better(a float64) bool {
	th := orDefault(p.Threshold, 1e-4)
	switch {
	case !p.Max && !p.AbsThreshold:
		return a < p.best*(1-th)
	case !p.Max:
		return a < p.best-th
	case !p.AbsThreshold:
		return a > p.best*(th+1)
	}
	return a > p.best+th
}
