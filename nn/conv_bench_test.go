package nn

import (
	"fmt"
	"syscall"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/ops"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// BenchmarkConv2D times one training step (forward and backward) of a Conv2D layer on
// MNIST-sized inputs.
func BenchmarkConv2D(b *testing.B) {
	cases := []struct {
		n, in, out, hw, k int
	}{{64, 1, 32, 28, 3}, {64, 32, 64, 14, 3}}
	for _, c := range cases {
		b.Run(fmt.Sprintf("n%d_c%d_o%d_hw%d_k%d", c.n, c.in, c.out, c.hw, c.k), func(b *testing.B) {
			s := graph.NewScope(graph.Float32, graph.Seed(1))
			l, err := NewConv2D(s.Sub("conv"), Conv2DConfig{In: c.in, Out: c.out, Kernel: [2]int{c.k, c.k}, Padding: [2]int{1, 1}})
			if err != nil {
				b.Fatal(err)
			}
			g := graph.New(graph.Float32, graph.Train)
			x, _ := g.Input("x", c.n, c.in, c.hw, c.hw)
			y, err := l.Forward(g, x)
			if err != nil {
				b.Fatal(err)
			}
			// The mean of the per-channel means: gorgonia.Mean of the whole output would
			// time gorgonia's slow broadcast of the gradient (denseRepeat), not the layer.
			gap, err := ops.GlobalAvgPool2D(y)
			if err != nil {
				b.Fatal(err)
			}
			loss, err := gorgonia.Mean(gap)
			if err != nil {
				b.Fatal(err)
			}
			m, err := graph.Compile(g, graph.Loss(loss))
			if err != nil {
				b.Fatal(err)
			}
			xv := randTensor(graph.Float32, 1, c.n, c.in, c.hw, c.hw)
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				if err := m.Run(graph.Feeds{x: xv}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLeNetStep times one training step (forward and backward) of the network of
// examples/mnist-cnn on a batch of 64 MNIST-sized images.
func BenchmarkLeNetStep(b *testing.B) {
	s := graph.NewScope(graph.Float32, graph.Seed(1))
	k5, pool := [2]int{5, 5}, MaxPool2DConfig{Kernel: [2]int{2, 2}}
	net, err := NewSequential(s.Sub("lenet"),
		Conv2DConfig{In: 1, Out: 20, Kernel: k5}, pool, ReLU,
		Conv2DConfig{In: 20, Out: 50, Kernel: k5}, pool, ReLU,
		FlattenConfig{}, LinearConfig{In: 800, Out: 500, Activation: ReLU}, LinearConfig{In: 500, Out: 10})
	if err != nil {
		b.Fatal(err)
	}
	g := graph.New(graph.Float32, graph.Train)
	x, _ := g.Input("x", 64, 1, 28, 28)
	labels, _ := g.Input("labels", 64)
	y, err := net.Forward(g, x)
	if err != nil {
		b.Fatal(err)
	}
	loss, err := SoftmaxCrossEntropy(g, y, labels)
	if err != nil {
		b.Fatal(err)
	}
	m, err := graph.Compile(g, graph.Loss(loss))
	if err != nil {
		b.Fatal(err)
	}
	lv := make([]float64, 64)
	for i := range lv {
		lv[i] = float64(i % 10)
	}
	feeds := graph.Feeds{x: randTensor(graph.Float32, 1, 64, 1, 28, 28), labels: fromF64(graph.Float32, lv, 64)}
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		if err := m.Run(feeds); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMaxPoolKernel times the max-pooling kernel alone, forward and backward, on
// the first pooling of examples/fashion (batch 64, 32 channels of 28x28, 2x2 windows).
// Also on LeNet's two poolings (examples/mnist-cnn).
func BenchmarkMaxPoolKernel(b *testing.B) {
	for _, shape := range []tensor.Shape{{64, 32, 28, 28}, {64, 20, 24, 24}, {64, 50, 8, 8}} {
		p := maxPoolParams{Kernel: [2]int{2, 2}, Stride: [2]int{2, 2}}
		x := randTensor(graph.Float32, 1, shape...).Float32s()
		y := make([]float32, len(x)/4)
		dx := make([]float32, len(x))
		name := fmt.Sprintf("c%d_hw%d", shape[1], shape[2])
		b.Run(name+"/forward", func(b *testing.B) {
			defer reportCPU(b)()
			for b.Loop() {
				maxPool(p, shape, x, y, nil, nil)
			}
		})
		b.Run(name+"/backward", func(b *testing.B) {
			maxPool(p, shape, x, y, nil, nil)
			defer reportCPU(b)()
			for b.Loop() {
				clear(dx)
				maxPool(p, shape, x, y, y, dx)
			}
		})
	}
}

// BenchmarkIm2col times im2col and col2im of one sample for the convolutions of
// examples/mnist-cnn (5x5 kernels on 1x28x28 and 20x12x12 inputs).
func BenchmarkIm2col(b *testing.B) {
	for _, c := range []struct{ c, hw, o int }{{1, 28, 20}, {20, 12, 50}} {
		g := convGeom{kh: 5, kw: 5, sh: 1, sw: 1, dh: 1, dw: 1}
		d := newConvDims(g, tensor.Shape{1, c.c, c.hw, c.hw}, tensor.Shape{c.o, c.c, 5, 5}).sample()
		x := randTensor(graph.Float32, 1, c.c, c.hw, c.hw).Float32s()
		col := make([]float32, d.ckk*d.hw)
		b.Run(fmt.Sprintf("im2col_c%d_hw%d", c.c, c.hw), func(b *testing.B) {
			defer reportCPU(b)()
			for b.Loop() {
				im2col(g, d, x, col)
			}
		})
		b.Run(fmt.Sprintf("col2im_c%d_hw%d", c.c, c.hw), func(b *testing.B) {
			defer reportCPU(b)()
			for b.Loop() {
				col2im(g, d, col, x)
			}
		})
	}
}

// reportCPU starts measuring the process's CPU time; the function it returns reports
// it per iteration as cpu-ns/op, a figure that other processes on a shared machine
// disturb much less than the wall time.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() { b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op") }
}

func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
