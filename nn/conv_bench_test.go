package nn

import (
	"fmt"
	"testing"

	"github.com/gradflow/gradflow/graph"
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
			loss, err := gorgonia.Mean(y)
			if err != nil {
				b.Fatal(err)
			}
			m, err := graph.Compile(g, graph.Loss(loss))
			if err != nil {
				b.Fatal(err)
			}
			xv := randTensor(graph.Float32, 1, c.n, c.in, c.hw, c.hw)
			b.ReportAllocs()
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
		Conv2DConfig{In: 1, Out: 20, Kernel: k5}, pool, ReLU(),
		Conv2DConfig{In: 20, Out: 50, Kernel: k5}, pool, ReLU(),
		FlattenConfig{}, LinearConfig{In: 800, Out: 500}, ReLU(), LinearConfig{In: 500, Out: 10})
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
	for b.Loop() {
		if err := m.Run(feeds); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMaxPoolKernel times the max-pooling kernel alone, forward and backward, on
// the first pooling of examples/fashion (batch 64, 32 channels of 28x28, 2x2 windows).
func BenchmarkMaxPoolKernel(b *testing.B) {
	shape := tensor.Shape{64, 32, 28, 28}
	p := maxPoolParams{Kernel: [2]int{2, 2}, Stride: [2]int{2, 2}}
	x := randTensor(graph.Float32, 1, shape...).Float32s()
	y := make([]float32, 64*32*14*14)
	dx := make([]float32, len(x))
	b.Run("forward", func(b *testing.B) {
		for b.Loop() {
			maxPool(p, shape, x, y, nil, nil)
		}
	})
	b.Run("backward", func(b *testing.B) {
		maxPool(p, shape, x, y, nil, nil)
		for b.Loop() {
			clear(dx)
			maxPool(p, shape, x, y, y, dx)
		}
	})
}
