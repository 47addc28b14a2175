package ops

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// benchOp times one forward and backward run (TapeMachine, Reset included) of
// loss = Sum(f(inputs)) with gradients for the inputs listed in wrt, in float32.
// Inputs are filled from U(-2, 2) unless vals gives their values.
func benchOp(b *testing.B, shapes [][]int, vals [][]float64, wrt []int, f func(in []*gorgonia.Node) (*gorgonia.Node, error)) {
	b.Helper()
	g := gorgonia.NewGraph()
	in := make([]*gorgonia.Node, len(shapes))
	for i, s := range shapes {
		v := uniform(uint64(i), size(s), -2, 2)
		if vals != nil && vals[i] != nil {
			v = vals[i]
		}
		in[i] = newInput(g, tensor.Float32, fmt.Sprint("in", i), s, v)
	}
	y, err := f(in)
	if err != nil {
		b.Fatal(err)
	}
	loss, err := gorgonia.Sum(y)
	if err != nil {
		b.Fatal(err)
	}
	var ws []*gorgonia.Node
	for _, i := range wrt {
		ws = append(ws, in[i])
	}
	if _, err := gorgonia.Grad(loss, ws...); err != nil {
		b.Fatal(err)
	}
	vm := gorgonia.NewTapeMachine(g)
	defer vm.Close()
	b.ReportAllocs()
	for b.Loop() {
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkActivation(b *testing.B) {
	fns := map[string]func(*gorgonia.Node) (*gorgonia.Node, error){"GELU": GELU, "GELUTanh": GELUTanh, "SiLU": SiLU}
	for _, name := range []string{"GELU", "GELUTanh", "SiLU"} {
		b.Run(name+"/64x1024", func(b *testing.B) {
			benchOp(b, [][]int{{64, 1024}}, nil, []int{0}, one(fns[name]))
		})
	}
	// The tanh GELU composed of gorgonia's ops, for comparison.
	b.Run("GELUTanhComposed/64x1024", func(b *testing.B) {
		benchOp(b, [][]int{{64, 1024}}, nil, []int{0}, one(geluTanhComposed))
	})
}

// geluTanhComposed is x/2·(1 + tanh(√(2/π)·(x + 0.044715·x³))) from gorgonia's ops.
func geluTanhComposed(x *gorgonia.Node) (*gorgonia.Node, error) {
	c := func(v float32) *gorgonia.Node { return gorgonia.NewConstant(v) }
	x3 := gorgonia.Must(gorgonia.Cube(x))
	inner := gorgonia.Must(gorgonia.Add(x, gorgonia.Must(gorgonia.Mul(x3, c(0.044715)))))
	t := gorgonia.Must(gorgonia.Tanh(gorgonia.Must(gorgonia.Mul(inner, c(float32(sqrt2Pi))))))
	half := gorgonia.Must(gorgonia.Mul(x, c(0.5)))
	return gorgonia.HadamardProd(half, gorgonia.Must(gorgonia.Add(t, c(1))))
}

func BenchmarkLogSumExp(b *testing.B) {
	b.Run("64x1000/axis1", func(b *testing.B) {
		benchOp(b, [][]int{{64, 1000}}, nil, []int{0}, one(func(x *gorgonia.Node) (*gorgonia.Node, error) { return LogSumExp(x, 1) }))
	})
}

func BenchmarkAvgPool2D(b *testing.B) {
	for _, c := range []struct {
		name string
		cfg  Pool2DOptions
	}{
		{"k2s2", Pool2DOptions{Kernel: [2]int{2, 2}}},
		{"k3s1p1", Pool2DOptions{Kernel: [2]int{3, 3}, Stride: [2]int{1, 1}, Padding: [2]int{1, 1}}},
	} {
		b.Run("32x16x32x32/"+c.name, func(b *testing.B) {
			benchOp(b, [][]int{{32, 16, 32, 32}}, nil, []int{0}, one(func(x *gorgonia.Node) (*gorgonia.Node, error) { return AvgPool2D(x, c.cfg) }))
		})
	}
	b.Run("Global/32x64x8x8", func(b *testing.B) {
		benchOp(b, [][]int{{32, 64, 8, 8}}, nil, []int{0}, one(GlobalAvgPool2D))
	})
}

func BenchmarkLayerNorm(b *testing.B) {
	b.Run("512x768/affine", func(b *testing.B) {
		benchOp(b, [][]int{{512, 768}, {768}, {768}}, nil, []int{0, 1, 2}, func(in []*gorgonia.Node) (*gorgonia.Node, error) {
			return LayerNorm(in[0], in[1], in[2], LayerNormOptions{})
		})
	})
	b.Run("512x768/plain", func(b *testing.B) {
		benchOp(b, [][]int{{512, 768}}, nil, []int{0}, one(func(x *gorgonia.Node) (*gorgonia.Node, error) {
			return LayerNorm(x, nil, nil, LayerNormOptions{})
		}))
	})
	// The same normalisation (no affine) composed of gorgonia's ops, for comparison.
	b.Run("512x768/composed", func(b *testing.B) {
		benchOp(b, [][]int{{512, 768}}, nil, []int{0}, one(layerNormComposed))
	})
}

// layerNormComposed is (x - mean)/sqrt(var + 1e-5) over the last axis of a matrix,
// from gorgonia's ops.
func layerNormComposed(x *gorgonia.Node) (*gorgonia.Node, error) {
	mean := gorgonia.Must(gorgonia.Mean(x, 1))
	xc := gorgonia.Must(gorgonia.BroadcastSub(x, mean, nil, []byte{1}))
	v := gorgonia.Must(gorgonia.Mean(gorgonia.Must(gorgonia.Square(xc)), 1))
	std := gorgonia.Must(gorgonia.Sqrt(gorgonia.Must(gorgonia.Add(v, gorgonia.NewConstant(float32(1e-5))))))
	return gorgonia.BroadcastHadamardDiv(xc, std, nil, []byte{1})
}

func BenchmarkEmbedding(b *testing.B) {
	ids := make([]float64, 64*32)
	r := rand.New(rand.NewPCG(1, 1))
	for i := range ids {
		ids[i] = float64(r.IntN(10000))
	}
	b.Run("ids64x32/table10000x128", func(b *testing.B) {
		benchOp(b, [][]int{{64, 32}, {10000, 128}}, [][]float64{ids, nil}, []int{1}, two(Embedding))
	})
}

func BenchmarkDropout(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	b.Run("64x1024/p0.1", func(b *testing.B) {
		benchOp(b, [][]int{{64, 1024}}, nil, []int{0}, one(func(x *gorgonia.Node) (*gorgonia.Node, error) { return Dropout(x, 0.1, rng) }))
	})
}

func BenchmarkReshape(b *testing.B) {
	b.Run("64x1024", func(b *testing.B) {
		benchOp(b, [][]int{{64, 1024}}, nil, []int{0}, one(func(x *gorgonia.Node) (*gorgonia.Node, error) { return Reshape(x, 1024, 64) }))
	})
}
