// Command sentiment classifies IMDB movie reviews as positive or negative and reports
// its accuracy on the 25,000 test reviews.
//
//	go run ./examples/sentiment
//
// The reviews (the aclImdb data of Maas et al., 2011) come from the Go module
// github.com/cdipaolo/sentiment, which the go command fetches into the module cache on
// first use (a 50 MB download); -data names an aclImdb directory or aclImdb_v1.tar.gz
// instead.
//
// The pipeline: tokenize (lower case, HTML breaks removed, split on non-letters), build
// the vocabulary on the training reviews only (the -vocab most frequent words seen at
// least -mincount times; <pad> = 0, <unk> = 1), encode, pad or truncate every review to
// -len tokens. The model is a convolutional text classifier (Kim, 2014, "Convolutional
// neural networks for sentence classification"):
//
//	Embedding(vocab, -embed) -> Conv1D(-embed -> -filters, kernel -kernel)
//	-> max over time -> ReLU -> Dropout(-dropout) -> Linear(-filters -> 2)
//
// trained with Adam on the softmax cross-entropy.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"runtime/pprof"
	"time"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/gradflow/gradflow/ops"
	"github.com/gradflow/gradflow/train"
	"github.com/gradflow/gradflow/train/data"
	"github.com/gradflow/gradflow/train/data/text"
	"github.com/gradflow/gradflow/train/optim"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

type options struct {
	dataSrc                 string
	vocab, minCount, length int
	embed, filters, kernel  int
	dropout, lr, embedInit  float64
	epochs, batch           int
	seed                    uint64
	limit                   int
	truncateFront           bool
}

func main() {
	var o options
	flag.StringVar(&o.dataSrc, "data", "", "aclImdb directory or aclImdb_v1.tar.gz (default: the github.com/cdipaolo/sentiment Go module)")
	flag.IntVar(&o.vocab, "vocab", 20000, "vocabulary size, <pad> and <unk> included")
	flag.IntVar(&o.minCount, "mincount", 2, "drop words seen fewer times in the training reviews")
	flag.IntVar(&o.length, "len", 400, "tokens per review after padding or truncation")
	flag.BoolVar(&o.truncateFront, "keep-end", false, "truncate long reviews at the front (keep their end)")
	flag.IntVar(&o.embed, "embed", 32, "embedding width")
	flag.Float64Var(&o.embedInit, "embed-init", 0.05, "embeddings start in U(-a, a); 0 means PyTorch's N(0, 1)")
	flag.IntVar(&o.filters, "filters", 64, "convolution filters")
	flag.IntVar(&o.kernel, "kernel", 3, "convolution kernel length (tokens)")
	flag.Float64Var(&o.dropout, "dropout", 0.5, "dropout before the classifier")
	flag.Float64Var(&o.lr, "lr", 1e-3, "Adam learning rate")
	flag.IntVar(&o.epochs, "epochs", 3, "training epochs")
	flag.IntVar(&o.batch, "batch", 64, "mini-batch size")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the weights, the shuffling and dropout")
	flag.IntVar(&o.limit, "limit", 0, "use only this many training and test reviews (0: all; for a quick try)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o); err != nil {
		pprof.StopCPUProfile()
		log.Fatal(err)
	}
}

func run(ctx context.Context, o options) error {
	start := time.Now()
	trainRev, testRev, err := text.LoadIMDB(o.dataSrc)
	if err != nil {
		return err
	}
	if o.limit > 0 {
		trainRev, testRev = every(trainRev, o.limit), every(testRev, o.limit)
	}
	fmt.Printf("IMDB: %d training and %d test reviews (loaded in %.1fs)\n", len(trainRev), len(testRev), time.Since(start).Seconds())

	t0 := time.Now()
	trainTok, testTok := text.TokenizeAll(text.Texts(trainRev)), text.TokenizeAll(text.Texts(testRev))
	vocab, err := text.NewVocab(trainTok, text.VocabConfig{MinCount: o.minCount, MaxSize: o.vocab})
	if err != nil {
		return err
	}
	pad := text.PadOptions{}
	if o.truncateFront {
		pad.Truncate = text.Front
	}
	trainSet, trainCover, err := encode(vocab, trainTok, text.Labels(trainRev), o.length, pad)
	if err != nil {
		return err
	}
	testSet, testCover, err := encode(vocab, testTok, text.Labels(testRev), o.length, pad)
	if err != nil {
		return err
	}
	fmt.Printf("vocabulary: %d words from the training reviews; known words: %.1f%% of training tokens, %.1f%% of test tokens; "+
		"%d tokens per review (prepared in %.1fs)\n", vocab.Len(), 100*trainCover, 100*testCover, o.length, time.Since(t0).Seconds())

	s := graph.NewScope(graph.Float32, graph.Seed(o.seed))
	model, err := newModel(s.Sub("sentiment"), vocab.Len(), o)
	if err != nil {
		return err
	}
	fmt.Print(graph.Summary(model.Params()))

	trainer, err := train.New(model, train.Config{
		Loss:          nn.SoftmaxCrossEntropy,
		Optimizer:     optim.Adam{LR: o.lr},
		BatchSize:     o.batch,
		EvalBatchSize: 500,
		Epochs:        o.epochs,
		Seed:          o.seed,
		Progress:      os.Stdout,
	})
	if err != nil {
		return err
	}
	t1 := time.Now()
	if _, err := trainer.Fit(ctx, trainSet, testSet); err != nil {
		return err
	}
	fitTime := time.Since(t1)
	m, err := trainer.Evaluate(ctx, testSet)
	if err != nil {
		return err
	}
	fmt.Printf("test accuracy %.2f%% (loss %.4f) on %d reviews after %d epochs; training %.0fs, %.0fs in all\n",
		100*m.Accuracy, m.Loss, m.Samples, o.epochs, fitTime.Seconds(), time.Since(start).Seconds())
	return nil
}

// every returns n reviews spread evenly over rs (which holds positives, then negatives).
func every(rs []text.Review, n int) []text.Review {
	if n >= len(rs) {
		return rs
	}
	out := make([]text.Review, n)
	for i := range out {
		out[i] = rs[i*len(rs)/n]
	}
	return out
}

// encode turns tokenized reviews into a dataset of (N, length) ids and returns it with
// the fraction of tokens the vocabulary knows.
func encode(v *text.Vocab, docs [][]string, labels []int, length int, pad text.PadOptions) (*data.Dataset, float64, error) {
	ids := v.EncodeAll(docs)
	var known, total int
	for _, d := range ids {
		for _, id := range d {
			if id != text.UnkID {
				known++
			}
		}
		total += len(d)
	}
	x, err := text.Matrix(ids, length, pad, tensor.Float32)
	if err != nil {
		return nil, 0, err
	}
	ds, err := data.New(x, labels, 2)
	return ds, float64(known) / float64(max(total, 1)), err
}

// model is the convolutional classifier described in the package comment.
type model struct {
	emb  *nn.Embedding
	conv *nn.Conv1D
	drop *nn.Dropout
	fc   *nn.Linear
}

func newModel(s *graph.Scope, vocab int, o options) (*model, error) {
	m := &model{}
	var err error
	// Small initial embeddings learn faster with Adam than PyTorch's N(0, 1): a step
	// of about lr moves them by a larger fraction of their size.
	var init graph.Initializer
	if o.embedInit > 0 {
		init = graph.Uniform{Low: -o.embedInit, High: o.embedInit}
	}
	if m.emb, err = nn.NewEmbedding(s.Sub("embedding"), nn.EmbeddingConfig{Num: vocab, Dim: o.embed,
		Padding: true, PaddingIdx: text.PadID, Init: init}); err != nil {
		return nil, err
	}
	if m.conv, err = nn.NewConv1D(s.Sub("conv"), nn.Conv1DConfig{In: o.embed, Out: o.filters, Kernel: o.kernel}); err != nil {
		return nil, err
	}
	if m.drop, err = nn.NewDropout(s.Sub("dropout"), nn.DropoutConfig{P: o.dropout}); err != nil {
		return nil, err
	}
	if m.fc, err = nn.NewLinear(s.Sub("fc"), nn.LinearConfig{In: o.filters, Out: 2}); err != nil {
		return nil, err
	}
	return m, nil
}

// Forward maps ids (N, T) to logits (N, 2).
func (m *model) Forward(g *graph.Graph, ids *gorgonia.Node) (*gorgonia.Node, error) {
	e, err := m.emb.Forward(g, ids) // (N, T, D)
	if err != nil {
		return nil, err
	}
	if e, err = gorgonia.Transpose(e, 0, 2, 1); err != nil { // (N, D, T): channels first
		return nil, errors.Wrap(err, "sentiment: transpose")
	}
	c, err := m.conv.Forward(g, e) // (N, F, T-k+1)
	if err != nil {
		return nil, err
	}
	// ReLU(max over time) equals max over time of ReLU (ReLU is monotonic), and costs
	// T-k+1 times less.
	p, err := gorgonia.Max(c, 2) // (N, F): the strongest match of each filter
	if err != nil {
		return nil, errors.Wrap(err, "sentiment: max over time")
	}
	if p, err = ops.ReLU(p); err != nil {
		return nil, errors.Wrap(err, "sentiment: relu")
	}
	if p, err = m.drop.Forward(g, p); err != nil {
		return nil, err
	}
	return m.fc.Forward(g, p)
}

// Params returns the Params of every layer.
func (m *model) Params() []*graph.Param {
	var ps []*graph.Param
	for _, l := range []nn.Layer{m.emb, m.conv, m.fc} {
		ps = append(ps, l.Params()...)
	}
	return ps
}
