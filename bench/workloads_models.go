package bench

import (
	"context"
	"math/rand/v2"

	"github.com/gradflow/gradflow/bench/rawgorgonia"
	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/gradflow/gradflow/train"
	"github.com/gradflow/gradflow/train/data"
	"github.com/gradflow/gradflow/train/optim"
	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// mlpSizes are the layer widths of the MLP workloads.
var mlpSizes = []int{784, 512, 256, 10}

// mlpBatch is the MLP workloads' batch size.
const mlpBatch = 128

// Model workloads. Each system trains the same network in its own way; a step is one
// mini-batch: gather it from the shuffled training set, forward, backward, Adam.
//
// The CNN (workloads_cnn.go) and the LSTM and Transformer (workloads_seq.go) register
// the same way: a gradflow Setup built from nn layers, a Gorgonia Setup in rawgorgonia
// where the model can be written with gorgonia alone, and a model in
// reference/worker.py's make().
func init() {
	for _, dt := range []struct {
		name string
		dt   graph.DType
	}{{"f32", graph.Float32}, {"f64", graph.Float64}} {
		MustRegister(Workload{
			Name:        "mlp-" + dt.name,
			Description: "MLP 784-512-256-10 ReLU, MNIST, Adam 1e-3, batch 128, " + dt.dt.String(),
			Samples:     mlpBatch,
			FLOPs:       mlpFLOPs(mlpSizes, mlpBatch),
			Warmup:      20,
			Steps:       200,
			Setup:       mlpGradflow(dt.dt),
			Gorgonia:    mlpGorgonia(dt.dt),
			Reference:   "mlp-" + dt.name,
		})
	}
	MustRegister(Workload{
		Name:        "xor",
		Description: "XOR 2-8-1 tanh, BCE with logits, Adam 0.05, batch 4, float32: per-step overhead",
		Samples:     4,
		FLOPs:       mlpFLOPs([]int{2, 8, 1}, 4),
		Warmup:      200,
		Steps:       2000,
		Setup:       xorGradflow,
		Gorgonia:    xorGorgonia,
		Reference:   "xor",
	})
}

// mlpFLOPs counts the matrix-product FLOPs of a training step of a fully connected
// network: forward x·W, and backward dW for every layer and dx for all but the
// first (the input needs no gradient).
func mlpFLOPs(sizes []int, batch int) float64 {
	var f float64
	for i := 0; i+1 < len(sizes); i++ {
		layer := 2 * float64(batch) * float64(sizes[i]) * float64(sizes[i+1])
		f += 2 * layer
		if i > 0 {
			f += layer
		}
	}
	return f
}

// gradflowModel is a model compiled for training with gradflow's own packages: the
// path the Trainer takes for each batch (Machine.Run, then Optimizer.Step), without
// its per-epoch bookkeeping.
type gradflowModel struct {
	model   *nn.Sequential
	machine *graph.Machine
	opt     optim.Optimizer
	params  []*graph.Param
	feeds   graph.Feeds
}

// newGradflowModel builds a Sequential of items in a fresh scope, traces it on a
// training graph whose inputs have the shapes of xbuf and tbuf (fed by reference), and
// compiles it with the loss; the optimizer is Adam with learning rate lr.
func newGradflowModel(env *Env, dt graph.DType, items []nn.LayerConfig, loss nn.Loss, xbuf, tbuf *tensor.Dense, lr float64) (*gradflowModel, error) {
	s := graph.NewScope(dt, graph.Seed(env.Seed))
	model, err := nn.NewSequential(s.Sub("model"), items...)
	if err != nil {
		return nil, err
	}
	g := graph.New(dt, graph.Train, graph.GraphSeed(env.Seed))
	x, err := g.Input("x", xbuf.Shape()...)
	if err != nil {
		return nil, err
	}
	t, err := g.Input("target", tbuf.Shape()...)
	if err != nil {
		return nil, err
	}
	out, err := nn.Forward(model, g, x)
	if err != nil {
		return nil, err
	}
	l, err := loss(g, out, t)
	if err != nil {
		return nil, err
	}
	m, err := graph.Compile(g, graph.Loss(l))
	if err != nil {
		return nil, err
	}
	opt, err := optim.Adam{LR: lr}.NewOptimizer()
	if err != nil {
		return nil, err
	}
	return &gradflowModel{model: model, machine: m, opt: opt, params: model.Params(),
		feeds: graph.Feeds{x: xbuf, t: tbuf}}, nil
}

// step runs the machine on the current feeds and updates the params.
func (m *gradflowModel) step() error {
	if err := m.machine.Run(m.feeds); err != nil {
		return err
	}
	return m.opt.Step(m.params)
}

// evaluate returns the test metrics through a Trainer's Evaluate, the path users take.
func (m *gradflowModel) evaluate(loss nn.Loss, set *data.Dataset, batch int) (train.Metrics, error) {
	tr, err := train.New(m.model, train.Config{Loss: loss, EvalBatchSize: batch, Quiet: true})
	if err != nil {
		return train.Metrics{}, err
	}
	return tr.Evaluate(context.Background(), set)
}

func mlpItems() []nn.LayerConfig {
	return []nn.LayerConfig{
		nn.LinearConfig{In: mlpSizes[0], Out: mlpSizes[1], Activation: nn.ReLU},
		nn.LinearConfig{In: mlpSizes[1], Out: mlpSizes[2], Activation: nn.ReLU},
		nn.LinearConfig{In: mlpSizes[2], Out: mlpSizes[3]},
	}
}

// mlpGradflow is gradflow's MLP: nn.Sequential of nn.Linear and nn.ReLU, fused softmax
// cross-entropy, optim.Adam, batches gathered with data.Dataset.Batch.
func mlpGradflow(dt graph.DType) Setup {
	return func(env *Env) (*Instance, error) {
		trainSet, testSet, err := env.MNIST(dt)
		if err != nil {
			return nil, err
		}
		xbuf, tbuf := trainSet.NewBatch(mlpBatch)
		m, err := newGradflowModel(env, dt, mlpItems(), nn.SoftmaxCrossEntropy, xbuf, tbuf, 1e-3)
		if err != nil {
			return nil, errors.Wrap(err, "bench: mlp")
		}
		order := newEpochs(trainSet.Len(), mlpBatch, env.Seed)
		return &Instance{
			Step: func() error {
				if err := trainSet.Batch(order.next(), xbuf, tbuf); err != nil {
					return err
				}
				return m.step()
			},
			Check: func() (Quality, error) {
				met, err := m.evaluate(nn.SoftmaxCrossEntropy, testSet, 1000)
				if err != nil {
					return nil, err
				}
				return Quality{"accuracy": met.Accuracy, "loss": m.machine.Loss()}, nil
			},
			Close: m.machine.Close,
		}, nil
	}
}

// mlpGorgonia is the same MLP written with gorgonia alone (package rawgorgonia).
func mlpGorgonia(dt graph.DType) Setup {
	return func(env *Env) (*Instance, error) {
		trainSet, testSet, err := env.MNIST(dt)
		if err != nil {
			return nil, err
		}
		cfg := rawgorgonia.Config{DType: dt, Sizes: mlpSizes, Batch: mlpBatch, LR: 1e-3, Seed: env.Seed,
			Labels: trainSet.Labels()}
		x32, x64 := floats(trainSet.X())
		cfg.X32, cfg.X = x32, x64
		c, err := rawgorgonia.New(cfg)
		if err != nil {
			return nil, err
		}
		tx32, tx64 := floats(testSet.X())
		return &Instance{
			Step: c.Step,
			Check: func() (Quality, error) {
				acc, err := c.Accuracy(tx32, tx64, testSet.Labels(), 1000)
				if err != nil {
					return nil, err
				}
				return Quality{"accuracy": acc, "loss": c.Loss()}, nil
			},
		}, nil
	}
}

// floats returns the backing slice of a float32 or float64 tensor (the other is nil).
func floats(t *tensor.Dense) ([]float32, []float64) {
	if t.Dtype() == tensor.Float32 {
		return t.Float32s(), nil
	}
	return nil, t.Float64s()
}

// xorData is the exclusive-or truth table.
var (
	xorX      = []float32{0, 0, 0, 1, 1, 0, 1, 1}
	xorLabels = []int{0, 1, 1, 0}
)

// xorGradflow is gradflow's XOR network. The batch is the whole table every step, so
// nothing is gathered (as in the other systems).
func xorGradflow(env *Env) (*Instance, error) {
	xbuf := tensor.New(tensor.WithShape(4, 2), tensor.WithBacking(append([]float32(nil), xorX...)))
	tbuf := tensor.New(tensor.WithShape(4, 1), tensor.WithBacking([]float32{0, 1, 1, 0}))
	items := []nn.LayerConfig{nn.LinearConfig{In: 2, Out: 8, Activation: nn.Tanh}, nn.LinearConfig{In: 8, Out: 1}}
	m, err := newGradflowModel(env, graph.Float32, items, nn.BCEWithLogits, xbuf, tbuf, 0.05)
	if err != nil {
		return nil, errors.Wrap(err, "bench: xor")
	}
	return &Instance{
		Step: m.step,
		Check: func() (Quality, error) {
			tr, err := train.New(m.model, train.Config{Loss: nn.BCEWithLogits, Quiet: true})
			if err != nil {
				return nil, err
			}
			logits, err := tr.Predict(xbuf)
			if err != nil {
				return nil, err
			}
			correct := 0
			for i, z := range logits.Float32s() {
				if (z > 0) == (xorLabels[i] == 1) {
					correct++
				}
			}
			return Quality{"accuracy": float64(correct) / 4, "loss": m.machine.Loss()}, nil
		},
		Close: m.machine.Close,
	}, nil
}

// xorGorgonia is the XOR network written with gorgonia alone.
func xorGorgonia(env *Env) (*Instance, error) {
	c, err := rawgorgonia.New(rawgorgonia.Config{DType: tensor.Float32, Sizes: []int{2, 8, 1}, Tanh: true,
		Batch: 4, LR: 0.05, Seed: env.Seed, X32: xorX, Labels: xorLabels})
	if err != nil {
		return nil, err
	}
	return &Instance{
		Step: c.Step,
		Check: func() (Quality, error) {
			acc, err := c.Accuracy(xorX, nil, xorLabels, 4)
			if err != nil {
				return nil, err
			}
			return Quality{"accuracy": acc, "loss": c.Loss()}, nil
		},
	}, nil
}

// epochs yields mini-batches of indices over n examples, reshuffled (seeded) every
// epoch, dropping the partial last batch as the PyTorch reference does.
type epochs struct {
	n, batch int
	rng      *rand.Rand
	batches  [][]int
	pos      int
}

func newEpochs(n, batch int, seed uint64) *epochs {
	return &epochs{n: n, batch: batch, rng: rand.New(rand.NewPCG(seed, 0xe90c))}
}

func (e *epochs) next() []int {
	if e.pos == len(e.batches) {
		e.batches, _ = data.Batches(e.n, e.batch, e.rng, true)
		e.pos = 0
	}
	b := e.batches[e.pos]
	e.pos++
	return b
}
