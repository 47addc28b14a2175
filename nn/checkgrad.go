package nn

import (
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/ops"
)

// CheckOptions configures CheckGrad.
type CheckOptions struct {
	// Mode is the graph's mode, Train by default. A layer that draws random numbers
	// in training (Dropout) gives a new mask at every run and fails a Train check:
	// check it in Eval.
	Mode graph.Mode
	// NoInputGrad leaves the input out of the check (token ids, for Embedding).
	NoInputGrad bool
	// CheckConfig is ops.CheckGrad's: step, tolerances, seed (zero: the dtype's
	// defaults).
	ops.CheckConfig
}

// CheckGrad numerically checks a layer's gradients, as PyTorch's gradcheck: it
// traces l for the input x (its values are copied) and compares the analytic
// gradient of a seeded random projection of the output with central differences,
// for every element of the input and of every trainable param. The params are
// perturbed in place and restored bit for bit. A custom layer is checked the same
// way as gradflow's own:
//
//	rep, err := nn.CheckGrad(layer, x, nn.CheckOptions{})
//
// The error says which element is off when the check fails (rep.Passed is false).
func CheckGrad(l Layer, x *tensor.Dense, opt CheckOptions) (*ops.GradReport, error) {
	if isNil(l) {
		return nil, errors.New("nn: CheckGrad of a nil layer")
	}
	if x == nil {
		return nil, errors.New("nn: CheckGrad: nil input")
	}
	dt := x.Dtype()
	if dt != graph.Float32 && dt != graph.Float64 {
		return nil, errors.Errorf("nn: CheckGrad: input dtype %v, want float32 or float64", dt)
	}
	rep, err := ops.CheckGrad(func() (*gorgonia.Node, []*gorgonia.Node, error) {
		g := graph.New(dt, opt.Mode, graph.GraphSeed(opt.Seed))
		in, err := g.Input("x", x.Shape()...)
		if err != nil {
			return nil, nil, err
		}
		if err := gorgonia.Let(in, x.Clone()); err != nil {
			return nil, nil, err
		}
		out, err := Forward(l, g, in)
		if err != nil {
			return nil, nil, err
		}
		var wrt []*gorgonia.Node
		if !opt.NoInputGrad {
			wrt = append(wrt, in)
		}
		for _, p := range l.Params() {
			if p == nil || !p.Trainable() {
				continue
			}
			if p.DType() != dt {
				return nil, nil, errors.Errorf("param %q has dtype %v, the input %v", p.Name(), p.DType(), dt)
			}
			n, err := g.Node(p)
			if err != nil {
				return nil, nil, err
			}
			wrt = append(wrt, n)
		}
		if len(wrt) == 0 {
			return nil, nil, errors.New("nothing to check: no input gradient and no trainable param")
		}
		return out, wrt, nil
	}, opt.CheckConfig)
	if err != nil {
		return rep, errors.Wrapf(err, "nn: CheckGrad: %s", label(l))
	}
	return rep, nil
}
