package ops

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestLSTMSequenceGrad checks the fused LSTM op's gradient with respect to every
// input, on its whole workspace (gate activations, cells and hidden states all
// weighted), and through the slots the layer reads.
func TestLSTMSequenceGrad(t *testing.T) {
	for _, dt := range dtypes {
		for _, sh := range recurrentShapes {
			b, tt, in, h := sh[0], sh[1], sh[2], sh[3]
			for _, bias := range []bool{true, false} {
				shapes := [][]int{{b, tt, in}, {4 * h, in}, {4 * h, h}, {b, h}, {b, h}}
				if bias {
					shapes = append(shapes, []int{4 * h})
				}
				p := lstmParams{Bias: bias}
				t.Run(fmt.Sprintf("%v/%v/bias=%t/workspace", dt, sh, bias), func(t *testing.T) {
					checkOpGrad(t, dt, shapes, func(in []*gorgonia.Node) (*gorgonia.Node, error) {
						return lstmSeqDef.Apply(p, in...)
					})
				})
				t.Run(fmt.Sprintf("%v/%v/bias=%t/last_c", dt, sh, bias), func(t *testing.T) {
					checkOpGrad(t, dt, shapes, func(in []*gorgonia.Node) (*gorgonia.Node, error) {
						ws, err := lstmSeqDef.Apply(p, in...)
						if err != nil {
							return nil, err
						}
						return recurrentSlotDef.Apply(slotParams{Offset: 4 * h, Size: h, Last: true}, ws)
					})
				})
			}
		}
	}
}

// TestLSTMSequenceShapes checks the op's shape errors.
func TestLSTMSequenceShapes(t *testing.T) {
	cases := []struct {
		name   string
		shapes [][]int
		bias   bool
		want   string
	}{
		{"2-D x", [][]int{{2, 3}, {8, 3}, {8, 2}, {2, 2}, {2, 2}}, false, "want (B, T, In)"},
		{"W_hh rows", [][]int{{2, 3, 4}, {8, 4}, {6, 2}, {2, 2}, {2, 2}}, false, "want (4H, H)"},
		{"W_ih", [][]int{{2, 3, 4}, {8, 3}, {8, 2}, {2, 2}, {2, 2}}, false, "W_ih (8, 3), want (8, 4)"},
		{"c0", [][]int{{2, 3, 4}, {8, 4}, {8, 2}, {2, 2}, {1, 2}}, false, "want (2, 2)"},
		{"bias", [][]int{{2, 3, 4}, {8, 4}, {8, 2}, {2, 2}, {2, 2}, {6}}, true, "bias (6), want (8)"},
		{"bias count", [][]int{{2, 3, 4}, {8, 4}, {8, 2}, {2, 2}, {2, 2}}, true, "got 5 inputs, want 6"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := gorgonia.NewGraph()
			var in []*gorgonia.Node
			for i, s := range c.shapes {
				in = append(in, gorgonia.NewTensor(g, tensor.Float64, len(s), gorgonia.WithShape(s...), gorgonia.WithName(fmt.Sprint("in", i))))
			}
			_, err := lstmSeqDef.Apply(lstmParams{Bias: c.bias}, in...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Apply = %v, want an error containing %q", err, c.want)
			}
		})
	}
}

// TestLSTMSlotGrad checks that the backward given one slot's gradient (the layer reads
// only h, or only the last h or c) equals, bit for bit, the backward given the dense
// workspace gradient that holds that slot's gradient and zeros, on the AVX-512 and Go
// kernels, for a hidden size with a tail.
func TestLSTMSlotGrad(t *testing.T) {
	hasAsm := gateAsm
	defer func() { gateAsm = hasAsm }()
	d := lstmDims{B: 9, T: 4, In: 3, H: 11}
	W := lstmWidth * d.H
	x := randTensor(tensor.Float32, 1, d.B, d.T, d.In).Float32s()
	wih := randTensor(tensor.Float32, 2, 4*d.H, d.In).Float32s()
	whh := randTensor(tensor.Float32, 3, 4*d.H, d.H).Float32s()
	h0 := randTensor(tensor.Float32, 4, d.B, d.H).Float32s()
	c0 := randTensor(tensor.Float32, 5, d.B, d.H).Float32s()
	b := randTensor(tensor.Float32, 6, 4*d.H).Float32s()
	ws := make([]float32, d.B*d.T*W)
	lstmForward(d, [][]float32{x, wih, whh, h0, c0, b}, ws)
	for _, asm := range []bool{false, true} {
		gateAsm = asm && hasAsm
		for _, slot := range []slotParams{{Offset: 5 * d.H, Size: d.H}, {Offset: 5 * d.H, Size: d.H, Last: true}, {Offset: 4 * d.H, Size: d.H, Last: true}} {
			t.Run(fmt.Sprintf("asm=%t/%+v", gateAsm, slot), func(t *testing.T) {
				steps := d.T
				if slot.Last {
					steps = 1
				}
				dy := randTensor(tensor.Float32, 7, d.B*steps*slot.Size).Float32s()
				dws := make([]float32, len(ws))
				copySlot(slot, d.B, d.T, W, dws, dy, true)
				n := lstmGradSize(true, d)
				want, got := make([]float32, n), make([]float32, n)
				lstmBackward(d, lstmGradParams{Bias: true}, [][]float32{x, wih, whh, h0, c0, ws, dws}, want)
				lstmBackward(d, lstmGradParams{Bias: true, Slot: slot}, [][]float32{x, wih, whh, h0, c0, ws, dy}, got)
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("bundle[%d] = %v from the slot, %v from the dense gradient", i, got[i], want[i])
					}
				}
			})
		}
	}
}
