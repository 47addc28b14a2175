package train

import (
	"context"
	"fmt"
	"math"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/gradflow/gradflow/train/data"
)

// Evaluate returns the mean loss (and accuracy, for classification, and the values
// of Config.Metrics) of the model on set, in evaluation mode, in batches of
// cfg.EvalBatchSize. It computes no gradient and does not change the model or the
// training state.
func (t *Trainer) Evaluate(ctx context.Context, set data.Source) (Metrics, error) {
	done, err := t.guard.enter("Evaluate")
	if err != nil {
		return Metrics{}, err
	}
	defer done()
	if t.ddp != nil {
		return t.evaluateDDP(ctx, set) // ddp_eval.go: this rank's shard, reduced
	}
	if isNilSource(set) || set.Len() == 0 {
		return Metrics{}, errors.New("train: Evaluate: empty set")
	}
	return t.evaluate(ctx, data.Checked(set))
}

// evaluate is Evaluate for Fit, which holds the guard and has checked set.
func (t *Trainer) evaluate(ctx context.Context, set data.Source) (Metrics, error) {
	key, err := sourceKey(set)
	if err != nil {
		return Metrics{}, errors.Wrap(err, "train: Evaluate")
	}
	metrics := freshMetrics(t.cfg.Metrics)
	var acc accumulator
	for b, err := range set.Stream(t.cfg.EvalBatchSize, nil) {
		if err != nil {
			return Metrics{}, errors.Wrap(err, "train: Evaluate")
		}
		if err := ctx.Err(); err != nil {
			return Metrics{}, errors.Wrap(err, "train: Evaluate stopped")
		}
		p, err := t.program(set, key, b.X.Shape()[0], graph.Eval)
		if err != nil {
			return Metrics{}, err
		}
		if err := p.m.Run(graph.Feeds{p.x: b.X, p.t: b.T}); err != nil {
			return Metrics{}, errors.Wrap(err, "train: Evaluate")
		}
		out, err := p.m.Output(p.out)
		if err != nil {
			return Metrics{}, err
		}
		if err := acc.add(out, b.T, p.m.Loss(), set.Classes()); err != nil {
			return Metrics{}, err
		}
		if err := updateMetrics(metrics, out, b.T); err != nil {
			return Metrics{}, err
		}
	}
	res := Metrics{Loss: acc.loss(), Accuracy: acc.accuracy(), Samples: acc.n, Computed: metrics}
	if len(metrics) > 0 {
		res.Extra = map[string]float64{}
		for _, m := range metrics {
			res.Extra[m.Name()] = m.Value()
		}
	}
	return res, nil
}

// sourceKey identifies the shapes and dtype of a source's batches.
func sourceKey(s data.Source) (string, error) {
	dt := s.DType()
	if dt != graph.Float32 && dt != graph.Float64 {
		return "", errors.Errorf("data has dtype %v, want float32 or float64", dt)
	}
	return fmt.Sprint(s.FeatureShape(), s.TargetShape(), dt), nil
}

// program returns the compiled graph for this source, batch size and mode, tracing
// the model on first use.
func (t *Trainer) program(set data.Source, key string, batch int, mode graph.Mode) (*program, error) {
	k := programKey{batch, mode, key}
	if p, ok := t.programs[k]; ok {
		return p, nil
	}
	p, err := t.trace(set, batch, mode, false)
	if err != nil {
		return nil, errors.Wrapf(err, "train: tracing the model (batch %d, %v)", batch, mode)
	}
	t.programs[k] = p
	return p, nil
}

// trace builds and compiles the model's graph for batches of set; withReLUs adds the
// ReLU activations as outputs (the health monitor's probe).
func (t *Trainer) trace(set data.Source, batch int, mode graph.Mode, withReLUs bool) (*program, error) {
	if set.DType() != t.params[0].DType() {
		return nil, errors.Errorf("data has dtype %v, model has %v", set.DType(), t.params[0].DType())
	}
	g := graph.New(set.DType(), mode, graph.GraphSeed(t.cfg.Seed))
	p := &program{}
	var err error
	if p.x, err = g.Input("x", append([]int{batch}, set.FeatureShape()...)...); err != nil {
		return nil, err
	}
	if p.t, err = g.Input("target", append([]int{batch}, set.TargetShape()...)...); err != nil {
		return nil, err
	}
	if p.out, err = nn.Forward(t.model, g, p.x); err != nil { // a panic becomes an error naming the layer
		return nil, err
	}
	if err := checkOutputWidth(t.model, set, p.out); err != nil {
		return nil, err
	}
	loss, err := callLoss(t.cfg.Loss, g, p.out, p.t)
	if err != nil {
		return nil, err
	}
	if loss == nil {
		return nil, errors.Errorf("train: Config.Loss (%s) returned a nil loss node and no error", funcName(t.cfg.Loss))
	}
	opts := []graph.CompileOption{graph.Loss(loss), graph.Outputs(p.out)}
	if mode == graph.Eval {
		opts = append(opts, graph.ForwardOnly())
	}
	if withReLUs {
		p.relus = findReLUs(g)
		for _, r := range p.relus {
			opts = append(opts, graph.Outputs(r.node))
		}
	}
	if p.m, err = graph.Compile(g, opts...); err != nil {
		return nil, err
	}
	return p, nil
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

func (a *accumulator) add(out, target *tensor.Dense, loss float64, classes int) error {
	bs := out.Shape()[0]
	a.n += bs
	a.lossSum += loss * float64(bs)
	if classes == 0 {
		return nil
	}
	a.classes = true
	c, err := countCorrect(out, target)
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

// countCorrect compares the predicted class of each row of out with the target's
// class (see predictedClass and targetClass).
func countCorrect(out, target *tensor.Dense) (int, error) {
	n := out.Shape()[0]
	if err := checkRows(out, target); err != nil {
		return 0, errors.Wrap(err, "train: accuracy")
	}
	correct := 0
	ov, tv := viewOf(out), viewOf(target)
	for i := 0; i < n; i++ {
		if predictedClass(ov, i) == targetClass(tv, i) {
			correct++
		}
	}
	return correct, nil
}
