package train

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"time"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/train/data"
	"github.com/gradflow/gradflow/train/dist"
	"github.com/gradflow/gradflow/train/optim"
)

// Model is what the Trainer fits: anything with a Forward that builds the model's
// output on a Graph and the list of its Params (every nn.Layer is a Model).
type Model interface {
	Forward(g *graph.Graph, x *gorgonia.Node) (*gorgonia.Node, error)
	Params() []*graph.Param
}

// LossFunc builds the scalar loss from the model's output and the target node
// (nn.MSE, nn.SoftmaxCrossEntropy, nn.BCEWithLogits have this signature). For a
// classification dataset the target is the batch's labels, shape (N); for a regression
// dataset it has the dataset's target shape.
type LossFunc = func(g *graph.Graph, output, target *gorgonia.Node) (*gorgonia.Node, error)

// ScheduleUnit says when Config.Schedule advances.
type ScheduleUnit int

// The units of a schedule's steps.
const (
	EveryEpoch ScheduleUnit = iota // after each epoch, as PyTorch's epoch-wise schedulers
	EveryStep                      // after each optimizer step (warm-up, one-cycle)
)

// Config configures a Trainer. Zero values are the documented defaults.
type Config struct {
	Loss          LossFunc     // required
	Optimizer     optim.Config // default optim.Adam{} (lr 1e-3)
	BatchSize     int          // training batch size; default 32
	EvalBatchSize int          // evaluation batch size; default 1000
	Epochs        int          // epochs per Fit (default 1); the first Fit after LoadCheckpoint trains up to Epochs in all
	Seed          uint64       // seeds shuffling and random ops (dropout)
	NoShuffle     bool         // keep the training order (default: reshuffle every epoch)
	Progress      io.Writer    // where progress goes; nil means os.Stderr
	Quiet         bool         // print nothing (same as ProgressMode = ProgressSilent)
	ProgressMode  ProgressMode // default ProgressAuto: a bar on a terminal, else a line per epoch

	// Schedule sets the learning rate from the optimizer's configured rate; nil
	// keeps it constant. It advances every epoch, or every optimizer step.
	Schedule      optim.Schedule
	ScheduleEvery ScheduleUnit

	ClipValue  float64 // if > 0, clamp each gradient element to [-ClipValue, ClipValue]
	ClipNorm   float64 // if > 0, rescale gradients to a global L2 norm of at most ClipNorm
	Accumulate int     // if > 1, one optimizer step per Accumulate batches (gradient accumulation)

	Metrics   []Metric   // computed on training batches and on the validation set
	Callbacks []Callback // called at train, epoch and batch boundaries, in order

	// Comm, if not nil, makes Fit data-parallel over its ranks, as PyTorch's
	// DistributedDataParallel (docs/distributed.md): every rank trains on its shard
	// of the training set, BatchSize examples a step, and the gradients are averaged.
	Comm dist.Communicator
}

// Trainer fits a Model with an Optimizer. It traces and compiles one graph per batch
// size and mode on first use and reuses it, so a partial last batch or evaluation at
// another batch size needs no rebuild; all graphs share the model's Params.
//
// A Trainer is not safe for concurrent use: a call of Fit, Evaluate, Predict,
// SaveCheckpoint or LoadCheckpoint while another is running on another goroutine
// returns an error (calls from Fit's callbacks, on Fit's goroutine, are allowed).
type Trainer struct {
	model    Model
	cfg      Config
	opt      optim.Optimizer
	baseLR   float64 // the optimizer's configured rate, the base of the schedule
	params   []*graph.Param
	pcg      *rand.PCG // the shuffle generator's state, saved in checkpoints
	rng      *rand.Rand
	programs map[programKey]*program
	// predictors are the forward-only graphs of Predict, keyed by input shape.
	predictors map[string]*program
	step       int // optimizer steps taken
	epoch      int // epochs completed
	schedStep  int // schedule steps taken
	accum      accumulation
	probe      *reluProbe
	guard      useGuard
	ddp        *ddpState      // data parallelism (Config.Comm); nil trains alone
	runHistory []EpochMetrics // every epoch trained (and loaded), for History and checkpoints
	resumed    bool           // LoadCheckpoint ran: the next Fit trains to Config.Epochs in all
}

type programKey struct {
	batch  int
	mode   graph.Mode
	shapes string // feature and target shapes and dtype of the source
}

// program is one traced and compiled graph.
type program struct {
	m         *graph.Machine
	x, t, out *gorgonia.Node
	relus     []reluNode // ReLU outputs, for the dead-unit probe only
}

// New returns a Trainer for model. It validates cfg and builds the optimizer.
func New(model Model, cfg Config) (*Trainer, error) {
	if model == nil {
		return nil, errors.New("train: nil model")
	}
	if cfg.Loss == nil {
		return nil, errors.New("train: Config.Loss is nil, want a loss such as nn.SoftmaxCrossEntropy")
	}
	if cfg.BatchSize < 0 || cfg.EvalBatchSize < 0 || cfg.Epochs < 0 || cfg.Accumulate < 0 {
		return nil, errors.Errorf("train: BatchSize %d, EvalBatchSize %d, Epochs %d, Accumulate %d: want >= 0 (0 means the default)",
			cfg.BatchSize, cfg.EvalBatchSize, cfg.Epochs, cfg.Accumulate)
	}
	if !(cfg.ClipValue >= 0) || !(cfg.ClipNorm >= 0) || math.IsInf(cfg.ClipValue+cfg.ClipNorm, 0) {
		return nil, errors.Errorf("train: ClipValue %g, ClipNorm %g: want finite >= 0 (0 means no clipping)", cfg.ClipValue, cfg.ClipNorm)
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = 32
	}
	if cfg.EvalBatchSize == 0 {
		cfg.EvalBatchSize = 1000
	}
	if cfg.Epochs == 0 {
		cfg.Epochs = 1
	}
	if cfg.Accumulate == 0 {
		cfg.Accumulate = 1
	}
	if cfg.Optimizer == nil {
		cfg.Optimizer = optim.Adam{}
	}
	if cfg.Progress == nil {
		cfg.Progress = os.Stderr
	}
	if cfg.Schedule != nil {
		if err := cfg.Schedule.Validate(); err != nil {
			return nil, err
		}
	}
	for i, m := range cfg.Metrics {
		if m == nil {
			return nil, errors.Errorf("train: Config.Metrics[%d] is nil", i)
		}
	}
	for i, c := range cfg.Callbacks {
		if c == nil {
			return nil, errors.Errorf("train: Config.Callbacks[%d] is nil", i)
		}
	}
	opt, err := cfg.Optimizer.NewOptimizer()
	if err != nil {
		return nil, errors.Wrap(err, "train")
	}
	if err := checkMonitors(cfg); err != nil {
		return nil, err
	}
	params := model.Params()
	if err := checkModelParams(model, params); err != nil {
		return nil, err
	}
	optim.AssignGroups(opt, params)
	pcg := rand.NewPCG(cfg.Seed, 0x5eed5eed)
	t := &Trainer{
		model:      model,
		cfg:        cfg,
		opt:        opt,
		baseLR:     opt.LR(),
		params:     params,
		pcg:        pcg,
		rng:        rand.New(pcg),
		programs:   map[programKey]*program{},
		predictors: map[string]*program{},
	}
	if err := t.setupDDP(); err != nil {
		return nil, err
	}
	return t, nil
}

// Optimizer returns the trainer's optimizer (to read or set its learning rate).
func (t *Trainer) Optimizer() optim.Optimizer { return t.opt }

// Step returns the number of optimizer steps taken so far.
func (t *Trainer) Step() int { return t.step }

// Epoch returns the number of epochs completed so far (restored by LoadCheckpoint).
func (t *Trainer) Epoch() int { return t.epoch }

// Params returns the model's params, in the model's order.
func (t *Trainer) Params() []*graph.Param { return append([]*graph.Param(nil), t.params...) }

// Config returns the trainer's configuration with defaults filled in.
func (t *Trainer) Config() Config { return t.cfg }

// Fit trains for cfg.Epochs more epochs over trainSet, evaluating on valSet (which
// may be nil) after each epoch; the first Fit after LoadCheckpoint goes on from where
// the checkpoint was saved up to cfg.Epochs in all. It reports progress (see ProgressMode) and calls the
// callbacks. It stops early, with no error, when a callback asks (History.Stopped
// says why), and with ctx's error when ctx is cancelled, returning the history of
// the completed epochs.
//
// Before each optimizer step, a NaN or infinite loss or gradient stops training with
// an error naming the step and the first param whose gradient is not finite.
func (t *Trainer) Fit(ctx context.Context, trainSet, valSet data.Source) (*History, error) {
	if t.ddp != nil && !t.ddp.inFit && !isNilSource(trainSet) && trainSet.Len() > 0 {
		// ddp.go: agrees with the other ranks, shards trainSet and calls Fit again,
		// which takes the concurrent-use guard.
		return t.fitDDP(ctx, trainSet, valSet)
	}
	done, err := t.guard.enter("Fit")
	if err != nil {
		return nil, err
	}
	defer done()
	if isNilSource(trainSet) || trainSet.Len() == 0 {
		return nil, errors.New("train: Fit: empty training set")
	}
	if isNilSource(valSet) {
		valSet = nil
	}
	hist := &History{}
	last := t.fitEnd()
	// Callbacks see the sources as given; the epochs read them through Checked,
	// which turns a source that yields fewer (or more) examples than its Len, or
	// batches of other shapes, into an error instead of an epoch of nothing.
	st := &Status{Trainer: t, Epochs: last, History: hist, Batches: batchCount(trainSet.Len(), t.cfg.BatchSize),
		TrainSet: trainSet, ValSet: valSet}
	trainSet = data.Checked(trainSet)
	if valSet != nil {
		valSet = data.Checked(valSet)
	}
	t.applySchedule()
	prog := newProgress(t.cfg)
	if err := t.callbacks(ctx, "train begin", Callback.OnTrainBegin, st); err != nil {
		return hist, err
	}
	for t.epoch < last {
		st.Epoch, st.Batch = t.epoch+1, 0
		if err := t.callbacks(ctx, "epoch begin", Callback.OnEpochBegin, st); err != nil {
			return hist, err
		}
		em, err := t.runEpoch(ctx, st, prog, trainSet, valSet)
		if err != nil {
			prog.abort()
			return hist, err
		}
		t.epoch++
		if t.cfg.ScheduleEvery == EveryEpoch {
			t.schedStep++
			t.applySchedule()
		}
		hist.Epochs = append(hist.Epochs, em)
		t.runHistory = append(t.runHistory, em)
		st.Metrics = em
		prog.epochEnd(em, last)
		if err := t.callbacks(ctx, "epoch end", Callback.OnEpochEnd, st); err != nil {
			return hist, err
		}
		if t.ddp != nil {
			if err := t.agree(st); err != nil {
				return hist, err
			}
		}
		if st.stop != "" {
			hist.Stopped = st.stop
			break
		}
	}
	if err := t.callbacks(ctx, "train end", Callback.OnTrainEnd, st); err != nil {
		return hist, err
	}
	return hist, nil
}

func (t *Trainer) callbacks(ctx context.Context, hook string, fn func(Callback, *Status) error, st *Status) error {
	st.ctx = ctx
	for i, c := range t.cfg.Callbacks {
		if t.skipCallback(c) {
			continue
		}
		if err := fn(c, st); err != nil {
			return errors.Wrapf(err, "train: callback %d (%T) at %s", i, c, hook)
		}
	}
	return nil
}

// applySchedule sets the optimizer's rate from the schedule's current step.
func (t *Trainer) applySchedule() {
	if t.cfg.Schedule != nil {
		t.opt.SetLR(t.cfg.Schedule.LR(t.baseLR, t.schedStep))
	}
}

func batchCount(n, bs int) int { return (n + bs - 1) / bs }

func isNilSource(s data.Source) bool {
	if s == nil {
		return true
	}
	d, ok := s.(*data.Dataset)
	return ok && d == nil
}

func (t *Trainer) runEpoch(ctx context.Context, st *Status, prog *progress, trainSet, valSet data.Source) (EpochMetrics, error) {
	start := time.Now()
	var rng *rand.Rand
	if !t.cfg.NoShuffle {
		rng = t.rng
	}
	key, err := sourceKey(trainSet)
	if err != nil {
		return EpochMetrics{}, errors.Wrap(err, "train: Fit")
	}
	metrics := freshMetrics(t.cfg.Metrics)
	var acc accumulator
	prog.epochBegin(st.Epoch, st.Epochs, st.Batches)
	for b, err := range trainSet.Stream(t.cfg.BatchSize, rng) {
		if err != nil {
			return EpochMetrics{}, errors.Wrapf(err, "train: Fit: epoch %d", st.Epoch)
		}
		if err := ctx.Err(); err != nil {
			return EpochMetrics{}, errors.Wrapf(err, "train: Fit: epoch %d stopped", st.Epoch)
		}
		n := b.X.Shape()[0]
		p, err := t.program(trainSet, key, n, graph.Train)
		if err != nil {
			return EpochMetrics{}, err
		}
		where := func() string {
			return fmt.Sprintf("train: step %d (epoch %d, batch %d)", t.step+1, st.Epoch, st.Batch+1)
		}
		if err := p.m.Run(graph.Feeds{p.x: b.X, p.t: b.T}); err != nil {
			return EpochMetrics{}, errors.Wrap(err, where())
		}
		loss := p.m.Loss()
		if t.ddp != nil { // the ranks check together, after averaging (ddp_step.go)
			t.ddp.badLoss = t.ddp.badLoss || !finite(loss)
		} else if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return EpochMetrics{}, errors.Errorf("%s: loss is %v", where(), loss)
		} else if err := checkFiniteGrads(t.params); err != nil {
			return EpochMetrics{}, errors.Wrap(err, where())
		}
		out, err := p.m.Output(p.out)
		if err != nil {
			return EpochMetrics{}, err
		}
		if err := acc.add(out, b.T, loss, trainSet.Classes()); err != nil {
			return EpochMetrics{}, err
		}
		if err := updateMetrics(metrics, out, b.T); err != nil {
			return EpochMetrics{}, err
		}
		if err := t.accumulateAndStep(n, false); err != nil {
			return EpochMetrics{}, errors.Wrap(err, where())
		}
		st.Batch++
		st.Step, st.BatchLoss, st.BatchSize = t.step, loss, n
		prog.batchEnd(st, acc.loss(), acc.n)
		if err := t.callbacks(ctx, "batch end", Callback.OnBatchEnd, st); err != nil {
			return EpochMetrics{}, err
		}
		if t.ddp != nil {
			if err := t.agree(st); err != nil {
				return EpochMetrics{}, err
			}
		}
		if st.stop != "" {
			break
		}
	}
	if err := t.accumulateAndStep(0, true); err != nil {
		return EpochMetrics{}, errors.Wrapf(err, "train: step %d (epoch %d, end)", t.step+1, st.Epoch)
	}
	trainTime := time.Since(start)
	em := EpochMetrics{
		Epoch:         st.Epoch,
		TrainLoss:     acc.loss(),
		TrainAccuracy: acc.accuracy(),
		ValLoss:       math.NaN(),
		ValAccuracy:   math.NaN(),
		Samples:       acc.n,
		SamplesPerSec: float64(acc.n) / trainTime.Seconds(),
		LR:            t.opt.LR(),
		Step:          t.step,
	}
	if len(metrics) > 0 {
		em.Extra = map[string]float64{}
		for _, m := range metrics {
			em.Extra[m.Name()] = m.Value()
		}
	}
	if t.ddp != nil {
		if err := t.reduceTrainMetrics(&em, acc, start); err != nil {
			return EpochMetrics{}, err
		}
	}
	if valSet != nil {
		vm, err := t.evaluate(ctx, valSet)
		if err != nil {
			return EpochMetrics{}, err
		}
		em.ValLoss, em.ValAccuracy = vm.Loss, vm.Accuracy
		for k, v := range vm.Extra {
			em.Extra["val_"+k] = v
		}
	}
	em.Duration = time.Since(start)
	return em, nil
}
