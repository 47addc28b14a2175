package train

import (
	"github.com/pkg/errors"

	"github.com/gradflow/gradflow/train/optim"
)

// EMACallback updates an exponential moving average of the weights (optim.EMA)
// after every optimizer step of a Fit, as timm's ModelEmaV2 or Keras's use_ema do:
//
//	ema, err := optim.NewEMA(model.Params(), optim.EMAConfig{Decay: 0.999})
//	trainer, err := train.New(model, train.Config{..., Callbacks: []train.Callback{&train.EMACallback{EMA: ema}}})
//	_, err = trainer.Fit(ctx, trainSet, valSet)
//	ema.Swap() // the model now holds the averaged weights
//	m, err := trainer.Evaluate(ctx, testSet)
//
// With gradient accumulation the average moves once per optimizer step, not per
// batch.
type EMACallback struct {
	NopCallback
	EMA  *optim.EMA
	last int // the trainer's step at the last update
	ok   bool
}

// OnTrainBegin checks the callback and remembers the step Fit starts from.
func (c *EMACallback) OnTrainBegin(s *Status) error {
	if c.EMA == nil {
		return errors.New("train: EMACallback with a nil EMA")
	}
	if c.EMA.Swapped() {
		return errors.New("train: EMACallback: the EMA's averages are swapped into the params; call Swap before training")
	}
	c.last, c.ok = s.Step, true
	return nil
}

// OnBatchEnd folds the weights into the average when the batch took an optimizer step.
func (c *EMACallback) OnBatchEnd(s *Status) error {
	if !c.ok || s.Step == c.last {
		return nil
	}
	c.last = s.Step
	return errors.Wrap(c.EMA.Update(), "train: EMACallback")
}
