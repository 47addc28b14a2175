package train_test

import (
	"context"
	"math"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/gradflow/gradflow/ops"
	"github.com/gradflow/gradflow/train"
	"github.com/gradflow/gradflow/train/data"
	"github.com/gradflow/gradflow/train/optim"
)

// tagger is a sequence labeller: ids (N, T) -> logits (N, T, C), every step
// classified, with no reshape (Linear works over the last axis).
type tagger struct {
	emb  *nn.Embedding
	lstm *nn.LSTM
	out  *nn.Linear
}

func (m *tagger) Forward(g *graph.Graph, x *gorgonia.Node) (*gorgonia.Node, error) {
	e, err := nn.Forward(m.emb, g, x)
	if err != nil {
		return nil, err
	}
	h, err := nn.Forward(m.lstm, g, e)
	if err != nil {
		return nil, err
	}
	return nn.Forward(m.out, g, h)
}

func (m *tagger) Params() []*graph.Param {
	return append(append(m.emb.Params(), m.lstm.Params()...), m.out.Params()...)
}

// TestSequenceLabelling trains a tagger whose targets are (N, T) labels with padding
// ignored: the loss falls, throughput counts sequences, not N·T rows.
func TestSequenceLabelling(t *testing.T) {
	const n, steps, vocab = 48, 6, 5
	ids := make([]float64, n*steps)
	tags := make([]float64, n*steps)
	for i := range n {
		length := 3 + i%4 // the rest is padding (id 0, tag -100)
		for s := range steps {
			k := i*steps + s
			if s >= length {
				tags[k] = -100
				continue
			}
			ids[k] = float64(1 + (i+s)%(vocab-1))
			tags[k] = float64(int(ids[k]) % 2) // the tag: the token's parity
		}
	}
	set, err := data.NewRegression(tensor.New(tensor.WithShape(n, steps), tensor.WithBacking(ids)),
		tensor.New(tensor.WithShape(n, steps), tensor.WithBacking(tags)))
	if err != nil {
		t.Fatal(err)
	}
	s := graph.NewScope(graph.Float64, graph.Seed(2))
	emb, _ := nn.NewEmbedding(s.Sub("emb"), nn.EmbeddingConfig{Num: vocab, Dim: 8})
	lstm, _ := nn.NewLSTM(s.Sub("lstm"), nn.LSTMConfig{In: 8, Hidden: 12})
	out, _ := nn.NewLinear(s.Sub("out"), nn.LinearConfig{In: 12, Out: 2})
	tr, err := train.New(&tagger{emb, lstm, out}, train.Config{
		Loss:      nn.CrossEntropy(ops.CrossEntropyOptions{}), // -100: PyTorch's ignored label
		Optimizer: optim.Adam{LR: 0.05}, BatchSize: 16, Epochs: 15, Seed: 1, Quiet: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := tr.Fit(context.Background(), set, nil)
	if err != nil {
		t.Fatal(err)
	}
	first, last := h.Epochs[0], h.Last()
	if !(last.TrainLoss < 0.2*first.TrainLoss) || math.IsNaN(last.TrainLoss) {
		t.Errorf("loss %.4f -> %.4f, want it to fall below a fifth", first.TrainLoss, last.TrainLoss)
	}
	if last.Samples != n {
		t.Errorf("an epoch counted %d samples, want %d sequences", last.Samples, n)
	}
}
