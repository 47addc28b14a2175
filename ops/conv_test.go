package ops

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
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

// convOpArgs returns a case's input, weight and bias (nil with noBias) tensors.
func convOpArgs(dt tensor.Dtype, x []int, out int, kernel []int, noBias bool) []*tensor.Dense {
	ins := []*tensor.Dense{randTensor(dt, 7, x...), randTensor(dt, 8, append([]int{out, x[1]}, kernel...)...)}
	if !noBias {
		ins = append(ins, randTensor(dt, 9, out))
	}
	return ins
}

// TestConv2DOpGradient checks Conv2D's gradients with respect to x, w and b
// numerically on every geometry of convCases.
func TestConv2DOpGradient(t *testing.T) {
	for _, dt := range dtypes {
		for _, c := range convCases {
			t.Run(dt.String()+"/"+c.name, func(t *testing.T) {
				checkConv2DGrad(t, dt, c.x, c.out, c.kernel, Conv2DOptions{Stride: c.stride, Padding: c.padding, Dilation: c.dilation}, c.noBias)
			})
		}
	}
}

func checkConv2DGrad(t *testing.T, dt tensor.Dtype, x []int, out int, kernel [2]int, o Conv2DOptions, noBias bool) {
	t.Helper()
	checkGradInputs(t, func(n []*gorgonia.Node) (*gorgonia.Node, error) {
		var b *gorgonia.Node
		if len(n) == 3 {
			b = n[2]
		}
		return Conv2D(n[0], n[1], b, o)
	}, convOpArgs(dt, x, out, kernel[:], noBias)...)
}

// TestConv1DOpGradient checks Conv1D's gradients numerically: stride, padding,
// dilation, batch 1, one channel, no bias.
func TestConv1DOpGradient(t *testing.T) {
	for _, dt := range dtypes {
		for _, c := range []struct {
			x      []int
			out, k int
			o      Conv1DOptions
			noBias bool
		}{
			{x: []int{2, 3, 7}, out: 2, k: 3},
			{x: []int{1, 2, 9}, out: 3, k: 2, o: Conv1DOptions{Stride: 2, Padding: 1, Dilation: 2}},
			{x: []int{1, 1, 4}, out: 1, k: 4, o: Conv1DOptions{Padding: 2}, noBias: true},
		} {
			t.Run(fmt.Sprintf("%v/%v/k%d/%+v", dt, c.x, c.k, c.o), func(t *testing.T) {
				checkGradInputs(t, func(n []*gorgonia.Node) (*gorgonia.Node, error) {
					var b *gorgonia.Node
					if len(n) == 3 {
						b = n[2]
					}
					return Conv1D(n[0], n[1], b, c.o)
				}, convOpArgs(dt, c.x, c.out, []int{c.k}, c.noBias)...)
			})
		}
	}
}

// convGoldenTol is nn's tolerance against PyTorch for the conv layers: relative to
// max(|want|, 1e-3·max|want|) (see convGoldenClose).
var convGoldenTol = map[tensor.Dtype]float64{tensor.Float64: 1e-6, tensor.Float32: 1e-4}

// convGoldenClose reports the first few elements of got that differ from want by more
// than rtol relative to max(|want|, 1e-3·max|want|), as nn's layer golden tests do.
func convGoldenClose(t *testing.T, what string, got, want []float64, rtol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values, want %d", what, len(got), len(want))
		return
	}
	var scale float64
	for _, v := range want {
		scale = math.Max(scale, math.Abs(v))
	}
	bad := 0
	for i := range want {
		if d := math.Abs(got[i] - want[i]); !(d <= rtol*math.Max(math.Abs(want[i]), 1e-3*scale)) {
			if bad < 3 {
				t.Errorf("%s[%d] = %.10g, want %.10g (diff %.2g)", what, i, got[i], want[i], d)
			}
			bad++
		}
	}
	if bad > 3 {
		t.Errorf("%s: %d of %d values differ", what, bad, len(want))
	}
}

// TestConvGolden compares Conv2D and Conv1D with PyTorch's F.conv2d and F.conv1d on
// the layer fixtures (testdata/nn/gen_conv.py): the output and the gradients of
// sum(y·w) with respect to x, the weight and the bias.
func TestConvGolden(t *testing.T) {
	type fix struct {
		Shape []int     `json:"shape"`
		Data  []float64 `json:"data"`
	}
	for _, file := range []string{"conv2d.json", "conv1d.json"} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", "nn", file))
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Cases []struct {
				Name   string         `json:"name"`
				Config map[string]any `json:"config"`
				Params map[string]fix `json:"params"`
				X      fix            `json:"x"`
				W      fix            `json:"w"`
				Y      fix            `json:"y"`
				Grads  map[string]fix `json:"grads"`
			} `json:"cases"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if len(doc.Cases) == 0 {
			t.Fatalf("%s: no cases", file)
		}
		for _, c := range doc.Cases {
			for _, dt := range dtypes {
				t.Run(fmt.Sprintf("%s/%s/%v", file, c.Name, dt), func(t *testing.T) {
					ints := func(k string) []int {
						var out []int
						for _, v := range c.Config[k].([]any) {
							out = append(out, int(v.(float64)))
						}
						return out
					}
					names := []string{"x", "weight", "bias"}
					got, err := runGraph(func(g *gorgonia.ExprGraph) ([]*gorgonia.Node, error) {
						x := valueNode(g, "x", fromF64(dt, c.X.Data, c.X.Shape...))
						w := valueNode(g, "weight", fromF64(dt, c.Params["weight"].Data, c.Params["weight"].Shape...))
						wrt := []*gorgonia.Node{x, w}
						var bias *gorgonia.Node
						if p, ok := c.Params["bias"]; ok {
							bias = valueNode(g, "bias", fromF64(dt, p.Data, p.Shape...))
							wrt = append(wrt, bias)
						}
						var y *gorgonia.Node
						var err error
						if file == "conv2d.json" {
							pair := func(k string) [2]int { v := ints(k); return [2]int{v[0], v[1]} }
							y, err = Conv2D(x, w, bias, Conv2DOptions{Stride: pair("stride"), Padding: pair("padding"), Dilation: pair("dilation")})
						} else {
							one := func(k string) int {
								if v, ok := c.Config[k].([]any); ok {
									return int(v[0].(float64))
								}
								return int(c.Config[k].(float64))
							}
							y, err = Conv1D(x, w, bias, Conv1DOptions{Stride: one("stride"), Padding: one("padding"), Dilation: one("dilation")})
						}
						if err != nil {
							return nil, err
						}
						lw := valueNode(g, "lossw", fromF64(dt, c.W.Data, c.W.Shape...))
						loss, err := gorgonia.Sum(gorgonia.Must(gorgonia.HadamardProd(y, lw)))
						if err != nil {
							return nil, err
						}
						grads, err := gorgonia.Grad(loss, wrt...)
						if err != nil {
							return nil, err
						}
						return append([]*gorgonia.Node{y}, grads...), nil
					})
					if err != nil {
						t.Fatal(err)
					}
					tol := convGoldenTol[dt]
					convGoldenClose(t, "y", got[0], c.Y.Data, tol)
					for i, g := range got[1:] {
						convGoldenClose(t, "grad "+names[i], g, c.Grads[names[i]].Data, tol)
					}
				})
			}
		}
	}
}

// TestConv2DChunks forces the op's batched path (the other tests' images are small
// enough for the one-sample-at-a-time path) and to split the batch into several im2col
// matrices, and checks the gradients and the golden values again.
func TestConv2DChunks(t *testing.T) {
	defer func(b, s int) { colBudget, sampleColBudget = b, s }(colBudget, sampleColBudget)
	colBudget = 100 // one or two samples per chunk in these cases
	sampleColBudget = 0
	for _, dt := range dtypes {
		for _, c := range convCases[:3] {
			t.Run(dt.String()+"/"+c.name, func(t *testing.T) {
				x := append([]int{3}, c.x[1:]...)
				checkConv2DGrad(t, dt, x, c.out, c.kernel, Conv2DOptions{Stride: c.stride, Padding: c.padding, Dilation: c.dilation}, c.noBias)
			})
		}
	}
	TestConvGolden(t)
}

// TestConvNodesDoNotMerge wants two convolutions of one input that differ in any
// setting to be two nodes, and equal ones to be one (gorgonia merges equal op hashes).
func TestConvNodesDoNotMerge(t *testing.T) {
	g := gorgonia.NewGraph()
	x := valueNode(g, "x", randTensor(tensor.Float64, 1, 1, 2, 6, 6))
	w := valueNode(g, "w", randTensor(tensor.Float64, 2, 3, 2, 3, 3))
	seen := map[*gorgonia.Node]Conv2DOptions{}
	for _, o := range []Conv2DOptions{{}, {Stride: [2]int{2, 1}}, {Stride: [2]int{1, 2}}, {Padding: [2]int{1, 0}}, {Dilation: [2]int{1, 2}}} {
		y, err := Conv2D(x, w, nil, o)
		if err != nil {
			t.Fatal(err)
		}
		if prev, ok := seen[y]; ok {
			t.Errorf("Conv2D with %+v and %+v gave one node", prev, o)
		}
		seen[y] = o
	}
	a, err := Conv2D(x, w, nil, Conv2DOptions{Stride: [2]int{1, 1}})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := Conv2D(x, w, nil, Conv2DOptions{}); a != b {
		t.Error("Conv2D with Stride 1 and with the default stride gave two nodes")
	}
}
