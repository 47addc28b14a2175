package nn

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gradflow/gradflow/graph"
)

func TestResidualGradient(t *testing.T) {
	for _, dt := range dtypes {
		for _, proj := range []bool{false, true} {
			t.Run(fmt.Sprintf("%v/projection=%t", dt, proj), func(t *testing.T) {
				s := graph.NewScope(dt, graph.Seed(2))
				cfg := ResidualConfig{Inner: []LayerConfig{
					Conv2DConfig{In: 2, Out: 2, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}, Tanh,
					Conv2DConfig{In: 2, Out: 2, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}},
				}}
				if proj {
					cfg.Inner[0] = Conv2DConfig{In: 2, Out: 3, Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}
					cfg.Inner[2] = Conv2DConfig{In: 3, Out: 3, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}
					cfg.Projection = []LayerConfig{Conv2DConfig{In: 2, Out: 3, Kernel: [2]int{1, 1}, Stride: [2]int{2, 2}, NoBias: true}}
				}
				r, err := NewResidual(s.Sub("res"), cfg)
				if err != nil {
					t.Fatal(err)
				}
				checkLayerGrad(t, dt, r, randTensor(dt, 4, 1, 2, 3, 4))
			})
		}
	}
}

// TestResidualGolden compares ResNet-style blocks with PyTorch: a downsampling block
// (conv-BN-ReLU-conv-BN plus a 1x1 conv-BN projection, then ReLU) in training mode,
// running statistics included, and an identity block.
func TestResidualGolden(t *testing.T) {
	runGoldenCases(t, "conv_residual.json", graph.Train, func(s *graph.Scope, c goldenCase) (Layer, string, error) {
		var cfg ResidualConfig
		if strings.HasPrefix(c.Name, "downsampling") {
			cfg = ResidualConfig{
				Inner: []LayerConfig{
					Conv2DConfig{In: 2, Out: 3, Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, NoBias: true},
					BatchNorm2DConfig{Features: 3}, ReLU,
					Conv2DConfig{In: 3, Out: 3, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, NoBias: true},
					BatchNorm2DConfig{Features: 3},
				},
				Projection: []LayerConfig{
					Conv2DConfig{In: 2, Out: 3, Kernel: [2]int{1, 1}, Stride: [2]int{2, 2}, NoBias: true},
					BatchNorm2DConfig{Features: 3},
				},
			}
		} else {
			cfg = ResidualConfig{Inner: []LayerConfig{
				Conv2DConfig{In: 2, Out: 2, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}, ReLU,
				Conv2DConfig{In: 2, Out: 2, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}},
			}}
		}
		seq, err := NewSequential(s, cfg, ReLU)
		if err != nil {
			return nil, "", err
		}
		// PyTorch's "inner.0.weight" is "m/0/inner/0/weight" here.
		return seq, "0/", nil
	})
}

func TestResidualShapesAndErrors(t *testing.T) {
	s := graph.NewScope(graph.Float32)
	r, err := NewResidual(s.Sub("r"), ResidualConfig{
		Inner:      []LayerConfig{Conv2DConfig{In: 2, Out: 4, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}},
		Projection: []LayerConfig{Conv2DConfig{In: 2, Out: 4, Kernel: [2]int{1, 1}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range r.Params() {
		names = append(names, p.Name())
	}
	if got := strings.Join(names, " "); got != "r/inner/0/weight r/inner/0/bias r/proj/0/weight r/proj/0/bias" {
		t.Errorf("params %s", got)
	}
	g := graph.New(graph.Float32, graph.Eval)
	x, _ := g.Input("x", 1, 2, 5, 5)
	y, err := r.Forward(g, x)
	if err != nil || fmt.Sprint(y.Shape()) != "(1, 4, 5, 5)" {
		t.Errorf("output %v (err %v), want (1, 4, 5, 5)", y, err)
	}
	noProj, _ := NewResidual(s.Sub("np"), ResidualConfig{
		Inner: []LayerConfig{Conv2DConfig{In: 2, Out: 4, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}}})
	if _, err := noProj.Forward(g, x); err == nil ||
		!strings.Contains(err.Error(), `residual "np": inner output shape (1, 4, 5, 5) and input shape (1, 2, 5, 5) differ`) {
		t.Errorf("shape mismatch: err = %v", err)
	}
	if _, err := NewResidual(s.Sub("empty"), ResidualConfig{}); err == nil || !strings.Contains(err.Error(), "empty Inner") {
		t.Errorf("empty Inner: err = %v", err)
	}
	// A Residual around a layer built elsewhere.
	inner, _ := NewConv2D(s.Sub("c"), Conv2DConfig{In: 2, Out: 2, Kernel: [2]int{1, 1}})
	direct := &Residual{Inner: inner}
	if y, err := direct.Forward(g, x); err != nil || fmt.Sprint(y.Shape()) != "(1, 2, 5, 5)" || len(direct.Params()) != 2 {
		t.Errorf("direct residual: %v, %v, %d params", y, err, len(direct.Params()))
	}
}
