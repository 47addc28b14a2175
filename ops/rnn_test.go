package ops

import (
	"fmt"
	"testing"

	"gorgonia.org/gorgonia"
)

// TestRNNSequenceGrad checks the fused RNN op's gradient with respect to every input,
// on all hidden states and through the last one.
func TestRNNSequenceGrad(t *testing.T) {
	for _, dt := range dtypes {
		for _, sh := range recurrentShapes {
			b, tt, in, h := sh[0], sh[1], sh[2], sh[3]
			for _, bias := range []bool{true, false} {
				shapes := [][]int{{b, tt, in}, {h, in}, {h, h}, {b, h}}
				if bias {
					shapes = append(shapes, []int{h})
				}
				p := lstmParams{Bias: bias}
				t.Run(fmt.Sprintf("%v/%v/bias=%t/all", dt, sh, bias), func(t *testing.T) {
					checkOpGrad(t, dt, shapes, func(in []*gorgonia.Node) (*gorgonia.Node, error) {
						return rnnSeqDef.Apply(p, in...)
					})
				})
				t.Run(fmt.Sprintf("%v/%v/bias=%t/last", dt, sh, bias), func(t *testing.T) {
					checkOpGrad(t, dt, shapes, func(in []*gorgonia.Node) (*gorgonia.Node, error) {
						hs, err := rnnSeqDef.Apply(p, in...)
						if err != nil {
							return nil, err
						}
						return recurrentSlotDef.Apply(slotParams{Size: h, Last: true}, hs)
					})
				})
			}
		}
	}
}
