package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/ops"
	"gorgonia.org/tensor"
)

// distinctTensor returns a tensor of the given shape holding a seeded permutation of
// -1, -1+0.1, -1+0.2, ...: no two values are closer than 0.1, so a finite-difference
// step (1e-2 in float32) never swaps a window's maximum.
func distinctTensor(dt graph.DType, seed uint64, shape ...int) *tensor.Dense {
	n := 1
	for _, d := range shape {
		n *= d
	}
	perm := rand.New(rand.NewPCG(seed, 3)).Perm(n)
	v := make([]float64, n)
	for i, p := range perm {
		v[i] = -1 + 0.1*float64(p)
	}
	return fromF64(dt, v, shape...)
}

var poolCases = []struct {
	name string
	x    []int
	cfg  ops.Pool2DOptions
}{
	{"2x2", []int{2, 2, 4, 4}, ops.Pool2DOptions{Kernel: [2]int{2, 2}}},
	{"3x3_stride2_pad1", []int{1, 2, 5, 6}, ops.Pool2DOptions{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}},
	{"nonsquare_overlap", []int{2, 1, 4, 5}, ops.Pool2DOptions{Kernel: [2]int{2, 3}, Stride: [2]int{1, 2}, Padding: [2]int{1, 1}}},
	{"exclude_pad", []int{1, 1, 5, 5}, ops.Pool2DOptions{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, ExcludePad: true}},
	{"batch1_chan1_odd", []int{1, 1, 3, 5}, ops.Pool2DOptions{Kernel: [2]int{2, 2}}},
}

func TestPoolGradient(t *testing.T) {
	for _, dt := range dtypes {
		for _, c := range poolCases {
			s := graph.NewScope(dt)
			mp, err := NewMaxPool2D(s.Sub("max_"+c.name), MaxPool2DConfig(c.cfg))
			if err != nil {
				t.Fatal(err)
			}
			ap, err := NewAvgPool2D(s.Sub("avg_"+c.name), AvgPool2DConfig(c.cfg))
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range []*Pool2D{mp, ap} {
				t.Run(fmt.Sprintf("%v/%s/%s", dt, l.kind(), c.name), func(t *testing.T) {
					checkLayerGrad(t, dt, l, distinctTensor(dt, 5, c.x...))
				})
			}
		}
		for _, keep := range []bool{false, true} {
			for _, shape := range [][]int{{2, 3, 4, 5}, {1, 1, 1, 3}} {
				t.Run(fmt.Sprintf("%v/global/keepdims=%t/%v", dt, keep, shape), func(t *testing.T) {
					l, _ := NewGlobalAvgPool2D(graph.NewScope(dt).Sub("gap"), GlobalAvgPool2DConfig{KeepDims: keep})
					checkLayerGrad(t, dt, l, randTensor(dt, 6, shape...))
				})
			}
		}
	}
}

func TestPoolGolden(t *testing.T) {
	runGoldenCases(t, "pool.json", graph.Train, func(s *graph.Scope, c goldenCase) (Layer, string, error) {
		cfg := ops.Pool2DOptions{Kernel: cfgPair(c.Config, "kernel"), Stride: cfgPair(c.Config, "stride"),
			Padding: cfgPair(c.Config, "padding"), ExcludePad: c.Config["exclude_pad"] == true}
		switch c.Config["kind"] {
		case "max":
			return mustLayer(NewMaxPool2D(s, MaxPool2DConfig(cfg)))
		case "avg":
			return mustLayer(NewAvgPool2D(s, AvgPool2DConfig(cfg)))
		}
		return mustLayer(NewGlobalAvgPool2D(s, GlobalAvgPool2DConfig{KeepDims: c.Config["keep_dims"] == true}))
	})
}

// TestMaxPoolNaN checks that a NaN makes its window's maximum NaN, and that the run
// (forward and backward) returns instead of crashing, as gorgonia's MaxPool2D does.
func TestMaxPoolNaN(t *testing.T) {
	s := graph.NewScope(graph.Float64)
	l, err := NewMaxPool2D(s.Sub("pool"), MaxPool2DConfig{Kernel: [2]int{2, 2}})
	if err != nil {
		t.Fatal(err)
	}
	x := fromF64(graph.Float64, []float64{1, math.NaN(), 5, 2, 3, 4, 0, -1, math.NaN(), math.NaN(), 7, 8, math.NaN(), math.NaN(), 6, 9}, 1, 1, 4, 4)
	got := runForward(t, graph.Float64, l, x)
	if !math.IsNaN(got[0]) || got[1] != 5 || !math.IsNaN(got[2]) || got[3] != 9 {
		t.Errorf("max pool = %v, want [NaN 5 NaN 9]", got)
	}
	r, err := newGoldenRunner(graph.Float64, graph.Train, goldenModel{layer: l, scope: s}, []int{1, 1, 4, 4})
	if err != nil {
		t.Fatal(err)
	}
	_ = r.x.SetValues(x.Float64s())
	if err := r.m.Run(graph.Feeds{r.w: fromF64(graph.Float64, []float64{1, 1, 1, 1}, 1, 1, 2, 2)}); err != nil {
		t.Fatal(err)
	}
	// The gradient of each window goes to one element: the first NaN or the maximum.
	want := []float64{0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1}
	if got := toF64(r.x.Grad().Data()); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("gradient %v, want %v", got, want)
	}
}

func TestPoolShapesAndErrors(t *testing.T) {
	s := graph.NewScope(graph.Float32)
	g := graph.New(graph.Float32, graph.Eval)
	x, _ := g.Input("x", 2, 3, 7, 6)
	mp, err := NewMaxPool2D(s.Sub("p"), MaxPool2DConfig{Kernel: [2]int{3, 2}})
	if err != nil {
		t.Fatal(err)
	}
	if mp.Stride != [2]int{3, 2} {
		t.Errorf("default stride %v, want the kernel (3, 2)", mp.Stride)
	}
	y, err := mp.Forward(g, x)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(y.Shape()); got != "(2, 3, 2, 3)" {
		t.Errorf("max pool output %s, want (2, 3, 2, 3)", got)
	}
	gap, _ := NewGlobalAvgPool2D(s.Sub("gap"), GlobalAvgPool2DConfig{})
	if y, err = gap.Forward(g, x); err != nil || fmt.Sprint(y.Shape()) != "(2, 3)" {
		t.Errorf("global pool output %v (err %v), want (2, 3)", y.Shape(), err)
	}
	bad := []struct {
		cfg  ops.Pool2DOptions
		want string
	}{
		{ops.Pool2DOptions{}, "Kernel = [0 0], want both > 0"},
		{ops.Pool2DOptions{Kernel: [2]int{2, 2}, Padding: [2]int{2, 0}}, "Padding = [2 0], want each in [0, kernel/2]"},
		{ops.Pool2DOptions{Kernel: [2]int{2, 2}, Stride: [2]int{-1, 1}}, "Stride = [-1 1]"},
	}
	for _, b := range bad {
		if _, err := NewAvgPool2D(s.Sub("bad"), AvgPool2DConfig(b.cfg)); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%+v: err = %v, want %q", b.cfg, err, b.want)
		}
	}
	big, _ := NewMaxPool2D(s.Sub("big"), MaxPool2DConfig{Kernel: [2]int{8, 2}})
	if _, err := big.Forward(g, x); err == nil || !strings.Contains(err.Error(), `maxpool2d "big": input shape (2, 3, 7, 6) is smaller than kernel`) {
		t.Errorf("kernel larger than input: err = %v", err)
	}
	x3, _ := g.Input("x3", 2, 3, 7)
	for _, l := range []Layer{mp, gap} {
		if _, err := l.Forward(g, x3); err == nil || !strings.Contains(err.Error(), "want (N, C, H, W)") {
			t.Errorf("%T on 3-D input: err = %v", l, err)
		}
	}
}
