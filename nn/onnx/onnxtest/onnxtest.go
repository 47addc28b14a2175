// Package onnxtest holds the models nn/onnx's exporter is tested on, with inputs and
// a forward pass in gradflow, so that any ONNX runtime can be checked against
// gradflow's outputs: nn/onnx's tests run the ONNX checker on them, and the nested
// module nn/onnx/runtimetest runs them in the pure-Go runtime gonnx.
package onnxtest

import (
	"math/rand/v2"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// Case is a model to export, the shape of one example and a batch of inputs.
type Case struct {
	Name  string
	Model nn.Layer
	Input []int     // one example's shape, without the batch axis
	Batch int       // the batch of X
	X     []float64 // Batch examples, row-major
}

// Cases returns every test model, built in dtype dt with seeded weights (BatchNorm's
// running statistics moved off 0 and 1).
func Cases(dt graph.DType) ([]Case, error) {
	s := graph.NewScope(dt, graph.Seed(7))
	type spec struct {
		name  string
		input []int
		items []nn.LayerConfig
		ids   int // > 0: inputs are integer ids below it
	}
	specs := []spec{
		{"mlp", []int{4}, []nn.LayerConfig{nn.LinearConfig{In: 4, Out: 8, Activation: nn.ReLU}, nn.DropoutConfig{P: 0.3}, nn.LinearConfig{In: 8, Out: 3}}, 0},
		{"activations", []int{6}, []nn.LayerConfig{nn.LinearConfig{In: 6, Out: 6}, nn.Tanh, nn.SiLU, nn.LeakyReLU(0.2),
			nn.GELUTanh, nn.Sigmoid, nn.GELU, nn.LinearConfig{In: 6, Out: 5}, nn.LogSoftmax, nn.Softmax}, 0},
		{"cnn", []int{2, 6, 6}, []nn.LayerConfig{
			nn.Conv2DConfig{In: 2, Out: 4, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}},
			nn.BatchNorm2DConfig{Features: 4}, nn.ReLU, nn.MaxPool2DConfig{Kernel: [2]int{2, 2}},
			nn.Conv2DConfig{In: 4, Out: 4, Kernel: [2]int{2, 2}, Stride: [2]int{1, 1}, Dilation: [2]int{1, 1}},
			nn.AvgPool2DConfig{Kernel: [2]int{2, 2}, Stride: [2]int{1, 1}},
			nn.FlattenConfig{}, nn.LinearConfig{In: 4, Out: 5}}, 0},
		{"resnet_block", []int{3, 5, 5}, []nn.LayerConfig{
			nn.ResidualConfig{Inner: []nn.LayerConfig{
				nn.Conv2DConfig{In: 3, Out: 4, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, NoBias: true},
				nn.BatchNorm2DConfig{Features: 4}, nn.ReLU},
				Projection: []nn.LayerConfig{nn.Conv2DConfig{In: 3, Out: 4, Kernel: [2]int{1, 1}}}},
			nn.GlobalAvgPool2DConfig{}, nn.LinearConfig{In: 4, Out: 2}}, 0},
		{"conv1d", []int{3, 9}, []nn.LayerConfig{nn.Conv1DConfig{In: 3, Out: 4, Kernel: 3, Stride: 2, Padding: 1},
			nn.BatchNorm1DConfig{Features: 4}, nn.ReLU, nn.ReshapeConfig{Shape: []int{-1}}, nn.LinearConfig{In: 20, Out: 2}}, 0},
		{"lstm", []int{7, 5}, []nn.LayerConfig{nn.LSTMConfig{In: 5, Hidden: 6}, nn.FlattenConfig{}, nn.LinearConfig{In: 42, Out: 3}}, 0},
		{"gru", []int{4, 3}, []nn.LayerConfig{nn.GRUConfig{In: 3, Hidden: 5}, nn.FlattenConfig{}, nn.LinearConfig{In: 20, Out: 2}}, 0},
		{"rnn", []int{4, 3}, []nn.LayerConfig{nn.RNNConfig{In: 3, Hidden: 5}, nn.FlattenConfig{}, nn.LinearConfig{In: 20, Out: 2}}, 0},
		{"transformer", []int{5, 8}, []nn.LayerConfig{nn.TransformerEncoderLayerConfig{Embed: 8, Heads: 2, FF: 16}}, 0},
		{"attention_norms", []int{4, 6}, []nn.LayerConfig{nn.LayerNormConfig{Dim: 6},
			nn.MultiHeadAttentionConfig{Embed: 6, Heads: 3, Causal: true}, nn.RMSNormConfig{Dim: 6}, nn.FlattenConfig{}}, 0},
		// cases of the ops that the pure-Go runtime gonnx has (no norms, pools, Erf)
		{"conv_plain", []int{2, 7, 7}, []nn.LayerConfig{nn.Conv2DConfig{In: 2, Out: 3, Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}},
			nn.ReLU, nn.ReshapeConfig{Shape: []int{3, -1}}, nn.Conv1DConfig{In: 3, Out: 2, Kernel: 2}, nn.FlattenConfig{}, nn.LinearConfig{In: 30, Out: 3}, nn.Softmax}, 0},
		{"attention", []int{4, 6}, []nn.LayerConfig{nn.MultiHeadAttentionConfig{Embed: 6, Heads: 2, Causal: true},
			nn.MultiHeadAttentionConfig{Embed: 6, Heads: 3}, nn.FlattenConfig{}, nn.LinearConfig{In: 24, Out: 4, Activation: nn.Tanh}, nn.SiLU, nn.Sigmoid}, 0},
		{"embedding", []int{5}, []nn.LayerConfig{nn.EmbeddingConfig{Num: 11, Dim: 4}, nn.FlattenConfig{}, nn.LinearConfig{In: 20, Out: 3}}, 11},
	}
	rng := rand.New(rand.NewPCG(7, 14))
	var out []Case
	for _, sp := range specs {
		m, err := nn.NewSequential(s.Sub(sp.name), sp.items...)
		if err != nil {
			return nil, errors.Wrapf(err, "onnxtest: %s", sp.name)
		}
		for i, p := range m.Params() {
			if p.Kind() == graph.State {
				v := make([]float64, p.Size())
				for j := range v {
					v[j] = 0.3 + 0.2*float64((i+j)%5)
				}
				if err := p.SetValues(v); err != nil {
					return nil, err
				}
			}
		}
		c := Case{Name: sp.name, Model: m, Input: sp.input, Batch: 3}
		n := c.Batch
		for _, d := range sp.input {
			n *= d
		}
		c.X = make([]float64, n)
		for i := range c.X {
			if sp.ids > 0 {
				c.X[i] = float64(rng.IntN(sp.ids))
			} else {
				c.X[i] = rng.NormFloat64()
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// Forward runs m in an Eval graph on a batch x of the given shape and returns the
// output's values and shape.
func Forward(m nn.Layer, dt graph.DType, shape []int, x []float64) ([]float64, []int, error) {
	g := graph.New(dt, graph.Eval)
	in, err := g.Input("x", shape...)
	if err != nil {
		return nil, nil, err
	}
	y, err := nn.Forward(m, g, in)
	if err != nil {
		return nil, nil, err
	}
	mach, err := graph.Compile(g, graph.ForwardOnly(), graph.Outputs(y))
	if err != nil {
		return nil, nil, err
	}
	defer mach.Close()
	var xt *tensor.Dense
	if dt == graph.Float32 {
		v := make([]float32, len(x))
		for i := range x {
			v[i] = float32(x[i])
		}
		xt = tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))
	} else {
		xt = tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]float64(nil), x...)))
	}
	if err := mach.Run(graph.Feeds{in: xt}); err != nil {
		return nil, nil, err
	}
	out, err := mach.Output(y)
	if err != nil {
		return nil, nil, err
	}
	oshape := append([]int(nil), out.Shape()...)
	switch d := out.Data().(type) {
	case []float32:
		r := make([]float64, len(d))
		for i := range d {
			r[i] = float64(d[i])
		}
		return r, oshape, nil
	case []float64:
		return append([]float64(nil), d...), oshape, nil
	}
	return nil, nil, errors.Errorf("onnxtest: output of type %T", out.Data())
}
