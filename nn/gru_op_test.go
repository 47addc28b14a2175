package nn

import (
	"fmt"
	"testing"

	"gorgonia.org/gorgonia"
)

// TestGRUSequenceGrad checks the fused GRU op's gradient with respect to every input,
// on its whole workspace and through the last hidden state.
func TestGRUSequenceGrad(t *testing.T) {
	for _, dt := range dtypes {
		for _, sh := range recurrentShapes {
			b, tt, in, h := sh[0], sh[1], sh[2], sh[3]
			for _, bias := range []bool{true, false} {
				shapes := [][]int{{b, tt, in}, {3 * h, in}, {3 * h, h}, {b, h}}
				if bias {
					shapes = append(shapes, []int{3 * h}, []int{3 * h})
				}
				p := lstmParams{Bias: bias}
				t.Run(fmt.Sprintf("%v/%v/bias=%t/all", dt, sh, bias), func(t *testing.T) {
					checkOpGrad(t, dt, shapes, func(in []*gorgonia.Node) (*gorgonia.Node, error) {
						return gruSeqDef.Apply(p, in...)
					})
				})
				t.Run(fmt.Sprintf("%v/%v/bias=%t/last", dt, sh, bias), func(t *testing.T) {
					checkOpGrad(t, dt, shapes, func(in []*gorgonia.Node) (*gorgonia.Node, error) {
						hs, err := gruSeqDef.Apply(p, in...)
						if err != nil {
							return nil, err
						}
						return recurrentSlotDef.Apply(slotParams{Offset: 4 * h, Size: h, Last: true}, hs)
					})
				})
			}
		}
	}
}
