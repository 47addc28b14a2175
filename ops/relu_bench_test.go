package ops

import (
	"testing"

	"gorgonia.org/gorgonia"
)

// BenchmarkReLU times a forward and backward run of Sum(ReLU(x)), x (128, 512) in
// float32, the MLP's first hidden layer: ops.ReLU (a Def over ops/kern's kernels) and
// gorgonia.Rectify.
func BenchmarkReLU(b *testing.B) {
	shape := [][]int{{128, 512}}
	b.Run("Op/128x512", func(b *testing.B) { benchOp(b, shape, nil, []int{0}, one(ReLU)) })
	b.Run("Rectify/128x512", func(b *testing.B) { benchOp(b, shape, nil, []int{0}, one(gorgonia.Rectify)) })
}

// BenchmarkLinear times a forward and backward run of Sum(Linear(x, w, b)) with
// gradients for x, w and b in float32, fused and composed of gorgonia's Mul and
// BroadcastAdd (and ReLU).
func BenchmarkLinear(b *testing.B) {
	shapes := [][]int{{128, 784}, {784, 512}, {512}}
	three := func(f func(x, w, b *gorgonia.Node) (*gorgonia.Node, error)) func([]*gorgonia.Node) (*gorgonia.Node, error) {
		return func(in []*gorgonia.Node) (*gorgonia.Node, error) { return f(in[0], in[1], in[2]) }
	}
	for _, relu := range []bool{false, true} {
		name := "Linear"
		if relu {
			name = "LinearReLU"
		}
		b.Run(name+"/128x784x512", func(b *testing.B) { benchOp(b, shapes, nil, []int{0, 1, 2}, three(linearFn(relu))) })
		b.Run(name+"Composed/128x784x512", func(b *testing.B) {
			benchOp(b, shapes, nil, []int{0, 1, 2}, three(composedLinear(relu)))
		})
	}
}
