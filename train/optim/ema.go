package optim

import (
	"math"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/graph"
)

// EMAConfig configures an exponential moving average of weights.
type EMAConfig struct {
	// Decay is the weight of the old average, in [0, 1): after each Update,
	// average = Decay*average + (1-Decay)*value. 0 means 0.999, timm's and Keras's
	// usual choice (an average over roughly the last 1/(1-Decay) = 1000 steps).
	Decay float64
	// Warmup lowers the decay at the start, to min(Decay, (1+n)/(10+n)) at the n-th
	// update (TensorFlow's ExponentialMovingAverage with num_updates, timm's warm-up),
	// so the average is not dominated by the initial weights in a short run.
	Warmup bool
	// TrainableOnly averages only trainable params; by default every param is
	// averaged, BatchNorm's running statistics (State params) included, as timm's
	// ModelEmaV2 averages buffers too.
	TrainableOnly bool
}

// EMA keeps an exponential moving average of parameter values, the "EMA weights"
// that timm's ModelEmaV2 and Keras's use_ema offer: averaged weights often evaluate
// better than the last ones. Update folds the current values in (after each
// optimizer step); Swap exchanges the params' values with the averages, to evaluate
// or save the averaged model, and swaps back when called again. The averages are
// kept in each param's own dtype and computed in it, element by element in a fixed
// order, so the same run gives the same bits.
//
// train.EMACallback updates it after every optimizer step of a Trainer.
type EMA struct {
	cfg     EMAConfig
	params  []*graph.Param
	shadow  []*tensor.Dense
	updates int
	swapped bool
}

// NewEMA starts an average of params, initialised to their current values.
func NewEMA(params []*graph.Param, cfg EMAConfig) (*EMA, error) {
	if cfg.Decay == 0 {
		cfg.Decay = 0.999
	}
	if math.IsNaN(cfg.Decay) || cfg.Decay < 0 || cfg.Decay >= 1 {
		return nil, errors.Errorf("optim: EMA decay %v: want a value in [0, 1)", cfg.Decay)
	}
	e := &EMA{cfg: cfg}
	seen := map[string]bool{}
	for i, p := range params {
		if p == nil {
			return nil, errors.Errorf("optim: EMA: params[%d] is nil", i)
		}
		if seen[p.Name()] {
			return nil, errors.Errorf("optim: EMA: param %q given twice", p.Name())
		}
		seen[p.Name()] = true
		if cfg.TrainableOnly && !p.Trainable() {
			continue
		}
		v := p.Value()
		switch v.Dtype() {
		case tensor.Float32, tensor.Float64:
		default:
			return nil, errors.Errorf("optim: EMA: param %q has dtype %v; want float32 or float64", p.Name(), v.Dtype())
		}
		e.params = append(e.params, p)
		e.shadow = append(e.shadow, v.Clone().(*tensor.Dense))
	}
	return e, nil
}

// Decay returns the decay the next Update uses.
func (e *EMA) Decay() float64 {
	d := e.cfg.Decay
	if e.cfg.Warmup {
		n := float64(e.updates + 1)
		d = math.Min(d, (1+n)/(10+n))
	}
	return d
}

// Updates returns how many times Update has run.
func (e *EMA) Updates() int { return e.updates }

// Update folds the params' current values into the averages. It fails while the
// averages are swapped in (Swap), since the params then hold the averages.
func (e *EMA) Update() error {
	if e.swapped {
		return errors.New("optim: EMA.Update while the averages are swapped into the params; call Swap again first")
	}
	d := e.Decay()
	for i, p := range e.params {
		switch s := e.shadow[i].Data().(type) {
		case []float32:
			emaStep(s, p.Value().Data().([]float32), float32(d))
		case []float64:
			emaStep(s, p.Value().Data().([]float64), d)
		}
	}
	e.updates++
	return nil
}

func emaStep[T float32 | float64](avg, v []T, d T) {
	v = v[:len(avg)]
	keep := 1 - d
	for i := range avg {
		avg[i] = d*avg[i] + keep*v[i]
	}
}

// Swap exchanges every param's value with its average, in place: call it to
// evaluate, predict or save with the averaged weights, and again to go back to
// training. Swapped reports which are in the params.
func (e *EMA) Swap() {
	for i, p := range e.params {
		switch s := e.shadow[i].Data().(type) {
		case []float32:
			swapSlices(s, p.Value().Data().([]float32))
		case []float64:
			swapSlices(s, p.Value().Data().([]float64))
		}
	}
	e.swapped = !e.swapped
}

// Swapped reports whether the params hold the averages (an odd number of Swaps).
func (e *EMA) Swapped() bool { return e.swapped }

func swapSlices[T float32 | float64](a, b []T) {
	b = b[:len(a)]
	for i := range a {
		a[i], b[i] = b[i], a[i]
	}
}

// Averages returns the averages by param name (while swapped, the params' training
// values). The tensors are the EMA's own: copy them to keep them past the next
// Update. graph.WriteTensors saves them.
func (e *EMA) Averages() map[string]*tensor.Dense {
	m := make(map[string]*tensor.Dense, len(e.params))
	for i, p := range e.params {
		m[p.Name()] = e.shadow[i]
	}
	return m
}

// SetAverages restores averages saved from Averages (for example from a checkpoint
// written beside the trainer's) and the update count; every averaged param must be
// present with its shape and dtype.
func (e *EMA) SetAverages(avg map[string]*tensor.Dense, updates int) error {
	if updates < 0 {
		return errors.Errorf("optim: EMA.SetAverages: updates %d < 0", updates)
	}
	for i, p := range e.params {
		t, ok := avg[p.Name()]
		if !ok {
			return errors.Errorf("optim: EMA.SetAverages: no average for param %q", p.Name())
		}
		if t.Dtype() != e.shadow[i].Dtype() || !t.Shape().Eq(e.shadow[i].Shape()) {
			return errors.Errorf("optim: EMA.SetAverages: param %q: got %v %v, want %v %v",
				p.Name(), t.Dtype(), t.Shape(), e.shadow[i].Dtype(), e.shadow[i].Shape())
		}
	}
	if len(avg) != len(e.params) {
		return errors.Errorf("optim: EMA.SetAverages: %d averages for %d params", len(avg), len(e.params))
	}
	for i, p := range e.params {
		if err := tensor.Copy(e.shadow[i], avg[p.Name()]); err != nil {
			return errors.Wrapf(err, "optim: EMA.SetAverages: param %q", p.Name())
		}
	}
	e.updates = updates
	return nil
}
