package ops

import (
	"math/rand/v2"
	"sync/atomic"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Dropout zeroes each element of x with probability p and scales the others by
// 1/(1-p), so that the expected output is x (inverted dropout; Srivastava et al. 2014,
// "Dropout: A Simple Way to Prevent Neural Networks from Overfitting", JMLR 15). The
// output has x's shape. p must be in [0, 1); p = 0 returns x itself.
//
// The mask is drawn from rng every time the graph runs, one rng.Float64() per element
// in row-major order, so each run (each training step) gets a new mask and a seeded
// rng makes the sequence of masks reproducible. The op keeps rng and uses it at run
// time: do not share it with anything that runs concurrently with the graph. The
// backward is dy·mask/(1-p), the same mask as the forward of that run.
//
// Dropout is for training only. It has no mode: a caller building an evaluation
// graph leaves it out (gradflow's nn does so by the Graph's Mode), which is the
// identity PyTorch applies in eval mode.
//
// Every call makes a new op: two dropouts of one input with the same p and rng are
// two nodes with independent masks (gorgonia would otherwise merge them). It replaces
// gorgonia.Dropout, whose backward divides by the drop probability instead of the
// keep probability, which draws from an unseeded generator and whose hash omits p.
func Dropout(x *gorgonia.Node, p float64, rng *rand.Rand) (*gorgonia.Node, error) {
	const name = "Dropout"
	if err := checkFloat(name, "x", x); err != nil {
		return nil, err
	}
	if !(p >= 0 && p < 1) {
		return nil, errors.Errorf("ops: %s: p = %g, want in [0, 1)", name, p)
	}
	if rng == nil {
		return nil, errors.Errorf("ops: %s: nil rng; pass a seeded *rand.Rand (graph.Graph.Rand)", name)
	}
	if p == 0 {
		return x, nil
	}
	mask, err := dropoutMaskDef.Apply(dropoutParams{P: p, ID: dropoutIDs.Add(1), rng: rng}, x)
	if err != nil {
		return nil, err
	}
	return dropoutApplyDef.Apply(struct{}{}, x, mask)
}

// dropoutIDs numbers Dropout ops, so that no two share a hash.
var dropoutIDs atomic.Uint64

// dropoutParams are the mask op's parameters. ID is unique per Dropout call; rng is
// hashed by address.
type dropoutParams struct {
	P   float64
	ID  uint64
	rng *rand.Rand
}

// dropoutMaskDef maps x to a new mask of x's shape at every run: 0 with probability
// P, 1/(1-P) otherwise. It has no gradient: the mask is a constant of each run.
var dropoutMaskDef = &Def[dropoutParams]{
	Name:  "DropoutMask",
	Arity: 1,
	Shape: func(_ dropoutParams, in []tensor.Shape) (tensor.Shape, error) { return in[0], nil },
	Forward: func(p dropoutParams, _ []*tensor.Dense, m *tensor.Dense) error {
		keep := 1 / (1 - p.P)
		if m.Dtype() == tensor.Float32 {
			fillMask(m.Float32s(), p.rng, p.P, float32(keep))
		} else {
			fillMask(m.Float64s(), p.rng, p.P, keep)
		}
		return nil
	},
}

func fillMask[T float](m []T, rng *rand.Rand, p float64, keep T) {
	for i := range m {
		if rng.Float64() >= p {
			m[i] = keep
		} else {
			m[i] = 0
		}
	}
}

// dropoutApplyDef maps (x, mask) to x·mask. Its backward is the same op on
// (dy, mask): the gradient passes where the forward did, scaled alike.
var dropoutApplyDef = &Def[struct{}]{
	Name:   "DropoutApply",
	Arity:  2,
	NoGrad: []int{1},
	Shape:  equalShapes,
	Forward: func(_ struct{}, in []*tensor.Dense, out *tensor.Dense) error {
		zipInto(out, in[0], in[1], func(x, m float64) float64 { return x * m })
		return nil
	},
}

func init() {
	// Set here: a Backward that applies its own Def would be an initialisation cycle.
	dropoutApplyDef.Backward = func(_ struct{}, in []*gorgonia.Node, _, dy *gorgonia.Node) ([]*gorgonia.Node, error) {
		dx, err := dropoutApplyDef.Apply(struct{}{}, dy, in[1])
		return []*gorgonia.Node{dx, nil}, err
	}
}
