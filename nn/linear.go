package nn

import (
	"math"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/ops"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
)

// LinearConfig configures a Linear layer. The zero values of WeightInit and BiasInit
// mean PyTorch's default: U(-1/sqrt(In), 1/sqrt(In)) for both.
type LinearConfig struct {
	In, Out    int               // input and output widths, both > 0
	NoBias     bool              // omit the bias
	WeightInit graph.Initializer // default HeUniform{Gain: sqrt(1/3)}, i.e. U(±1/sqrt(In))
	BiasInit   graph.Initializer // default U(±1/sqrt(In))
}

// Linear is a fully connected layer: y = x·W + b.
//
// Input (N, In); output (N, Out). Weight has shape (In, Out), the transpose of PyTorch's
// (out_features, in_features), so the forward pass is a plain matrix product; Bias has
// shape (Out) and is nil with NoBias.
type Linear struct {
	Weight *graph.Param
	Bias   *graph.Param
	In     int
	Out    int
	name   string
}

var _ Layer = (*Linear)(nil)
var _ LayerConfig = LinearConfig{}

// NewLinear creates a Linear layer whose Params are "<scope>/weight" and
// "<scope>/bias".
func NewLinear(s *graph.Scope, cfg LinearConfig) (*Linear, error) {
	name := s.Name()
	if cfg.In <= 0 {
		return nil, errors.Errorf("nn: linear %q: In = %d, want > 0", name, cfg.In)
	}
	if cfg.Out <= 0 {
		return nil, errors.Errorf("nn: linear %q: Out = %d, want > 0", name, cfg.Out)
	}
	bound := 1 / math.Sqrt(float64(cfg.In))
	winit := cfg.WeightInit
	if winit == nil {
		winit = graph.HeUniform{Gain: math.Sqrt(1.0 / 3)}
	}
	l := &Linear{In: cfg.In, Out: cfg.Out, name: name}
	var err error
	l.Weight, err = s.Param("weight", graph.Weight, []int{cfg.In, cfg.Out}, winit,
		graph.WithFans(graph.Fans{In: cfg.In, Out: cfg.Out}))
	if err != nil {
		return nil, errors.Wrapf(err, "nn: linear %q", name)
	}
	if !cfg.NoBias {
		binit := cfg.BiasInit
		if binit == nil {
			binit = graph.Uniform{Low: -bound, High: bound}
		}
		l.Bias, err = s.Param("bias", graph.Bias, []int{cfg.Out}, binit,
			graph.WithFans(graph.Fans{In: cfg.In, Out: cfg.Out}))
		if err != nil {
			return nil, errors.Wrapf(err, "nn: linear %q", name)
		}
	}
	return l, nil
}

// Build implements LayerConfig.
func (c LinearConfig) Build(s *graph.Scope) (Layer, error) { return NewLinear(s, c) }

// Forward returns x·W + b for x of shape (N, In), as one node (ops.Linear: one GEMM
// and a bias pass forward, three GEMM-or-sum nodes backward, no transposed copies).
func (l *Linear) Forward(g *graph.Graph, x *gorgonia.Node) (*gorgonia.Node, error) {
	return l.forward(g, x, false)
}

// forward adds the layer to g, followed by a ReLU fused into the same node when relu
// is set (ops.LinearReLU; nn.Sequential asks for it when nn.ReLU comes next).
func (l *Linear) forward(g *graph.Graph, x *gorgonia.Node, relu bool) (y *gorgonia.Node, err error) {
	defer graph.Recover(&err)
	if x == nil {
		return nil, errors.Errorf("nn: linear %q: nil input", l.name)
	}
	if shp := x.Shape(); len(shp) != 2 || shp[1] != l.In {
		return nil, errors.Errorf("nn: linear %q: input shape %v, want (N, %d)", l.name, shp, l.In)
	}
	w, err := g.Node(l.Weight)
	if err != nil {
		return nil, errors.Wrapf(err, "nn: linear %q", l.name)
	}
	var b *gorgonia.Node
	if l.Bias != nil {
		if b, err = g.Node(l.Bias); err != nil {
			return nil, errors.Wrapf(err, "nn: linear %q", l.name)
		}
	}
	if relu {
		y, err = ops.LinearReLU(x, w, b)
	} else {
		y, err = ops.Linear(x, w, b)
	}
	if err != nil {
		return nil, errors.Wrapf(err, "nn: linear %q", l.name)
	}
	return y, nil
}

// Params returns [Weight, Bias] (or [Weight] with NoBias).
func (l *Linear) Params() []*graph.Param {
	if l.Bias == nil {
		return []*graph.Param{l.Weight}
	}
	return []*graph.Param{l.Weight, l.Bias}
}
