// Command charlm trains a character-level language model on a text the machine has
// and then writes new text with it, one character at a time.
//
//	go run ./examples/charlm
//
// The text is -text (default: the GNU GPL v3 that every Debian system ships in
// /usr/share/common-licenses/GPL-3, else the Go distribution's LICENSE). Every -len
// characters predict the next one; the model is
//
//	Embedding(chars, -embed) -> LSTM(-embed -> -hidden), last state -> Linear(-hidden -> chars)
//
// trained with Adam on the softmax cross-entropy, the last 10% of the text held out
// for validation (perplexity = exp(validation loss)). Generation starts from -prompt and
// draws each next character with nn/sample (temperature -temp, nucleus -topp, seeded),
// running a train.Predictor on a fixed window of -len characters, so the model is traced
// and compiled once, not at every character.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/gradflow/gradflow/nn/sample"
	"github.com/gradflow/gradflow/train"
	"github.com/gradflow/gradflow/train/data"
	"github.com/gradflow/gradflow/train/optim"
)

type options struct {
	textPath       string
	length, stride int
	embed, hidden  int
	epochs, batch  int
	lr, temp, topP float64
	seed           uint64
	prompt         string
	generate       int
	progress       io.Writer
}

func main() {
	var o options
	flag.StringVar(&o.textPath, "text", "", "text file to learn (default: /usr/share/common-licenses/GPL-3, else Go's LICENSE)")
	flag.IntVar(&o.length, "len", 32, "characters of context")
	flag.IntVar(&o.stride, "stride", 2, "characters between training windows")
	flag.IntVar(&o.embed, "embed", 32, "character embedding width")
	flag.IntVar(&o.hidden, "hidden", 128, "LSTM hidden units")
	flag.IntVar(&o.epochs, "epochs", 8, "training epochs")
	flag.IntVar(&o.batch, "batch", 64, "mini-batch size")
	flag.Float64Var(&o.lr, "lr", 3e-3, "Adam learning rate")
	flag.Float64Var(&o.temp, "temp", 0.7, "sampling temperature")
	flag.Float64Var(&o.topP, "topp", 0.95, "nucleus sampling: keep the most likely characters up to this probability")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the weights, the shuffling and the sampling")
	flag.StringVar(&o.prompt, "prompt", "The GNU General Public License ", "text the generation starts from")
	flag.IntVar(&o.generate, "generate", 400, "characters to generate")
	flag.Parse()
	o.progress = os.Stdout

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if o.textPath == "" {
		o.textPath = defaultText()
	}
	raw, err := os.ReadFile(o.textPath)
	if err != nil {
		log.Fatal(err)
	}
	out, err := run(ctx, string(raw), o)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("\n--- generated from %q ---\n%s\n", o.prompt, out)
}

// defaultText returns the GPL v3 of Debian's base system, or Go's own LICENSE.
func defaultText() string {
	if _, err := os.Stat("/usr/share/common-licenses/GPL-3"); err == nil {
		return "/usr/share/common-licenses/GPL-3"
	}
	return filepath.Join(runtime.GOROOT(), "LICENSE")
}

// charset numbers the distinct characters of a text.
type charset struct {
	chars []rune
	index map[rune]int
}

func newCharset(text string) *charset {
	seen := map[rune]bool{}
	for _, r := range text {
		seen[r] = true
	}
	cs := &charset{index: map[rune]int{}}
	for r := range seen {
		cs.chars = append(cs.chars, r)
	}
	sort.Slice(cs.chars, func(i, j int) bool { return cs.chars[i] < cs.chars[j] })
	for i, r := range cs.chars {
		cs.index[r] = i
	}
	return cs
}

// windows returns the dataset of every stride-th window of n characters, labelled
// with the character after it.
func windows(ids []int, n, stride, classes int) (*data.Dataset, error) {
	var xs []float32
	var labels []int
	for s := 0; s+n < len(ids); s += stride {
		for _, id := range ids[s : s+n] {
			xs = append(xs, float32(id))
		}
		labels = append(labels, ids[s+n])
	}
	if len(labels) == 0 {
		return nil, errors.Errorf("charlm: a text of %d characters has no window of %d and a next one", len(ids), n)
	}
	return data.New(tensor.New(tensor.WithShape(len(labels), n), tensor.WithBacking(xs)), labels, classes)
}

// model is the character model: embedding, LSTM (its last state), output layer.
type model struct {
	emb  *nn.Embedding
	lstm *nn.LSTM
	out  *nn.Linear
}

func newModel(s *graph.Scope, chars, embed, hidden int) (*model, error) {
	emb, err := nn.NewEmbedding(s.Sub("embed"), nn.EmbeddingConfig{Num: chars, Dim: embed})
	if err != nil {
		return nil, err
	}
	lstm, err := nn.NewLSTM(s.Sub("lstm"), nn.LSTMConfig{In: embed, Hidden: hidden})
	if err != nil {
		return nil, err
	}
	out, err := nn.NewLinear(s.Sub("out"), nn.LinearConfig{In: hidden, Out: chars})
	if err != nil {
		return nil, err
	}
	return &model{emb, lstm, out}, nil
}

// Forward maps ids (N, T) to the logits of the next character, (N, chars).
func (m *model) Forward(g *graph.Graph, ids *gorgonia.Node) (*gorgonia.Node, error) {
	e, err := nn.Forward(m.emb, g, ids) // (N, T, embed)
	if err != nil {
		return nil, err
	}
	_, h, _, err := m.lstm.Run(g, e, nil, nil) // h: the last state, (N, hidden)
	if err != nil {
		return nil, err
	}
	return nn.Forward(m.out, g, h)
}

func (m *model) Params() []*graph.Param {
	return append(append(m.emb.Params(), m.lstm.Params()...), m.out.Params()...)
}

// run trains on text and returns the text generated after o.prompt.
func run(ctx context.Context, text string, o options) (string, error) {
	cs := newCharset(text + o.prompt + " ")
	ids := make([]int, 0, len(text))
	for _, r := range text {
		ids = append(ids, cs.index[r])
	}
	cut := len(ids) * 9 / 10
	trainSet, err := windows(ids[:cut], o.length, o.stride, len(cs.chars))
	if err != nil {
		return "", err
	}
	valSet, err := windows(ids[cut:], o.length, o.length, len(cs.chars))
	if err != nil {
		return "", err
	}
	if o.progress != nil {
		fmt.Fprintf(o.progress, "%d characters, %d distinct; %d training and %d validation windows of %d\n",
			len(ids), len(cs.chars), trainSet.Len(), valSet.Len(), o.length)
	}
	m, err := newModel(graph.NewScope(graph.Float32, graph.Seed(o.seed)), len(cs.chars), o.embed, o.hidden)
	if err != nil {
		return "", err
	}
	cfg := train.Config{
		Loss: nn.SoftmaxCrossEntropy, Optimizer: optim.Adam{LR: o.lr}, ClipNorm: 1,
		BatchSize: o.batch, Epochs: o.epochs, Seed: o.seed, Progress: o.progress,
	}
	if o.progress == nil {
		cfg.Quiet = true
	}
	tr, err := train.New(m, cfg)
	if err != nil {
		return "", err
	}
	hist, err := tr.Fit(ctx, trainSet, valSet)
	if err != nil {
		return "", err
	}
	if o.progress != nil {
		last := hist.Last()
		fmt.Fprintf(o.progress, "validation loss %.3f (perplexity %.2f per character), accuracy %.1f%%\n",
			last.ValLoss, math.Exp(last.ValLoss), 100*last.ValAccuracy)
	}
	return generate(m, cs, o)
}

// generate writes o.generate characters after o.prompt, feeding the model the last
// o.length characters each time: one input shape, so the Predictor compiles once.
func generate(m *model, cs *charset, o options) (string, error) {
	p, err := train.NewPredictor(m, train.PredictorConfig{Seed: o.seed})
	if err != nil {
		return "", err
	}
	defer p.Close()
	s, err := sample.New(sample.Config{Temperature: o.temp, TopP: o.topP}, o.seed)
	if err != nil {
		return "", err
	}
	context := make([]int, 0, o.length+o.generate)
	pad := cs.index[' ']
	for range o.length {
		context = append(context, pad)
	}
	for _, r := range o.prompt {
		context = append(context, cs.index[r])
	}
	window := make([]float32, o.length)
	var b strings.Builder
	for range o.generate {
		for i, id := range context[len(context)-o.length:] {
			window[i] = float32(id)
		}
		logits, _, err := p.PredictFloat32(window, 1, o.length)
		if err != nil {
			return "", err
		}
		next, err := s.Next32(logits)
		if err != nil {
			return "", err
		}
		context = append(context, next)
		b.WriteRune(cs.chars[next])
	}
	return b.String(), nil
}
