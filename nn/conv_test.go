package nn

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gradflow/gradflow/graph"
)

// convCases cover the geometry of a convolution: stride, padding, dilation, non-square
// kernels and inputs, 1x1 kernels (the op's direct path), batch 1 and one channel.
var convCases = []struct {
	name     string
	x        []int // (N, C, H, W)
	out      int
	kernel   [2]int
	stride   [2]int
	padding  [2]int
	dilation [2]int
	noBias   bool
}{
	{name: "3x3", x: []int{2, 2, 5, 5}, out: 3, kernel: [2]int{3, 3}},
	{name: "stride2_pad1", x: []int{2, 2, 5, 6}, out: 2, kernel: [2]int{3, 3}, stride: [2]int{2, 2}, padding: [2]int{1, 1}},
	{name: "nonsquare", x: []int{1, 3, 4, 7}, out: 2, kernel: [2]int{2, 3}, stride: [2]int{1, 2}, padding: [2]int{0, 2}},
	{name: "dilation", x: []int{2, 1, 6, 5}, out: 2, kernel: [2]int{2, 2}, dilation: [2]int{2, 3}, padding: [2]int{1, 0}},
	{name: "1x1", x: []int{2, 3, 3, 4}, out: 2, kernel: [2]int{1, 1}},
	{name: "1x1_stride2", x: []int{1, 3, 5, 4}, out: 2, kernel: [2]int{1, 1}, stride: [2]int{2, 2}, noBias: true},
	{name: "batch1_chan1_nobias", x: []int{1, 1, 4, 3}, out: 1, kernel: [2]int{3, 2}, padding: [2]int{1, 1}, noBias: true},
	{name: "kernel_larger_than_input", x: []int{1, 2, 2, 2}, out: 2, kernel: [2]int{3, 3}, padding: [2]int{1, 1}, stride: [2]int{3, 1}},
}

func TestConv2DGradient(t *testing.T) {
	for _, dt := range dtypes {
		for _, c := range convCases {
			t.Run(dt.String()+"/"+c.name, func(t *testing.T) {
				s := graph.NewScope(dt, graph.Seed(3))
				l, err := NewConv2D(s.Sub("conv"), Conv2DConfig{In: c.x[1], Out: c.out, Kernel: c.kernel,
					Stride: c.stride, Padding: c.padding, Dilation: c.dilation, NoBias: c.noBias})
				if err != nil {
					t.Fatal(err)
				}
				checkLayerGrad(t, dt, l, randTensor(dt, 7, c.x...))
			})
		}
	}
}

func TestConv1DGradient(t *testing.T) {
	cases := []struct {
		name                              string
		x                                 []int
		out, k, stride, padding, dilation int
	}{
		{"k3", []int{2, 2, 7}, 3, 3, 0, 0, 0},
		{"stride2_pad1_dil2", []int{2, 3, 9}, 2, 3, 2, 1, 2},
		{"batch1_chan1_k1", []int{1, 1, 5}, 2, 1, 0, 0, 0},
	}
	for _, dt := range dtypes {
		for _, c := range cases {
			t.Run(dt.String()+"/"+c.name, func(t *testing.T) {
				s := graph.NewScope(dt, graph.Seed(4))
				l, err := NewConv1D(s.Sub("conv"), Conv1DConfig{In: c.x[1], Out: c.out, Kernel: c.k,
					Stride: c.stride, Padding: c.padding, Dilation: c.dilation})
				if err != nil {
					t.Fatal(err)
				}
				checkLayerGrad(t, dt, l, randTensor(dt, 8, c.x...))
			})
		}
	}
}

func TestConvShapesAndErrors(t *testing.T) {
	s := graph.NewScope(graph.Float32, graph.Seed(1))
	l, err := NewConv2D(s.Sub("c1"), Conv2DConfig{In: 3, Out: 8, Kernel: [2]int{3, 5}, Stride: [2]int{2, 1}, Padding: [2]int{1, 2}, Dilation: [2]int{1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(l.Weight.Shape(), l.Bias.Shape()); got != "[8 3 3 5] [8]" {
		t.Errorf("param shapes %s, want [8 3 3 5] [8]", got)
	}
	g := graph.New(graph.Float32, graph.Eval)
	x, _ := g.Input("x", 2, 3, 9, 10)
	y, err := l.Forward(g, x)
	if err != nil {
		t.Fatal(err)
	}
	// H' = (9+2-2-1)/2+1 = 5; W' = (10+4-8-1)/1+1 = 6.
	if got := fmt.Sprint(y.Shape()); got != "(2, 8, 5, 6)" {
		t.Errorf("output shape %s, want (2, 8, 5, 6)", got)
	}
	bad := []struct {
		cfg  Conv2DConfig
		want string
	}{
		{Conv2DConfig{In: 0, Out: 1, Kernel: [2]int{1, 1}}, `nn: conv2d "bad": In = 0, Out = 1, want both > 0`},
		{Conv2DConfig{In: 1, Out: 1, Kernel: [2]int{0, 1}}, `nn: conv2d "bad": Kernel = [0 1], want both > 0`},
		{Conv2DConfig{In: 1, Out: 1, Kernel: [2]int{1, 1}, Stride: [2]int{-1, 1}}, `Stride = [-1 1]`},
		{Conv2DConfig{In: 1, Out: 1, Kernel: [2]int{1, 1}, Padding: [2]int{0, -1}}, `Padding = [0 -1]`},
		{Conv2DConfig{In: 1, Out: 1, Kernel: [2]int{1, 1}, Dilation: [2]int{-2, 1}}, `Dilation = [-2 1]`},
	}
	for _, b := range bad {
		if _, err := NewConv2D(s.Sub("bad"), b.cfg); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%+v: err = %v, want %q", b.cfg, err, b.want)
		}
	}
	for _, in := range [][]int{{2, 4, 9, 10}, {2, 3, 9}, {1, 3, 1, 1}} {
		x, _ := g.Input(fmt.Sprint("x", in), in...)
		_, err := l.Forward(g, x)
		if err == nil || !strings.Contains(err.Error(), `conv2d "c1"`) || !strings.Contains(err.Error(), "input shape") {
			t.Errorf("input %v: err = %v", in, err)
		}
	}
	c1, err := NewConv1D(s.Sub("c1d"), Conv1DConfig{In: 2, Out: 4, Kernel: 3, Padding: 1, NoBias: true})
	if err != nil {
		t.Fatal(err)
	}
	if c1.Bias != nil || len(c1.Params()) != 1 || fmt.Sprint(c1.Weight.Shape()) != "[4 2 3]" {
		t.Errorf("conv1d params %v", c1.Params())
	}
	x1, _ := g.Input("x1", 3, 2, 6)
	y1, err := c1.Forward(g, x1)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(y1.Shape()); got != "(3, 4, 6)" {
		t.Errorf("conv1d output shape %s, want (3, 4, 6)", got)
	}
	x2, _ := g.Input("x2", 3, 6)
	if _, err := c1.Forward(g, x2); err == nil || !strings.Contains(err.Error(), "want (N, 2, L)") {
		t.Errorf("conv1d on 2-D input: err = %v", err)
	}
}

// TestConvDefaultInit checks PyTorch's default bounds: 1/sqrt(In*kH*kW) for the
// weight and the bias.
func TestConvDefaultInit(t *testing.T) {
	s := graph.NewScope(graph.Float64, graph.Seed(5))
	l, err := NewConv2D(s.Sub("c"), Conv2DConfig{In: 16, Out: 64, Kernel: [2]int{5, 5}})
	if err != nil {
		t.Fatal(err)
	}
	bound := 1 / 20.0 // 1/sqrt(16*5*5)
	for _, p := range l.Params() {
		var maxAbs float64
		for _, v := range p.Float64s() {
			maxAbs = max(maxAbs, v, -v)
		}
		if maxAbs > bound || maxAbs < 0.9*bound {
			t.Errorf("%s: max |v| = %v, want just under %v", p.Name(), maxAbs, bound)
		}
	}
}

func TestConv2DGolden(t *testing.T) {
	runGoldenCases(t, "conv2d.json", graph.Train, func(s *graph.Scope, c goldenCase) (Layer, string, error) {
		cfg := c.Config
		return mustLayer(NewConv2D(s, Conv2DConfig{In: cfgInt(cfg, "in"), Out: cfgInt(cfg, "out"),
			Kernel: cfgPair(cfg, "kernel"), Stride: cfgPair(cfg, "stride"), Padding: cfgPair(cfg, "padding"),
			Dilation: cfgPair(cfg, "dilation"), NoBias: cfg["bias"] == false}))
	})
}

func TestConv1DGolden(t *testing.T) {
	runGoldenCases(t, "conv1d.json", graph.Train, func(s *graph.Scope, c goldenCase) (Layer, string, error) {
		cfg := c.Config
		return mustLayer(NewConv1D(s, Conv1DConfig{In: cfgInt(cfg, "in"), Out: cfgInt(cfg, "out"),
			Kernel: cfgInt(cfg, "kernel"), Stride: cfgInt(cfg, "stride"), Padding: cfgInt(cfg, "padding"),
			Dilation: cfgInt(cfg, "dilation"), NoBias: cfg["bias"] == false}))
	})
}

// mustLayer adapts a constructor's (layer, error) to runGoldenCases' build (no prefix:
// the layer's Params are "m/weight", "m/bias").
func mustLayer[L Layer](l L, err error) (Layer, string, error) {
	if err != nil {
		return nil, "", err
	}
	return l, "", nil
}
