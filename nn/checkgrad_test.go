package nn_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/gradflow/gradflow/ops"
)

func input(dt tensor.Dtype, shape ...int) *tensor.Dense {
	n := 1
	for _, d := range shape {
		n *= d
	}
	if dt == tensor.Float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(math.Sin(float64(3*i + 1)))
		}
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))
	}
	v := make([]float64, n)
	for i := range v {
		v[i] = math.Sin(float64(3*i + 1))
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))
}

// brokenLayer computes 3·x·w but claims the gradient of x·w: CheckGrad must catch it.
type brokenLayer struct{ w *graph.Param }

var brokenDef = &ops.Def[struct{}]{
	Name: "Triple", Arity: 1,
	Shape: func(_ struct{}, in []tensor.Shape) (tensor.Shape, error) { return in[0], nil },
	Forward: func(_ struct{}, in []*tensor.Dense, out *tensor.Dense) error {
		for i, v := range in[0].Float64s() {
			out.Float64s()[i] = 3 * v
		}
		return nil
	},
	Backward: func(_ struct{}, _ []*gorgonia.Node, _, dy *gorgonia.Node) ([]*gorgonia.Node, error) {
		return []*gorgonia.Node{dy}, nil
	},
}

func (b brokenLayer) Forward(g *graph.Graph, x *gorgonia.Node) (*gorgonia.Node, error) {
	w, err := g.Node(b.w)
	if err != nil {
		return nil, err
	}
	y, err := gorgonia.Mul(x, w)
	if err != nil {
		return nil, err
	}
	return brokenDef.Apply(struct{}{}, y)
}
func (b brokenLayer) Params() []*graph.Param { return []*graph.Param{b.w} }

func TestCheckGradLayers(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		s := graph.NewScope(dt, graph.Seed(1))
		lin, _ := nn.NewLinear(s.Sub("lin"), nn.LinearConfig{In: 4, Out: 3, Activation: nn.GELU})
		conv, _ := nn.NewConv2D(s.Sub("conv"), nn.Conv2DConfig{In: 2, Out: 3, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}})
		lstm, _ := nn.NewLSTM(s.Sub("lstm"), nn.LSTMConfig{In: 3, Hidden: 4})
		emb, _ := nn.NewEmbedding(s.Sub("emb"), nn.EmbeddingConfig{Num: 5, Dim: 3})
		ids := input(dt, 2, 3)
		for i := range 6 {
			if dt == tensor.Float64 {
				ids.Float64s()[i] = float64(i % 5)
			} else {
				ids.Float32s()[i] = float32(i % 5)
			}
		}
		for _, c := range []struct {
			l   nn.Layer
			x   *tensor.Dense
			opt nn.CheckOptions
			n   int
		}{
			{lin, input(dt, 5, 4), nn.CheckOptions{}, 20 + 12 + 3},
			{conv, input(dt, 1, 2, 4, 4), nn.CheckOptions{}, 32 + 54 + 3},
			{lstm, input(dt, 2, 3, 3), nn.CheckOptions{}, 18 + 4*4*3 + 4*4*4 + 16 + 16},
			{emb, ids, nn.CheckOptions{NoInputGrad: true}, 15},
		} {
			rep, err := nn.CheckGrad(c.l, c.x, c.opt)
			if err != nil || !rep.Passed || rep.Checked != c.n {
				t.Errorf("%v %T: %v, %v (want %d elements)", dt, c.l, rep, err, c.n)
			}
		}
	}
	s := graph.NewScope(graph.Float64, graph.Seed(1))
	w, _ := s.Param("w", graph.Weight, []int{3, 2}, graph.Constant{Value: 0.5})
	rep, err := nn.CheckGrad(brokenLayer{w}, input(graph.Float64, 2, 3), nn.CheckOptions{})
	if err == nil || rep == nil || rep.Passed || !strings.Contains(err.Error(), "gradient mismatch") {
		t.Errorf("a wrong gradient: %v, %v", rep, err)
	}
	if _, err := nn.CheckGrad(nil, input(graph.Float64, 1), nn.CheckOptions{}); err == nil {
		t.Error("nil layer: no error")
	}
	lin, _ := nn.NewLinear(s.Sub("l"), nn.LinearConfig{In: 4, Out: 3})
	if _, err := nn.CheckGrad(lin, input(graph.Float64, 2, 5), nn.CheckOptions{}); err == nil || !strings.Contains(err.Error(), `linear "l"`) {
		t.Errorf("wrong input width: %v", err)
	}
}

// Check a layer's gradients numerically, with respect to its input and its params.
func ExampleCheckGrad() {
	s := graph.NewScope(graph.Float64, graph.Seed(1))
	layer, err := nn.NewLinear(s.Sub("fc"), nn.LinearConfig{In: 3, Out: 2, Activation: nn.Tanh})
	if err != nil {
		panic(err)
	}
	x := tensor.New(tensor.WithShape(4, 3), tensor.WithBacking([]float64{0.1, -0.2, 0.3, 0.4, 0.5, -0.6, 0.7, 0.8, 0.9, -1, 1.1, 0.2}))
	rep, err := nn.CheckGrad(layer, x, nn.CheckOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Println(rep.Passed, rep.Checked)
	// Output: true 20
}
