package ops

import (
	"fmt"
	"gorgonia.org/tensor"
	"math"
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

// TestGRUAndRNNSlotGrad checks, as TestLSTMSlotGrad, that the GRU and RNN backward
// given one slot's gradient equals the backward given the dense gradient bit for bit.
func TestGRUAndRNNSlotGrad(t *testing.T) {
	d := lstmDims{B: 9, T: 4, In: 3, H: 11}
	H := d.H
	x := randTensor(tensor.Float32, 1, d.B, d.T, d.In).Float32s()
	h0 := randTensor(tensor.Float32, 4, d.B, H).Float32s()
	for _, kind := range []string{"gru", "rnn"} {
		g, W := 3*H, gruWidth*H
		if kind == "rnn" {
			g, W = H, H
		}
		wih := randTensor(tensor.Float32, 2, g, d.In).Float32s()
		whh := randTensor(tensor.Float32, 3, g, H).Float32s()
		b1 := randTensor(tensor.Float32, 5, g).Float32s()
		b2 := randTensor(tensor.Float32, 6, g).Float32s()
		ws := make([]float32, d.B*d.T*W)
		in := [][]float32{x, wih, whh, h0, b1, b2}
		slots := []slotParams{{Offset: 4 * H, Size: H}, {Offset: 4 * H, Size: H, Last: true}}
		n := gruGradSize(true, d)
		backward := gruBackward[float32]
		if kind == "rnn" {
			in = in[:5]
			slots = []slotParams{{Size: H}, {Size: H, Last: true}}
			n = rnnGradSize(true, d)
			backward = rnnBackward[float32]
			rnnForward(d, in, ws)
		} else {
			gruForward(d, in, ws)
		}
		for _, slot := range slots {
			t.Run(fmt.Sprintf("%s/%+v", kind, slot), func(t *testing.T) {
				steps := d.T
				if slot.Last {
					steps = 1
				}
				dy := randTensor(tensor.Float32, 7, d.B*steps*slot.Size).Float32s()
				dws := make([]float32, len(ws))
				copySlot(slot, d.B, d.T, W, dws, dy, true)
				want, got := make([]float32, n), make([]float32, n)
				backward(d, lstmGradParams{Bias: true}, [][]float32{x, wih, whh, h0, ws, dws}, want)
				backward(d, lstmGradParams{Bias: true, Slot: slot}, [][]float32{x, wih, whh, h0, ws, dy}, got)
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("bundle[%d] = %v from the slot, %v from the dense gradient", i, got[i], want[i])
					}
				}
			})
		}
	}
}
