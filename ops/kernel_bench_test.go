package ops

import (
	"fmt"
	"syscall"
	"testing"

	"gorgonia.org/tensor"
)

// BenchmarkMaxPoolKernel times the max-pooling kernel alone, forward and backward, on
// the first pooling of examples/fashion (batch 64, 32 channels of 28x28, 2x2 windows).
// Also on LeNet's two poolings (examples/mnist-cnn).
func BenchmarkMaxPoolKernel(b *testing.B) {
	for _, shape := range []tensor.Shape{{64, 32, 28, 28}, {64, 20, 24, 24}, {64, 50, 8, 8}} {
		p := maxPoolParams{Kernel: [2]int{2, 2}, Stride: [2]int{2, 2}}
		x := randTensor(tensor.Float32, 1, shape...).Float32s()
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
		x := randTensor(tensor.Float32, 1, c.c, c.hw, c.hw).Float32s()
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
