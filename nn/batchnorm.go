package nn

import (
	"fmt"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/ops"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
)

// BatchNormConfig holds the hyperparameters of batch normalisation. BatchNorm1DConfig
// and BatchNorm2DConfig have these fields and build the 1-D and 2-D layers.
//
// Momentum, Eps and FreezeStats are ops.BatchNormOptions' fields, with its rule (zero
// values are PyTorch's defaults, validated by ops.BatchNormOptions.Validate); the
// Graph's mode sets the options' Training.
type BatchNormConfig struct {
	// Features is the number of channels C, > 0.
	Features int
	// Momentum is the weight of the batch statistics in the running averages,
	// running = (1-Momentum)*running + Momentum*batch (PyTorch's convention, the
	// complement of Keras'), in [0, 1]. 0 means PyTorch's default 0.1. (To freeze the
	// running statistics, run the model in an evaluation graph, or set FreezeStats.)
	Momentum float64
	// Eps is added to the variance before the square root. 0 means PyTorch's 1e-5.
	Eps float64
	// FreezeStats keeps the running statistics unchanged in training graphs, which
	// still normalise with the batch's statistics (PyTorch's momentum=0).
	FreezeStats bool
}

// options returns the ops options of the config, for a graph in training or not.
func (c BatchNormConfig) options(training bool) ops.BatchNormOptions {
	return ops.BatchNormOptions{Momentum: c.Momentum, Eps: c.Eps, Training: training, FreezeStats: c.FreezeStats}
}

// BatchNorm1DConfig configures a BatchNorm1D layer (see NewBatchNorm1D).
type BatchNorm1DConfig BatchNormConfig

// BatchNorm2DConfig configures a BatchNorm2D layer (see NewBatchNorm2D).
type BatchNorm2DConfig BatchNormConfig

// BatchNorm is batch normalisation (Ioffe & Szegedy, 2015), PyTorch's BatchNorm1d and
// BatchNorm2d:
//
//	y = Weight[c] * (x - mean[c]) / sqrt(var[c] + Eps) + Bias[c]
//
// BatchNorm1D takes (N, C) or (N, C, L); BatchNorm2D takes (N, C, H, W). The output has
// the input's shape. The statistics of channel c are taken over every axis but 1.
//
// Params, named as in PyTorch's state_dict:
//   - Weight "weight" (C), the scale gamma, kind Weight, initialised to 1;
//   - Bias "bias" (C), the shift beta, kind Bias, initialised to 0;
//   - RunningMean "running_mean" (C), kind State, initialised to 0;
//   - RunningVar "running_var" (C), kind State, initialised to 1.
//
// The mode of the Graph decides the statistics. In a Train graph, mean and var are the
// batch's (biased variance), and every run updates the running averages in place
// (unless FreezeStats): running = (1-Momentum)*running + Momentum*batch, with the
// unbiased variance for RunningVar. In an Eval graph, mean and var are RunningMean and
// RunningVar, and nothing is updated. The running statistics are Params of kind State:
// they are saved and loaded with the weights, never trained, and shared by every graph of the
// model. Training needs more than one value per channel (a batch of one (N, C) row
// is an error, as in PyTorch).
//
// It runs on ops.BatchNorm, one op with a fused backward.
type BatchNorm struct {
	Weight, Bias            *graph.Param
	RunningMean, RunningVar *graph.Param
	Features                int
	Momentum, Eps           float64 // the defaults filled in
	FreezeStats             bool
	spatial                 int // 1 for BatchNorm1D, 2 for BatchNorm2D
	name                    string
}

var (
	_ Layer       = (*BatchNorm)(nil)
	_ LayerConfig = BatchNorm1DConfig{}
	_ LayerConfig = BatchNorm2DConfig{}
)

// NewBatchNorm1D creates a BatchNorm layer for inputs (N, C) or (N, C, L), with Params
// "<scope>/weight", "<scope>/bias", "<scope>/running_mean" and "<scope>/running_var".
func NewBatchNorm1D(s *graph.Scope, cfg BatchNorm1DConfig) (*BatchNorm, error) {
	return newBatchNorm(s, BatchNormConfig(cfg), 1)
}

// NewBatchNorm2D creates a BatchNorm layer for inputs (N, C, H, W), with Params
// "<scope>/weight", "<scope>/bias", "<scope>/running_mean" and "<scope>/running_var".
func NewBatchNorm2D(s *graph.Scope, cfg BatchNorm2DConfig) (*BatchNorm, error) {
	return newBatchNorm(s, BatchNormConfig(cfg), 2)
}

// Build implements LayerConfig.
func (c BatchNorm1DConfig) Build(s *graph.Scope) (Layer, error) { return NewBatchNorm1D(s, c) }

// Build implements LayerConfig.
func (c BatchNorm2DConfig) Build(s *graph.Scope) (Layer, error) { return NewBatchNorm2D(s, c) }

func newBatchNorm(s *graph.Scope, cfg BatchNormConfig, spatial int) (*BatchNorm, error) {
	l := &BatchNorm{Features: cfg.Features, FreezeStats: cfg.FreezeStats, spatial: spatial, name: s.Name()}
	if cfg.Features <= 0 {
		return nil, errors.Errorf("nn: %s %q: Features = %d, want > 0", l.kind(), l.name, cfg.Features)
	}
	o := cfg.options(false)
	if err := o.Validate(); err != nil {
		return nil, errors.Wrapf(err, "nn: %s %q", l.kind(), l.name)
	}
	o = o.WithDefaults()
	l.Momentum, l.Eps = o.Momentum, o.Eps
	shape := []int{cfg.Features}
	params := []struct {
		p    **graph.Param
		name string
		kind graph.Kind
		init graph.Initializer
	}{
		{&l.Weight, "weight", graph.Weight, graph.Ones{}},
		{&l.Bias, "bias", graph.Bias, graph.Zeros{}},
		{&l.RunningMean, "running_mean", graph.State, graph.Zeros{}},
		{&l.RunningVar, "running_var", graph.State, graph.Ones{}},
	}
	for _, p := range params {
		var err error
		if *p.p, err = s.Param(p.name, p.kind, shape, p.init); err != nil {
			return nil, errors.Wrapf(err, "nn: %s %q", l.kind(), l.name)
		}
	}
	return l, nil
}

func (l *BatchNorm) kind() string {
	if l.spatial == 2 {
		return "batchnorm2d"
	}
	return "batchnorm1d"
}

// Forward normalises x: (N, C) or (N, C, L) for BatchNorm1D, (N, C, H, W) for
// BatchNorm2D. In a Train graph every run of the graph updates RunningMean and
// RunningVar.
func (l *BatchNorm) Forward(g *graph.Graph, x *gorgonia.Node) (y *gorgonia.Node, err error) {
	if x == nil {
		return nil, errors.Errorf("nn: %s %q: nil input", l.kind(), l.name)
	}
	shp := x.Shape()
	okRank := len(shp) == 4
	want := "(N, %d, H, W)"
	if l.spatial == 1 {
		okRank = len(shp) == 2 || len(shp) == 3
		want = "(N, %d) or (N, %d, L)"
	}
	if !okRank || shp[1] != l.Features {
		if l.spatial == 1 {
			return nil, errors.Errorf("nn: %s %q: input shape %v, want "+want, l.kind(), l.name, shp, l.Features, l.Features)
		}
		return nil, errors.Errorf("nn: %s %q: input shape %v, want "+want, l.kind(), l.name, shp, l.Features)
	}
	if g.Training() && shp.TotalSize()/shp[1] < 2 {
		return nil, errors.Errorf("nn: %s %q: input shape %v: training needs more than one value per channel", l.kind(), l.name, shp)
	}
	nodes := make([]*gorgonia.Node, 4)
	for i, p := range []*graph.Param{l.Weight, l.Bias, l.RunningMean, l.RunningVar} {
		if nodes[i], err = g.Node(p); err != nil {
			return nil, errors.Wrapf(err, "nn: %s %q", l.kind(), l.name)
		}
	}
	y, err = ops.BatchNorm(x, nodes[0], nodes[1], nodes[2], nodes[3],
		ops.BatchNormOptions{Momentum: l.Momentum, Eps: l.Eps, Training: g.Training(), FreezeStats: l.FreezeStats})
	if err != nil {
		return nil, errors.Wrapf(err, "nn: %s %q", l.kind(), l.name)
	}
	return y, nil
}

// Params returns [Weight, Bias, RunningMean, RunningVar]; the last two are of kind
// State (not trainable).
func (l *BatchNorm) Params() []*graph.Param {
	return []*graph.Param{l.Weight, l.Bias, l.RunningMean, l.RunningVar}
}

// String returns `batchnorm1d or batchnorm2d "<scope>"`, as errors name the layer.
func (l *BatchNorm) String() string { return fmt.Sprintf("%s %q", l.kind(), l.name) }
