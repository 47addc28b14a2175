package train

import (
	"math"
	"strconv"
	"time"

	"github.com/pkg/errors"
)

// History returns every epoch this Trainer has trained, over all its Fits and, after
// LoadCheckpoint, the epochs of the run the checkpoint was saved from: the whole
// run's curves (plot.History(trainer.History(), path)).
func (t *Trainer) History() *History {
	h := &History{Epochs: append([]EpochMetrics(nil), t.runHistory...)}
	for i := range h.Epochs {
		h.Epochs[i].Extra = cloneExtra(h.Epochs[i].Extra)
	}
	return h
}

func cloneExtra(m map[string]float64) map[string]float64 {
	if m == nil {
		return nil
	}
	out := make(map[string]float64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// epochRecord is an EpochMetrics in a checkpoint. Floats are strings, so that NaN
// (no validation set, regression accuracy) survives JSON.
type epochRecord struct {
	Epoch         int               `json:"epoch"`
	TrainLoss     string            `json:"loss"`
	TrainAccuracy string            `json:"accuracy"`
	ValLoss       string            `json:"val_loss"`
	ValAccuracy   string            `json:"val_accuracy"`
	Samples       int               `json:"samples"`
	Nanos         int64             `json:"nanos"`
	SamplesPerSec string            `json:"samples_per_sec"`
	LR            string            `json:"lr"`
	Step          int               `json:"step"`
	Extra         map[string]string `json:"extra"`
}

func fstr(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func fparse(s, what string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, errors.Errorf("history: %s %q is not a number", what, s)
	}
	return v, nil
}

func recordHistory(h []EpochMetrics) []epochRecord {
	out := make([]epochRecord, len(h))
	for i, em := range h {
		r := epochRecord{Epoch: em.Epoch, TrainLoss: fstr(em.TrainLoss), TrainAccuracy: fstr(em.TrainAccuracy),
			ValLoss: fstr(em.ValLoss), ValAccuracy: fstr(em.ValAccuracy), Samples: em.Samples,
			Nanos: int64(em.Duration), SamplesPerSec: fstr(em.SamplesPerSec), LR: fstr(em.LR), Step: em.Step,
			Extra: map[string]string{}}
		for k, v := range em.Extra {
			r.Extra[k] = fstr(v)
		}
		out[i] = r
	}
	return out
}

// restoreHistory decodes a checkpoint's history, which must hold epochs 1..epoch in
// order with non-decreasing steps up to step.
func restoreHistory(rs []epochRecord, epoch, step int) ([]EpochMetrics, error) {
	if len(rs) != epoch {
		return nil, errors.Errorf("history has %d epochs, the checkpoint is at epoch %d", len(rs), epoch)
	}
	out := make([]EpochMetrics, len(rs))
	last := 0
	for i, r := range rs {
		if r.Epoch != i+1 || r.Step < last || r.Step > step || r.Samples < 0 || r.Nanos < 0 {
			return nil, errors.Errorf("history: epoch record %d (epoch %d, step %d) is out of order", i, r.Epoch, r.Step)
		}
		last = r.Step
		em := EpochMetrics{Epoch: r.Epoch, Samples: r.Samples, Duration: time.Duration(r.Nanos), Step: r.Step}
		var err error
		for _, f := range []struct {
			dst  *float64
			s    string
			name string
		}{{&em.TrainLoss, r.TrainLoss, "loss"}, {&em.TrainAccuracy, r.TrainAccuracy, "accuracy"},
			{&em.ValLoss, r.ValLoss, "val_loss"}, {&em.ValAccuracy, r.ValAccuracy, "val_accuracy"},
			{&em.SamplesPerSec, r.SamplesPerSec, "samples_per_sec"}, {&em.LR, r.LR, "lr"}} {
			if *f.dst, err = fparse(f.s, f.name); err != nil {
				return nil, err
			}
		}
		if len(r.Extra) > 0 {
			em.Extra = map[string]float64{}
			for k, s := range r.Extra {
				if em.Extra[k], err = fparse(s, k); err != nil {
					return nil, err
				}
			}
		}
		if math.IsInf(em.LR, 0) {
			return nil, errors.Errorf("history: epoch %d has an infinite rate", em.Epoch)
		}
		out[i] = em
	}
	return out, nil
}

// fitEnd returns the epoch at which a Fit starting now ends: Config.Epochs more, or,
// for the first Fit after LoadCheckpoint, Config.Epochs in all (the run continues to
// its configured total, Keras's initial_epoch), and nothing more when it is there.
func (t *Trainer) fitEnd() int {
	if t.resumed {
		t.resumed = false
		return max(t.cfg.Epochs, t.epoch)
	}
	return t.epoch + t.cfg.Epochs
}
