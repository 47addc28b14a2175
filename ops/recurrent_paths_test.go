package ops

import (
	"fmt"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The gate kernels themselves (each SIMD body against its Go body, on specials, tails
// and a sweep of float32 arguments) are tested in ops/kern: TestCells,
// TestCellsExhaustive.

// TestRecurrentGoKernels checks the float32 gradients of the fused LSTM, GRU and RNN ops
// numerically with a hidden size that has a tail (H = 11: one group of 8 and 3), on the
// kernel paths this CPU has (ops/kern's AVX-512 and AVX2 gates) and on the Go bodies.
func TestRecurrentGoKernels(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		const b, tt, in, h = 2, 3, 4, 11
		for _, bias := range []bool{true, false} {
			t.Run(fmt.Sprintf("bias=%t/lstm", bias), func(t *testing.T) {
				shapes := [][]int{{b, tt, in}, {4 * h, in}, {4 * h, h}, {b, h}, {b, h}}
				if bias {
					shapes = append(shapes, []int{4 * h})
				}
				checkOpGrad(t, tensor.Float32, shapes, func(in []*gorgonia.Node) (*gorgonia.Node, error) {
					return lstmSeqDef.Apply(lstmParams{Bias: bias}, in...)
				})
			})
			t.Run(fmt.Sprintf("bias=%t/gru", bias), func(t *testing.T) {
				shapes := [][]int{{b, tt, in}, {3 * h, in}, {3 * h, h}, {b, h}}
				if bias {
					shapes = append(shapes, []int{3 * h}, []int{3 * h})
				}
				checkOpGrad(t, tensor.Float32, shapes, func(in []*gorgonia.Node) (*gorgonia.Node, error) {
					return gruSeqDef.Apply(lstmParams{Bias: bias}, in...)
				})
			})
			t.Run(fmt.Sprintf("bias=%t/rnn", bias), func(t *testing.T) {
				shapes := [][]int{{b, tt, in}, {h, in}, {h, h}, {b, h}}
				if bias {
					shapes = append(shapes, []int{h})
				}
				checkOpGrad(t, tensor.Float32, shapes, func(in []*gorgonia.Node) (*gorgonia.Node, error) {
					return rnnSeqDef.Apply(lstmParams{Bias: bias}, in...)
				})
			})
		}
	})
}
