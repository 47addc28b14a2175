// Package rawgorgonia holds gradbench's models written directly with gorgonia's API
// and its own solvers (gorgonia.NewAdamSolver, TapeMachine, symbolic Grad), importing
// no gradflow package, as a gorgonia user would write them. Beside gradflow's
// implementation of the same workload it shows what gradflow's layer costs or gains.
//
// The models are fully connected networks: Linear layers (weight (in, out), bias
// (out), both initialised U(±1/sqrt(in)) as PyTorch and gradflow do) with ReLU or
// tanh between them, optionally after convolution stages (Conv: gorgonia.Conv2d,
// MaxPool2D, Rectify), trained with Adam on mini-batches of a labelled data set:
// softmax cross-entropy on one-hot targets for several classes, binary cross-entropy
// on the logit (composed as mean(softplus(z) - y·z)) for one output.
package rawgorgonia

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Config describes a Classifier.
type Config struct {
	DType  tensor.Dtype // tensor.Float32 or tensor.Float64
	Sizes  []int        // layer widths, input first: {784, 512, 256, 10}
	Convs  []Conv       // convolution stages before the linear layers, if any
	Image  [3]int       // with Convs: one example's shape (C, H, W); Sizes[0] is then the flattened width after the last stage
	Tanh   bool         // tanh between layers (default ReLU)
	Batch  int          // mini-batch size
	LR     float64      // Adam's learning rate
	Seed   uint64       // seeds the initial weights and the batch order
	X      []float64    // training features, row-major (N, Sizes[0]), or use X32
	X32    []float32    // training features for a float32 model without conversion
	Labels []int        // N class labels; for one output they are the 0/1 targets
}

// Classifier is a network and its training machinery.
type Classifier struct {
	cfg     Config
	n       int // training examples
	g       *gorgonia.ExprGraph
	learn   gorgonia.Nodes
	vgs     []gorgonia.ValueGrad
	vm      gorgonia.VM
	solver  gorgonia.Solver
	xbuf    *tensor.Dense
	ybuf    *tensor.Dense
	lossVal gorgonia.Value
	rng     *rand.Rand
	perm    []int
	pos     int
	feats   any // the training features in the model's dtype: []float32 or []float64
	evals   map[int]*evalGraph
}

// New builds the training graph, its gradient, a TapeMachine and an Adam solver.
func New(cfg Config) (c *Classifier, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.Errorf("rawgorgonia: gorgonia panicked: %v", r)
		}
	}()
	if len(cfg.Sizes) < 2 || cfg.Batch < 1 {
		return nil, errors.Errorf("rawgorgonia: sizes %v, batch %d: want 2 or more sizes and batch >= 1", cfg.Sizes, cfg.Batch)
	}
	if err := cfg.checkConvs(); err != nil {
		return nil, err
	}
	in, out := cfg.inputs(), cfg.Sizes[len(cfg.Sizes)-1]
	n := len(cfg.Labels)
	if nx := max(len(cfg.X), len(cfg.X32)); n == 0 || nx != n*in {
		return nil, errors.Errorf("rawgorgonia: %d features for %d labels of %d inputs", nx, n, in)
	}
	if cfg.DType != tensor.Float32 && cfg.DType != tensor.Float64 {
		return nil, errors.Errorf("rawgorgonia: dtype %v, want float32 or float64", cfg.DType)
	}
	c = &Classifier{cfg: cfg, n: n, g: gorgonia.NewGraph(), rng: rand.New(rand.NewPCG(cfg.Seed, 0xba7c)),
		feats: features(cfg.DType, cfg.X32, cfg.X)}
	c.xbuf = tensor.New(tensor.Of(cfg.DType), tensor.WithShape(cfg.inputShape(cfg.Batch)...))
	c.ybuf = tensor.New(tensor.Of(cfg.DType), tensor.WithShape(cfg.Batch, out))
	x := gorgonia.NewTensor(c.g, cfg.DType, c.xbuf.Dims(), gorgonia.WithShape(c.xbuf.Shape()...), gorgonia.WithName("x"), gorgonia.WithValue(c.xbuf))
	y := gorgonia.NewMatrix(c.g, cfg.DType, gorgonia.WithShape(cfg.Batch, out), gorgonia.WithName("y"), gorgonia.WithValue(c.ybuf))
	logits, err := c.forward(c.g, x, true)
	if err != nil {
		return nil, err
	}
	var loss *gorgonia.Node
	if out == 1 { // binary cross-entropy from the logit: softplus(z) - y·z
		loss = gorgonia.Must(gorgonia.Mean(gorgonia.Must(gorgonia.Sub(
			gorgonia.Must(gorgonia.Softplus(logits)), gorgonia.Must(gorgonia.HadamardProd(y, logits))))))
	} else { // softmax cross-entropy on one-hot targets: -mean(sum(y · log softmax(z)))
		logp := gorgonia.Must(gorgonia.LogSoftMax(logits))
		loss = gorgonia.Must(gorgonia.Neg(gorgonia.Must(gorgonia.Mean(
			gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.HadamardProd(logp, y)), 1))))))
	}
	gorgonia.Read(loss, &c.lossVal)
	if _, err := gorgonia.Grad(loss, c.learn...); err != nil {
		return nil, errors.Wrap(err, "rawgorgonia: grad")
	}
	c.vm = gorgonia.NewTapeMachine(c.g, gorgonia.BindDualValues(c.learn...))
	c.solver = gorgonia.NewAdamSolver(gorgonia.WithLearnRate(cfg.LR))
	c.vgs = gorgonia.NodesToValueGrads(c.learn)
	if n == cfg.Batch { // the whole set every step: fill the batch once
		c.gather(identity(n))
	}
	return c, nil
}

// forward adds the layers to g. With train, it creates the weights (initialised and
// collected as learnables); otherwise it binds the training graph's current values.
func (c *Classifier) forward(g *gorgonia.ExprGraph, x *gorgonia.Node, train bool) (*gorgonia.Node, error) {
	h, err := c.convs(g, x, train)
	if err != nil {
		return nil, err
	}
	sizes := c.cfg.Sizes
	first := 2 * len(c.cfg.Convs) // index of the first linear layer's weight in c.learn
	for i := 0; i+1 < len(sizes); i++ {
		var w, b *gorgonia.Node
		wname, bname := fmt.Sprintf("w%d", i), fmt.Sprintf("b%d", i)
		if train {
			bound := 1 / math.Sqrt(float64(sizes[i]))
			r := rand.New(rand.NewPCG(c.cfg.Seed, uint64(i)))
			w = gorgonia.NewMatrix(g, c.cfg.DType, gorgonia.WithShape(sizes[i], sizes[i+1]), gorgonia.WithName(wname),
				gorgonia.WithValue(c.uniform(r, bound, sizes[i], sizes[i+1])))
			b = gorgonia.NewVector(g, c.cfg.DType, gorgonia.WithShape(sizes[i+1]), gorgonia.WithName(bname),
				gorgonia.WithValue(c.uniform(r, bound, sizes[i+1])))
			c.learn = append(c.learn, w, b)
		} else {
			w = gorgonia.NewMatrix(g, c.cfg.DType, gorgonia.WithShape(sizes[i], sizes[i+1]), gorgonia.WithName(wname),
				gorgonia.WithValue(c.learn[first+2*i].Value()))
			b = gorgonia.NewVector(g, c.cfg.DType, gorgonia.WithShape(sizes[i+1]), gorgonia.WithName(bname),
				gorgonia.WithValue(c.learn[first+2*i+1].Value()))
		}
		if h, err = gorgonia.Mul(h, w); err != nil {
			return nil, errors.Wrapf(err, "rawgorgonia: layer %d", i)
		}
		if h, err = gorgonia.BroadcastAdd(h, b, nil, []byte{0}); err != nil {
			return nil, errors.Wrapf(err, "rawgorgonia: layer %d", i)
		}
		if i+2 < len(sizes) {
			if c.cfg.Tanh {
				h, err = gorgonia.Tanh(h)
			} else {
				h, err = gorgonia.Rectify(h)
			}
			if err != nil {
				return nil, errors.Wrapf(err, "rawgorgonia: layer %d", i)
			}
		}
	}
	return h, nil
}

// uniform returns a tensor of the given shape drawn from U(-bound, bound).
func (c *Classifier) uniform(r *rand.Rand, bound float64, shape ...int) *tensor.Dense {
	size := 1
	for _, d := range shape {
		size *= d
	}
	if c.cfg.DType == tensor.Float32 {
		v := make([]float32, size)
		for i := range v {
			v[i] = float32((2*r.Float64() - 1) * bound)
		}
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))
	}
	v := make([]float64, size)
	for i := range v {
		v[i] = (2*r.Float64() - 1) * bound
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))
}

// Step trains on the next mini-batch: gather it (unless the batch is the whole set),
// run the tape, let the Adam solver update the weights (it also zeroes the gradients,
// which BindDualValues accumulates), and reset the tape.
func (c *Classifier) Step() error {
	if c.n != c.cfg.Batch {
		if c.perm == nil || c.pos+c.cfg.Batch > c.n {
			c.perm, c.pos = c.rng.Perm(c.n), 0
		}
		c.gather(c.perm[c.pos : c.pos+c.cfg.Batch])
		c.pos += c.cfg.Batch
	}
	defer c.vm.Reset()
	if err := c.vm.RunAll(); err != nil {
		return errors.Wrap(err, "rawgorgonia: run")
	}
	return errors.Wrap(c.solver.Step(c.vgs), "rawgorgonia: solver")
}

// features returns the features in dtype dt, converting them only if they are given
// in the other precision.
func features(dt tensor.Dtype, x32 []float32, x64 []float64) any {
	if dt == tensor.Float32 {
		if x32 != nil {
			return x32
		}
		return convert[float32](x64)
	}
	if x64 != nil {
		return x64
	}
	return convert[float64](x32)
}

func convert[T, F float32 | float64](xs []F) []T {
	out := make([]T, len(xs))
	for i, x := range xs {
		out[i] = T(x)
	}
	return out
}

// gather copies the examples at idx into the batch buffers, targets as one-hot rows
// (or the label itself for one output).
func (c *Classifier) gather(idx []int) {
	in, out := c.cfg.inputs(), c.cfg.Sizes[len(c.cfg.Sizes)-1]
	if f, ok := c.feats.([]float32); ok {
		gatherInto(c.xbuf.Float32s(), c.ybuf.Float32s(), f, c.cfg.Labels, idx, in, out)
		return
	}
	gatherInto(c.xbuf.Float64s(), c.ybuf.Float64s(), c.feats.([]float64), c.cfg.Labels, idx, in, out)
}

func gatherInto[T float32 | float64](xb, yb, feats []T, labels, idx []int, in, out int) {
	clear(yb)
	for i, j := range idx {
		copy(xb[i*in:(i+1)*in], feats[j*in:(j+1)*in])
		if out == 1 {
			yb[i] = T(labels[j])
		} else {
			yb[i*out+labels[j]] = 1
		}
	}
}

func identity(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}

// Loss returns the loss of the last Step.
func (c *Classifier) Loss() float64 {
	switch v := c.lossVal.(type) {
	case *gorgonia.F32:
		return float64(*v)
	case *gorgonia.F64:
		return float64(*v)
	}
	return math.NaN()
}
