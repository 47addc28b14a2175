package train

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"time"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/train/data"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
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

// Config configures a Trainer. Zero values are the documented defaults.
type Config struct {
	Loss          LossFunc        // required
	Optimizer     OptimizerConfig // default Adam{} (lr 1e-3)
	BatchSize     int             // training batch size; default 32
	EvalBatchSize int             // evaluation batch size; default 1000
	Epochs        int             // default 1
	Seed          uint64          // seeds shuffling and random ops (dropout)
	NoShuffle     bool            // keep the training order (default: reshuffle every epoch)
	Progress      io.Writer       // where progress lines go; nil means os.Stderr
	Quiet         bool            // print nothing
}

// EpochMetrics are the results of one epoch. Accuracies are NaN for regression;
// validation fields are NaN when Fit had no validation set.
type EpochMetrics struct {
	Epoch         int // from 1
	TrainLoss     float64
	TrainAccuracy float64
	ValLoss       float64
	ValAccuracy   float64
	Samples       int           // training examples seen this epoch
	Duration      time.Duration // wall time of the epoch, evaluation included
	SamplesPerSec float64       // training throughput (evaluation excluded)
}

// History is the record of a Fit: one entry per completed epoch.
type History struct {
	Epochs []EpochMetrics
}

// Last returns the last epoch's metrics (the zero value if there is none).
func (h *History) Last() EpochMetrics {
	if h == nil || len(h.Epochs) == 0 {
		return EpochMetrics{}
	}
	return h.Epochs[len(h.Epochs)-1]
}

// Metrics are the results of Evaluate.
type Metrics struct {
	Loss     float64
	Accuracy float64 // NaN for regression
	Samples  int
}

// Trainer fits a Model with an Optimizer. It traces and compiles one graph per batch
// size and mode on first use and reuses it, so a partial last batch or evaluation at
// another batch size needs no rebuild; all graphs share the model's Params.
//
// A Trainer is not safe for concurrent use.
type Trainer struct {
	model    Model
	cfg      Config
	opt      Optimizer
	params   []*graph.Param
	rng      *rand.Rand
	programs map[programKey]*program
	// predictors are the forward-only graphs of Predict, keyed by input shape.
	predictors map[string]*program
	step       int
}

type programKey struct {
	batch int
	mode  graph.Mode
}

// program is one traced and compiled graph with its feed buffers.
type program struct {
	m          *graph.Machine
	x, t, out  *gorgonia.Node
	xbuf, tbuf *tensor.Dense
}

// New returns a Trainer for model. It validates cfg and builds the optimizer.
func New(model Model, cfg Config) (*Trainer, error) {
	if model == nil {
		return nil, errors.New("train: nil model")
	}
	if cfg.Loss == nil {
		return nil, errors.New("train: Config.Loss is nil, want a loss such as nn.SoftmaxCrossEntropy")
	}
	if cfg.BatchSize < 0 || cfg.EvalBatchSize < 0 || cfg.Epochs < 0 {
		return nil, errors.Errorf("train: BatchSize %d, EvalBatchSize %d, Epochs %d: want >= 0 (0 means the default)",
			cfg.BatchSize, cfg.EvalBatchSize, cfg.Epochs)
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
	if cfg.Optimizer == nil {
		cfg.Optimizer = Adam{}
	}
	if cfg.Progress == nil {
		cfg.Progress = os.Stderr
	}
	opt, err := cfg.Optimizer.NewOptimizer()
	if err != nil {
		return nil, errors.Wrap(err, "train")
	}
	params := model.Params()
	if len(params) == 0 {
		return nil, errors.New("train: model has no params")
	}
	seen := map[string]bool{}
	for _, p := range params {
		if seen[p.Name()] {
			return nil, errors.Errorf("train: param %q appears twice in the model", p.Name())
		}
		seen[p.Name()] = true
	}
	return &Trainer{
		model:      model,
		cfg:        cfg,
		opt:        opt,
		params:     params,
		rng:        rand.New(rand.NewPCG(cfg.Seed, 0x5eed5eed)),
		programs:   map[programKey]*program{},
		predictors: map[string]*program{},
	}, nil
}

// Optimizer returns the trainer's optimizer (to read or set its learning rate).
func (t *Trainer) Optimizer() Optimizer { return t.opt }

// Step returns the number of optimizer steps taken so far.
func (t *Trainer) Step() int { return t.step }

// Fit trains for cfg.Epochs epochs over trainSet, evaluating on valSet (which may be
// nil) after each epoch, and prints a progress line per epoch. It stops early with
// ctx's error when ctx is cancelled, returning the history of the completed epochs.
func (t *Trainer) Fit(ctx context.Context, trainSet, valSet *data.Dataset) (*History, error) {
	if trainSet == nil || trainSet.Len() == 0 {
		return nil, errors.New("train: Fit: empty training set")
	}
	hist := &History{}
	for epoch := 1; epoch <= t.cfg.Epochs; epoch++ {
		em, err := t.runEpoch(ctx, epoch, trainSet, valSet)
		if err != nil {
			return hist, err
		}
		hist.Epochs = append(hist.Epochs, em)
		if !t.cfg.Quiet {
			fmt.Fprintln(t.cfg.Progress, formatEpoch(em, t.cfg.Epochs))
		}
	}
	return hist, nil
}

func (t *Trainer) runEpoch(ctx context.Context, epoch int, trainSet, valSet *data.Dataset) (EpochMetrics, error) {
	start := time.Now()
	var rng *rand.Rand
	if !t.cfg.NoShuffle {
		rng = t.rng
	}
	batches, err := data.Batches(trainSet.Len(), t.cfg.BatchSize, rng, false)
	if err != nil {
		return EpochMetrics{}, errors.Wrap(err, "train: Fit")
	}
	var acc accumulator
	for _, idx := range batches {
		if err := ctx.Err(); err != nil {
			return EpochMetrics{}, errors.Wrapf(err, "train: Fit: epoch %d stopped", epoch)
		}
		p, err := t.program(trainSet, len(idx), graph.Train)
		if err != nil {
			return EpochMetrics{}, err
		}
		if err := trainSet.Batch(idx, p.xbuf, p.tbuf); err != nil {
			return EpochMetrics{}, errors.Wrap(err, "train: Fit")
		}
		if err := p.m.Run(graph.Feeds{p.x: p.xbuf, p.t: p.tbuf}); err != nil {
			return EpochMetrics{}, errors.Wrapf(err, "train: step %d", t.step+1)
		}
		loss := p.m.Loss()
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return EpochMetrics{}, errors.Errorf("train: step %d (epoch %d): loss is %v", t.step+1, epoch, loss)
		}
		if err := t.opt.Step(t.params); err != nil {
			return EpochMetrics{}, errors.Wrapf(err, "train: step %d", t.step+1)
		}
		t.step++
		if err := acc.add(p, loss, trainSet.Classes()); err != nil {
			return EpochMetrics{}, err
		}
	}
	trainTime := time.Since(start)
	em := EpochMetrics{
		Epoch:         epoch,
		TrainLoss:     acc.loss(),
		TrainAccuracy: acc.accuracy(),
		ValLoss:       math.NaN(),
		ValAccuracy:   math.NaN(),
		Samples:       acc.n,
		SamplesPerSec: float64(acc.n) / trainTime.Seconds(),
	}
	if valSet != nil {
		vm, err := t.Evaluate(ctx, valSet)
		if err != nil {
			return EpochMetrics{}, err
		}
		em.ValLoss, em.ValAccuracy = vm.Loss, vm.Accuracy
	}
	em.Duration = time.Since(start)
	return em, nil
}

// Evaluate returns the mean loss (and accuracy, for classification) of the model on
// set, in evaluation mode, in batches of cfg.EvalBatchSize. It computes no gradient
// and does not change the model or the training state.
func (t *Trainer) Evaluate(ctx context.Context, set *data.Dataset) (Metrics, error) {
	if set == nil || set.Len() == 0 {
		return Metrics{}, errors.New("train: Evaluate: empty set")
	}
	batches, err := data.Batches(set.Len(), t.cfg.EvalBatchSize, nil, false)
	if err != nil {
		return Metrics{}, errors.Wrap(err, "train: Evaluate")
	}
	var acc accumulator
	for _, idx := range batches {
		if err := ctx.Err(); err != nil {
			return Metrics{}, errors.Wrap(err, "train: Evaluate stopped")
		}
		p, err := t.program(set, len(idx), graph.Eval)
		if err != nil {
			return Metrics{}, err
		}
		if err := set.Batch(idx, p.xbuf, p.tbuf); err != nil {
			return Metrics{}, errors.Wrap(err, "train: Evaluate")
		}
		if err := p.m.Run(graph.Feeds{p.x: p.xbuf, p.t: p.tbuf}); err != nil {
			return Metrics{}, errors.Wrap(err, "train: Evaluate")
		}
		if err := acc.add(p, p.m.Loss(), set.Classes()); err != nil {
			return Metrics{}, err
		}
	}
	return Metrics{Loss: acc.loss(), Accuracy: acc.accuracy(), Samples: acc.n}, nil
}

// program returns the compiled graph for this batch size and mode, tracing the model
// on first use.
func (t *Trainer) program(set *data.Dataset, batch int, mode graph.Mode) (*program, error) {
	key := programKey{batch, mode}
	if p, ok := t.programs[key]; ok {
		return p, nil
	}
	p, err := t.trace(set, batch, mode)
	if err != nil {
		return nil, errors.Wrapf(err, "train: tracing the model (batch %d, %v)", batch, mode)
	}
	t.programs[key] = p
	return p, nil
}

func (t *Trainer) trace(set *data.Dataset, batch int, mode graph.Mode) (*program, error) {
	if set.DType() != t.params[0].DType() {
		return nil, errors.Errorf("data has dtype %v, model has %v", set.DType(), t.params[0].DType())
	}
	g := graph.New(set.DType(), mode, graph.GraphSeed(t.cfg.Seed))
	p := &program{}
	p.xbuf, p.tbuf = set.NewBatch(batch)
	var err error
	if p.x, err = g.Input("x", p.xbuf.Shape()...); err != nil {
		return nil, err
	}
	if p.t, err = g.Input("target", p.tbuf.Shape()...); err != nil {
		return nil, err
	}
	if p.out, err = forward(t.model, g, p.x); err != nil {
		return nil, err
	}
	loss, err := callLoss(t.cfg.Loss, g, p.out, p.t)
	if err != nil {
		return nil, err
	}
	opts := []graph.CompileOption{graph.Loss(loss), graph.Outputs(p.out)}
	if mode == graph.Eval {
		opts = append(opts, graph.ForwardOnly())
	}
	if p.m, err = graph.Compile(g, opts...); err != nil {
		return nil, err
	}
	return p, nil
}

func forward(m Model, g *graph.Graph, x *gorgonia.Node) (out *gorgonia.Node, err error) {
	defer graph.Recover(&err)
	return m.Forward(g, x)
}

func callLoss(l LossFunc, g *graph.Graph, out, target *gorgonia.Node) (loss *gorgonia.Node, err error) {
	defer graph.Recover(&err)
	return l(g, out, target)
}

// accumulator sums losses and correct predictions over batches.
type accumulator struct {
	n, correct int
	lossSum    float64
	classes    bool
}

func (a *accumulator) add(p *program, loss float64, classes int) error {
	bs := p.xbuf.Shape()[0]
	a.n += bs
	a.lossSum += loss * float64(bs)
	if classes == 0 {
		return nil
	}
	a.classes = true
	out, err := p.m.Output(p.out)
	if err != nil {
		return err
	}
	c, err := countCorrect(out, p.tbuf)
	if err != nil {
		return err
	}
	a.correct += c
	return nil
}

func (a *accumulator) loss() float64 { return a.lossSum / float64(a.n) }

func (a *accumulator) accuracy() float64 {
	if !a.classes {
		return math.NaN()
	}
	return float64(a.correct) / float64(a.n)
}

// countCorrect compares the predicted class of each row of out with the labels:
// argmax for (N, C) outputs with C > 1, logit > 0 for (N, 1) or (N) outputs.
func countCorrect(out, labels *tensor.Dense) (int, error) {
	o, l := toFloat64s(out.Data()), toFloat64s(labels.Data())
	n := len(l)
	if n == 0 || len(o)%n != 0 {
		return 0, errors.Errorf("train: accuracy: output shape %v does not fit %d labels", out.Shape(), n)
	}
	c := len(o) / n
	correct := 0
	for i := 0; i < n; i++ {
		row := o[i*c : (i+1)*c]
		pred := 0
		if c == 1 {
			if row[0] > 0 {
				pred = 1
			}
		} else {
			for j, v := range row {
				if v > row[pred] {
					pred = j
				}
			}
		}
		if float64(pred) == l[i] {
			correct++
		}
	}
	return correct, nil
}

func toFloat64s(d any) []float64 {
	switch v := d.(type) {
	case []float64:
		return v
	case []float32:
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = float64(x)
		}
		return out
	}
	return nil
}

func formatEpoch(em EpochMetrics, epochs int) string {
	s := fmt.Sprintf("epoch %d/%d  loss %.4f", em.Epoch, epochs, em.TrainLoss)
	if !math.IsNaN(em.TrainAccuracy) {
		s += fmt.Sprintf("  acc %.2f%%", 100*em.TrainAccuracy)
	}
	if !math.IsNaN(em.ValLoss) {
		s += fmt.Sprintf("  val_loss %.4f", em.ValLoss)
	}
	if !math.IsNaN(em.ValAccuracy) {
		s += fmt.Sprintf("  val_acc %.2f%%", 100*em.ValAccuracy)
	}
	return s + fmt.Sprintf("  %.0f samples/s  %.1fs", em.SamplesPerSec, em.Duration.Seconds())
}
