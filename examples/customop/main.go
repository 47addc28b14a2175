// Command customop defines a new differentiable op with ops.Def, checks its gradient
// with ops.CheckGrad, and trains a model that uses it.
//
// The op is Swish with a learnable β per feature, y = x·σ(β·x) (Ramachandran, Zoph &
// Le 2017, "Searching for Activation Functions", arXiv:1710.05941): β = 1 is SiLU, a
// large β approaches ReLU and β = 0 is x/2. A network with it fits y = sin(3x)·x on
// [-1, 1] and learns a β per hidden unit.
//
//	go run ./examples/customop
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/gradflow/gradflow/ops"
	"github.com/gradflow/gradflow/train"
	"github.com/gradflow/gradflow/train/data"
	"github.com/gradflow/gradflow/train/optim"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The op. Forward and backward kernels work on float64 and float32 alike through
// the generic helpers at the end of the file.

// swishDef is y = x·σ(β·x) for x of shape (N, D) and β of shape (D). Its parameters
// are struct{}: everything it needs comes from its inputs.
var swishDef = &ops.Def[struct{}]{
	Name:  "LearnableSwish",
	Arity: 2,
	Shape: func(_ struct{}, in []tensor.Shape) (tensor.Shape, error) {
		x, beta := in[0], in[1]
		if x.Dims() != 2 || beta.Dims() != 1 || beta[0] != x[1] {
			return nil, errors.Errorf("x %v and beta %v, want (N, D) and (D)", x, beta)
		}
		return x, nil
	},
	Forward: func(_ struct{}, in []*tensor.Dense, out *tensor.Dense) error {
		store(out, mapRows(in[0], in[1], nil, func(x, b, _ float64) float64 { return x * sigmoid(b*x) }))
		return nil
	},
	// The backward is two more Defs, one per input: d/dx = σ + β·x·σ·(1-σ) and
	// d/dβ = x²·σ·(1-σ), each times dy (d/dβ summed over the rows).
	Backward: func(_ struct{}, in []*gorgonia.Node, _, dy *gorgonia.Node) ([]*gorgonia.Node, error) {
		dx, err := swishGradDef.Apply(swishGrad{WRT: 0}, in[0], in[1], dy)
		if err != nil {
			return nil, err
		}
		dbeta, err := swishGradDef.Apply(swishGrad{WRT: 1}, in[0], in[1], dy)
		return []*gorgonia.Node{dx, dbeta}, err
	},
}

// swishGrad says which gradient swishGradDef computes. It is a parameter, so it goes
// into the node's hash: the two gradient nodes have the same inputs and differ only
// in WRT, and would merge into one node if it were left out.
type swishGrad struct{ WRT int }

// swishGradDef maps (x, β, dy) to dx (WRT 0, shape (N, D)) or dβ (WRT 1, shape (D)).
var swishGradDef = &ops.Def[swishGrad]{
	Name:  "LearnableSwishGrad",
	Arity: 3,
	Shape: func(p swishGrad, in []tensor.Shape) (tensor.Shape, error) {
		if p.WRT == 1 {
			return in[1], nil
		}
		return in[0], nil
	},
	Forward: func(p swishGrad, in []*tensor.Dense, out *tensor.Dense) error {
		x, beta, dy := in[0], in[1], in[2]
		if p.WRT == 0 {
			store(out, mapRows(x, beta, dy, func(x, b, g float64) float64 {
				s := sigmoid(b * x)
				return (s + b*x*s*(1-s)) * g
			}))
			return nil
		}
		per := mapRows(x, beta, dy, func(x, b, g float64) float64 {
			s := sigmoid(b * x)
			return x * x * s * (1 - s) * g
		})
		store(out, sumRows(per, x.Shape()[1]))
		return nil
	},
}

// Swish applies the op.
func Swish(x, beta *gorgonia.Node) (*gorgonia.Node, error) {
	return swishDef.Apply(struct{}{}, x, beta)
}

// The layer.

// SwishLayer is a learnable Swish over D features: input (N, D), output (N, D). Beta,
// shape (D), starts at 1 (SiLU).
type SwishLayer struct {
	Beta *graph.Param
	D    int
	name string
}

// NewSwishLayer creates the layer's Param "<scope>/beta".
func NewSwishLayer(s *graph.Scope, d int) (*SwishLayer, error) {
	if d <= 0 {
		return nil, errors.Errorf("customop: swish %q: D = %d, want > 0", s.Name(), d)
	}
	beta, err := s.Param("beta", graph.Weight, []int{d}, graph.Constant{Value: 1})
	if err != nil {
		return nil, errors.Wrapf(err, "customop: swish %q", s.Name())
	}
	return &SwishLayer{Beta: beta, D: d, name: s.Name()}, nil
}

// Forward returns x·σ(β·x) for x of shape (N, D).
func (l *SwishLayer) Forward(g *graph.Graph, x *gorgonia.Node) (*gorgonia.Node, error) {
	beta, err := g.Node(l.Beta)
	if err != nil {
		return nil, errors.Wrapf(err, "customop: swish %q", l.name)
	}
	y, err := Swish(x, beta)
	return y, errors.Wrapf(err, "customop: swish %q", l.name)
}

// Params returns [Beta].
func (l *SwishLayer) Params() []*graph.Param { return []*graph.Param{l.Beta} }

func main() {
	epochs := flag.Int("epochs", 300, "training epochs")
	seed := flag.Uint64("seed", 1, "seed of the data, the weights and the shuffling")
	flag.Parse()
	if err := check(); err != nil {
		log.Fatal(err)
	}
	if err := fit(*epochs, *seed); err != nil {
		log.Fatal(err)
	}
}

// check runs ops.CheckGrad on the op in both dtypes, with respect to x and β.
func check() error {
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		rep, err := ops.CheckGrad(func() (*gorgonia.Node, []*gorgonia.Node, error) {
			g := gorgonia.NewGraph()
			x := input(g, dt, "x", []int{4, 3}, []float64{-2, -1, -0.5, 0, 0.3, 0.7, 1, 1.5, 2, -1.2, 2.5, -3})
			beta := input(g, dt, "beta", []int{3}, []float64{0.5, 1, 2})
			y, err := Swish(x, beta)
			return y, []*gorgonia.Node{x, beta}, err
		}, ops.CheckConfig{})
		if err != nil {
			return err
		}
		fmt.Printf("gradient check %v: %v\n", dt, rep)
	}
	return nil
}

// fit trains Linear(1, 32) → Swish → Linear(32, 32) → Swish → Linear(32, 1) on
// y = sin(3x)·x with mean squared error.
func fit(epochs int, seed uint64) error {
	const n = 256
	r := rand.New(rand.NewPCG(seed, 99))
	xs, ys := make([]float64, n), make([]float64, n)
	for i := range xs {
		xs[i] = 2*r.Float64() - 1
		ys[i] = math.Sin(3*xs[i]) * xs[i]
	}
	set, err := data.NewRegression(
		tensor.New(tensor.WithShape(n, 1), tensor.WithBacking(xs)),
		tensor.New(tensor.WithShape(n, 1), tensor.WithBacking(ys)))
	if err != nil {
		return err
	}
	// The Swish layers are built here and put in the Sequential with nn.Use; they take
	// the names Sequential would give them: mlp/1, mlp/3.
	s := graph.NewScope(graph.Float64, graph.Seed(seed)).Sub("mlp")
	act1, err := NewSwishLayer(s.Sub("1"), 32)
	if err != nil {
		return err
	}
	act2, err := NewSwishLayer(s.Sub("3"), 32)
	if err != nil {
		return err
	}
	model, err := nn.NewSequential(s,
		nn.LinearConfig{In: 1, Out: 32}, nn.Use(act1),
		nn.LinearConfig{In: 32, Out: 32}, nn.Use(act2),
		nn.LinearConfig{In: 32, Out: 1})
	if err != nil {
		return err
	}
	trainer, err := train.New(model, train.Config{
		Loss:      nn.MSE,
		Optimizer: optim.Adam{LR: 1e-2},
		BatchSize: 64,
		Epochs:    epochs,
		Seed:      seed,
		Quiet:     true,
	})
	if err != nil {
		return err
	}
	hist, err := trainer.Fit(context.Background(), set, nil)
	if err != nil {
		return err
	}
	first, last := hist.Epochs[0].TrainLoss, hist.Last().TrainLoss
	fmt.Printf("trained %d epochs: mse %.5f -> %.5f (target variance %.5f)\n", len(hist.Epochs), first, last, variance(ys))
	for _, l := range []*SwishLayer{act1, act2} {
		b := l.Beta.Float64s()
		fmt.Printf("%s: min %.3f, mean %.3f, max %.3f\n", l.Beta.Name(), slices.Min(b), mean(b), slices.Max(b))
	}
	return nil
}

// Helpers.

func input(g *gorgonia.ExprGraph, dt tensor.Dtype, name string, shape []int, vals []float64) *gorgonia.Node {
	var back any = vals
	if dt == tensor.Float32 {
		f := make([]float32, len(vals))
		for i, v := range vals {
			f[i] = float32(v)
		}
		back = f
	}
	t := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(back))
	return gorgonia.NewTensor(g, dt, len(shape), gorgonia.WithShape(shape...), gorgonia.WithName(name), gorgonia.WithValue(t))
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// mapRows returns f(x[i][j], beta[j], dy[i][j]) (dy may be nil) for x of shape
// (N, D), computed in float64.
func mapRows(x, beta, dy *tensor.Dense, f func(x, b, g float64) float64) []float64 {
	xs, bs, gs := float64s(x), float64s(beta), float64s(dy)
	d := len(bs)
	out := make([]float64, len(xs))
	for i, v := range xs {
		g := 0.0
		if gs != nil {
			g = gs[i]
		}
		out[i] = f(v, bs[i%d], g)
	}
	return out
}

// sumRows returns the column sums of the (N, D) values vs, D values.
func sumRows(vs []float64, d int) []float64 {
	out := make([]float64, d)
	for i, v := range vs {
		out[i%d] += v
	}
	return out
}

func float64s(t *tensor.Dense) []float64 {
	if t == nil {
		return nil
	}
	if t.Dtype() == tensor.Float32 {
		f := t.Float32s()
		out := make([]float64, len(f))
		for i, v := range f {
			out[i] = float64(v)
		}
		return out
	}
	return t.Float64s()
}

// store writes vals into t (the op's output), rounding to t's dtype.
func store(t *tensor.Dense, vals []float64) {
	if t.Dtype() == tensor.Float32 {
		f := t.Float32s()
		for i, v := range vals {
			f[i] = float32(v)
		}
		return
	}
	copy(t.Float64s(), vals)
}

func mean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func variance(v []float64) float64 {
	m := mean(v)
	var s float64
	for _, x := range v {
		s += (x - m) * (x - m)
	}
	return s / float64(len(v))
}
