package bench

import (
	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/gradflow/gradflow/ops"
	"github.com/gradflow/gradflow/train/data"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
)

// Sequence workloads on synthetic data (synth.go): an LSTM text classifier and a
// Transformer encoder block. Neither has a raw gorgonia peer: gorgonia has no LSTM,
// attention, layer norm or GELU, so writing them for rawgorgonia would be a second
// implementation of nn's layers, not gorgonia as its users write it.

// lstmShape is the lstm workload's model and data; tests use smaller ones.
type lstmShape struct {
	Vocab, Embed, Hidden, Seq, Batch int
	Train, Test                      int // synthetic sequences in each set
}

// tfShape is the transformer workload's model and data.
type tfShape struct {
	Embed, Heads, FF, Seq, Batch int
	Train, Test                  int
	Signal                       float64 // class separation of the inputs, see tfInputs
}

var (
	lstmDefault = lstmShape{Vocab: 5000, Embed: 64, Hidden: 128, Seq: 64, Batch: 64, Train: 8192, Test: 1024}
	tfDefault   = tfShape{Embed: 128, Heads: 4, FF: 512, Seq: 64, Batch: 32, Train: 1024, Test: 512, Signal: 0.02}
)

// The default step counts give 8 + 3·80 + 2·2 = 252 Adam steps in a 3-round run, in
// which both tasks are learned (docs/benchmarks.md has the accuracies); a 3-round run
// of cnn, lstm and transformer took 4 minutes on 2 cores at load average 1.2 to 1.6.
func init() {
	MustRegister(Workload{
		Name: "lstm",
		Description: "Embedding(5000, 64), LSTM(64->128) over 64 tokens, last state, Linear(128->2); " +
			"synthetic marker task, Adam 1e-3, batch 64, float32",
		Samples:   lstmDefault.Batch,
		Warmup:    8,
		Steps:     80,
		Setup:     lstmGradflow(lstmDefault),
		Reference: "lstm",
	})
	MustRegister(Workload{
		Name: "transformer",
		Description: "pre-norm Transformer encoder block (128, 4 heads, FF 512, GELU) on (32, 64, 128), " +
			"mean over time, Linear(128->2); synthetic, Adam 1e-3, float32",
		Samples:   tfDefault.Batch,
		Warmup:    8,
		Steps:     80,
		Setup:     tfGradflow(tfDefault),
		Reference: "transformer",
	})
}

// lstmGradflow is gradflow's LSTM classifier: nn.Embedding, nn.LSTM's last hidden
// state, nn.Linear, in an nn.Sequential.
func lstmGradflow(sh lstmShape) Setup {
	return func(env *Env) (*Instance, error) {
		ids, labels := lstmTokens(env.Seed, sh.Train+sh.Test, sh.Seq, sh.Vocab)
		trainSet, testSet, err := splitSets(ids, labels, sh.Train, sh.Seq)
		if err != nil {
			return nil, err
		}
		items := []nn.LayerConfig{
			nn.EmbeddingConfig{Num: sh.Vocab, Dim: sh.Embed},
			lastStateConfig{nn.LSTMConfig{In: sh.Embed, Hidden: sh.Hidden}},
			nn.LinearConfig{In: sh.Hidden, Out: 2},
		}
		return classifierInstance(env, "lstm", items, trainSet, testSet, sh.Batch, 256)
	}
}

// tfGradflow is gradflow's Transformer classifier: nn.TransformerEncoderLayer, the
// mean over the sequence, nn.Linear.
func tfGradflow(sh tfShape) Setup {
	return func(env *Env) (*Instance, error) {
		x, labels := tfInputs(env.Seed, sh.Train+sh.Test, sh.Seq, sh.Embed, sh.Signal)
		trainSet, testSet, err := splitSets(x, labels, sh.Train, sh.Seq, sh.Embed)
		if err != nil {
			return nil, err
		}
		items := []nn.LayerConfig{
			nn.TransformerEncoderLayerConfig{Embed: sh.Embed, Heads: sh.Heads, FF: sh.FF},
			meanOverTime{},
			nn.LinearConfig{In: sh.Embed, Out: 2},
		}
		return classifierInstance(env, "transformer", items, trainSet, testSet, sh.Batch, 128)
	}
}

// classifierInstance trains a float32 Sequential of items on shuffled batches of
// trainSet with softmax cross-entropy and Adam 1e-3, and checks it on testSet with
// evaluation batches of evalBatch.
func classifierInstance(env *Env, name string, items []nn.LayerConfig, trainSet, testSet *data.Dataset, batch, evalBatch int) (*Instance, error) {
	xbuf, tbuf := trainSet.NewBatch(batch)
	m, err := newGradflowModel(env, graph.Float32, items, nn.SoftmaxCrossEntropy, xbuf, tbuf, 1e-3)
	if err != nil {
		return nil, errors.Wrapf(err, "bench: %s", name)
	}
	order := newEpochs(trainSet.Len(), batch, env.Seed)
	return &Instance{
		Step: func() error {
			if err := trainSet.Batch(order.next(), xbuf, tbuf); err != nil {
				return err
			}
			return m.step()
		},
		Check: func() (Quality, error) {
			met, err := m.evaluate(nn.SoftmaxCrossEntropy, testSet, evalBatch)
			if err != nil {
				return nil, err
			}
			return Quality{"accuracy": met.Accuracy, "loss": m.machine.Loss()}, nil
		},
		Close: m.machine.Close,
	}, nil
}

// lastStateConfig builds an nn.LSTM whose output is its last hidden state, (B, Hidden)
// for input (B, T, In): PyTorch's h_n of a one-layer LSTM.
type lastStateConfig struct{ nn.LSTMConfig }

func (c lastStateConfig) Build(s *graph.Scope) (nn.Layer, error) {
	l, err := nn.NewLSTM(s, c.LSTMConfig)
	if err != nil {
		return nil, err
	}
	return lastState{l}, nil
}

type lastState struct{ *nn.LSTM }

func (l lastState) Forward(g *graph.Graph, x *gorgonia.Node) (*gorgonia.Node, error) {
	_, h, _, err := l.Run(g, x, nil, nil)
	return h, err
}

// meanOverTime averages a sequence over its time axis: (B, T, D) -> (B, D). It is
// both its own config and its layer, having no parameters.
type meanOverTime struct{}

func (meanOverTime) Build(*graph.Scope) (nn.Layer, error) { return meanOverTime{}, nil }

func (meanOverTime) Params() []*graph.Param { return nil }

func (meanOverTime) Forward(_ *graph.Graph, x *gorgonia.Node) (out *gorgonia.Node, err error) {
	if x.Dims() != 3 {
		return nil, errors.Errorf("bench: mean over time: input shape %v, want (B, T, D)", x.Shape())
	}
	out, err = ops.Mean(x, 1)
	return out, errors.Wrap(err, "bench: mean over time")
}
