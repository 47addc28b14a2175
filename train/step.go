package train

import (
	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/train/optim"
)

// accumulation holds the gradient sums of Config.Accumulate > 1: one buffer per
// trainable param, allocated on first use, so that accumulating allocates nothing
// per step.
type accumulation struct {
	bufs    map[*graph.Param]*tensor.Dense
	pending int // batches summed since the last step
	samples int // their examples
}

// accumulateAndStep takes the gradients of a batch of n examples. Without
// accumulation it steps the optimizer at once. With it, the gradients are summed
// weighted by n and every Accumulate batches (or at the end of the epoch, flush)
// replaced by their weighted mean, sum(n_i*g_i)/sum(n_i), before one step: for a loss
// that is a mean over the batch, that is the gradient of the mean over all the
// examples, as if they were one large batch.
func (t *Trainer) accumulateAndStep(n int, flush bool) error {
	k := t.cfg.Accumulate
	if k <= 1 {
		if flush {
			return nil
		}
		return t.optimizerStep()
	}
	a := &t.accum
	if !flush {
		if a.bufs == nil {
			a.bufs = map[*graph.Param]*tensor.Dense{}
		}
		for _, p := range t.params {
			if !p.Trainable() || p.Grad() == nil {
				continue
			}
			buf := a.bufs[p]
			if buf == nil {
				buf = tensor.New(tensor.WithShape(p.Grad().Shape()...), tensor.Of(p.DType()))
				a.bufs[p] = buf
			}
			if g := p.GradFloat32s(); g != nil {
				addScaled(buf.Float32s(), g, float32(n), a.pending == 0)
			} else if g := p.GradFloat64s(); g != nil {
				addScaled(buf.Float64s(), g, float64(n), a.pending == 0)
			}
		}
		a.pending++
		a.samples += n
		if a.pending < k {
			return nil
		}
	}
	if a.pending == 0 {
		return nil
	}
	for p, buf := range a.bufs {
		if g := p.GradFloat32s(); g != nil {
			scaleInto(g, buf.Float32s(), 1/float32(a.samples))
		} else if g := p.GradFloat64s(); g != nil {
			scaleInto(g, buf.Float64s(), 1/float64(a.samples))
		}
	}
	a.pending, a.samples = 0, 0
	return t.optimizerStep()
}

// addScaled sets dst = c*src when reset, else adds c*src to dst.
func addScaled[T float](dst, src []T, c T, reset bool) {
	src = src[:len(dst)]
	if reset {
		for i, v := range src {
			dst[i] = c * v
		}
		return
	}
	for i, v := range src {
		dst[i] += c * v
	}
}

func scaleInto[T float](dst, src []T, c T) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = v * c
	}
}

// optimizerStep clips the gradients as configured, steps the optimizer and advances
// a per-step schedule.
func (t *Trainer) optimizerStep() error {
	if t.ddp != nil {
		if err := t.reduceGradients(); err != nil { // ddp_step.go
			return err
		}
	}
	if t.cfg.ClipValue > 0 {
		if err := optim.ClipGradValue(t.params, t.cfg.ClipValue); err != nil {
			return err
		}
	}
	if t.cfg.ClipNorm > 0 {
		if _, err := optim.ClipGradNorm(t.params, t.cfg.ClipNorm); err != nil {
			return err
		}
	}
	if err := t.opt.Step(t.params); err != nil {
		return err
	}
	t.step++
	if t.cfg.ScheduleEvery == EveryStep {
		t.schedStep++
		t.applySchedule()
	}
	return nil
}
