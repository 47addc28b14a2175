package nn

import (
	"fmt"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/ops"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
)

// Activation is a stateless layer that applies an element-wise (or, for Softmax,
// per-row) function. Its output has the input's shape. It has no Params.
type Activation struct {
	name string
	fn   func(x *gorgonia.Node) (*gorgonia.Node, error)
}

var _ Layer = Activation{}

// Forward applies the activation.
func (a Activation) Forward(_ *graph.Graph, x *gorgonia.Node) (y *gorgonia.Node, err error) {
	defer graph.Recover(&err)
	if x == nil {
		return nil, errors.Errorf("nn: %s: nil input", a.name)
	}
	if y, err = a.fn(x); err != nil {
		return nil, errors.Wrapf(err, "nn: %s: input shape %v", a.name, x.Shape())
	}
	return y, nil
}

// Params returns nil: activations have no Params.
func (Activation) Params() []*graph.Param { return nil }

// String returns the activation's name.
func (a Activation) String() string { return a.name }

// ReLU returns max(x, 0) element-wise, as PyTorch's nn.ReLU (NaN stays NaN; the
// gradient is 0 at 0). It is gradflow's ops.ReLU, one node each way in the input's
// dtype, not gorgonia.Rectify (x * (x >= 0), two nodes and a temporary each way). In
// an nn.Sequential, a ReLU right after a Linear is fused into it (ops.LinearReLU).
func ReLU() Activation { return Activation{reluName, ops.ReLU} }

// reluName names ReLU activations; nn.Sequential recognises them by it.
const reluName = "relu"

// LeakyReLU returns x for x > 0 and alpha*x otherwise (PyTorch's default alpha is 0.01).
func LeakyReLU(alpha float64) Activation {
	return Activation{fmt.Sprintf("leaky_relu(%g)", alpha), func(x *gorgonia.Node) (*gorgonia.Node, error) {
		return gorgonia.LeakyRelu(x, alpha)
	}}
}

// Sigmoid returns 1/(1+exp(-x)) element-wise.
func Sigmoid() Activation { return Activation{"sigmoid", gorgonia.Sigmoid} }

// Tanh returns tanh(x) element-wise.
func Tanh() Activation { return Activation{"tanh", gorgonia.Tanh} }

// Softmax normalises exp(x) along the last axis so that each row sums to 1. It uses
// gradflow's ops.Softmax, correct on every axis (gorgonia's is wrong on column vectors).
func Softmax() Activation {
	return Activation{"softmax", func(x *gorgonia.Node) (*gorgonia.Node, error) { return ops.Softmax(x, -1) }}
}

// LogSoftmax returns log(softmax(x)) along the last axis, computed stably. It uses
// gradflow's ops.LogSoftmax (gorgonia's LogSoftMax merges with SoftMax in one graph).
func LogSoftmax() Activation {
	return Activation{"log_softmax", func(x *gorgonia.Node) (*gorgonia.Node, error) { return ops.LogSoftmax(x, -1) }}
}
