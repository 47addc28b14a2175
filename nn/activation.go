package nn

import (
	"fmt"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/ops"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
)

// Activation is a function applied to every element of its input (Softmax and
// LogSoftmax: to every row, along the last axis), with no Params. The output has the
// input's shape.
//
// gradflow's activations are values: nn.ReLU, nn.GELU, nn.LeakyReLU(0.2), as Keras'
// activations and PyTorch's nn.ReLU(). An Activation is a Layer (Forward applies it)
// and its own LayerConfig (Build returns it and creates nothing), so it goes straight
// into a Sequential:
//
//	nn.NewSequential(s, nn.LinearConfig{In: 4, Out: 8}, nn.Tanh, nn.LinearConfig{In: 8, Out: 1})
//
// It is also LinearConfig's Activation, applied by the Linear layer to its output, in
// the same node when the activation has a fused kernel for it (ReLU: ops.LinearReLU).
// Any type with the methods of Layer and LayerConfig can serve as an Activation.
type Activation interface {
	Layer
	LayerConfig
}

// The activations. Each is one node forward and one backward in the input's dtype
// unless its doc says otherwise.
var (
	// ReLU is max(x, 0), as PyTorch's nn.ReLU (NaN stays NaN; the gradient is 0 at 0):
	// gradflow's ops.ReLU, not gorgonia.Rectify (x * (x >= 0), two nodes and a
	// temporary each way). As the Activation of a Linear, it is fused into the Linear's
	// node (ops.LinearReLU), with the same values and gradients bit for bit.
	ReLU Activation = &activation{name: "relu", fn: ops.ReLU, linear: ops.LinearReLU}
	// Sigmoid is 1/(1+exp(-x)) (gorgonia.Sigmoid).
	Sigmoid Activation = &activation{name: "sigmoid", fn: gorgonia.Sigmoid}
	// Tanh is tanh(x) (gorgonia.Tanh).
	Tanh Activation = &activation{name: "tanh", fn: gorgonia.Tanh}
	// GELU is the Gaussian error linear unit x·Φ(x), exact (erf) form, as PyTorch's
	// nn.GELU() (Hendrycks & Gimpel 2016): ops.GELU.
	GELU Activation = &activation{name: "gelu", fn: ops.GELU}
	// GELUTanh is GELU's tanh approximation, as PyTorch's nn.GELU(approximate="tanh")
	// and BERT's and GPT-2's code: ops.GELUTanh.
	GELUTanh Activation = &activation{name: "gelu_tanh", fn: ops.GELUTanh}
	// SiLU is x·σ(x), also called Swish, as PyTorch's nn.SiLU (Elfwing et al. 2018):
	// ops.SiLU.
	SiLU Activation = &activation{name: "silu", fn: ops.SiLU}
	// Softmax normalises exp(x) along the last axis so that each row sums to 1, as
	// PyTorch's nn.Softmax(dim=-1): ops.Softmax, correct on every axis (gorgonia's is
	// wrong on column vectors). For a classifier's loss, give the logits to
	// SoftmaxCrossEntropy instead.
	Softmax Activation = &activation{name: "softmax", fn: func(x *gorgonia.Node) (*gorgonia.Node, error) { return ops.Softmax(x, -1) }}
	// LogSoftmax is log(softmax(x)) along the last axis, computed stably:
	// ops.LogSoftmax (gorgonia's LogSoftMax merges with SoftMax in one graph).
	LogSoftmax Activation = &activation{name: "log_softmax", fn: func(x *gorgonia.Node) (*gorgonia.Node, error) { return ops.LogSoftmax(x, -1) }}
)

// LeakyReLU returns the activation x for x > 0 and alpha·x otherwise, as PyTorch's
// nn.LeakyReLU(alpha) (whose default alpha is 0.01), on gorgonia.LeakyRelu.
func LeakyReLU(alpha float64) Activation {
	return &activation{name: fmt.Sprintf("leaky_relu(%g)", alpha), fn: func(x *gorgonia.Node) (*gorgonia.Node, error) {
		return gorgonia.LeakyRelu(x, alpha)
	}}
}

// activation is an Activation given by its function on nodes.
type activation struct {
	name string
	fn   func(x *gorgonia.Node) (*gorgonia.Node, error)
	// linear, if set, is the fused node of a Linear layer followed by this activation:
	// the capability a Linear asks its Activation for (linearFused).
	linear func(x, w, b *gorgonia.Node) (*gorgonia.Node, error)
}

var _ Activation = (*activation)(nil)

// Forward applies the activation; the graph is not used.
func (a *activation) Forward(_ *graph.Graph, x *gorgonia.Node) (*gorgonia.Node, error) {
	if x == nil {
		return nil, errors.Errorf("nn: %s: nil input", a.name)
	}
	y, err := a.fn(x)
	if err != nil {
		return nil, errors.Wrapf(err, "nn: %s: input shape %v", a.name, x.Shape())
	}
	return y, nil
}

// Params returns nil: activations have no Params.
func (*activation) Params() []*graph.Param { return nil }

// Build returns the activation itself: it has nothing to create.
func (a *activation) Build(*graph.Scope) (Layer, error) { return a, nil }

// String returns the activation's name ("relu", "leaky_relu(0.2)").
func (a *activation) String() string { return a.name }

// linearFused returns the fused Linear+activation node builder, or nil.
func (a *activation) linearFused() func(x, w, b *gorgonia.Node) (*gorgonia.Node, error) {
	return a.linear
}

// linearFuser is the capability of an Activation with a fused kernel for a Linear
// layer followed by it.
type linearFuser interface {
	linearFused() func(x, w, b *gorgonia.Node) (*gorgonia.Node, error)
}
