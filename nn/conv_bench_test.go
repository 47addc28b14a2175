package nn

import (
	"fmt"
	"syscall"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/ops"
	"gorgonia.org/gorgonia"
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
