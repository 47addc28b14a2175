package ops

import (
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The recurrent sequences as functions on nodes: each runs one fused op over the whole
// sequence (lstm.go, gru.go, rnn.go) and reads the states out of its workspace. They
// are batch first and single layer, one direction, as PyTorch's nn.LSTM, nn.GRU and
// nn.RNN with batch_first=True, num_layers=1; the weights have PyTorch's layout, gates
// stacked along the rows, so a state dict's tensors are used as they are.

// LSTM runs a long short-term memory layer (Hochreiter & Schmidhuber, 1997) over the
// sequence x (B, T, In) from the hidden state h0 and cell c0 (B, H): with the gates
// stacked in PyTorch's order i, f, g, o in wIH (4H, In) and wHH (4H, H), and the
// biases bIH, bHH (4H),
//
//	i = σ(x·W_iiᵀ + b_ii + h·W_hiᵀ + b_hi)    f = σ(x·W_ifᵀ + b_if + h·W_hfᵀ + b_hf)
//	g = tanh(x·W_igᵀ + b_ig + h·W_hgᵀ + b_hg) o = σ(x·W_ioᵀ + b_io + h·W_hoᵀ + b_ho)
//	c' = f*c + i*g                             h' = o*tanh(c')
//
// It returns the hidden states of every step, out (B, T, H), and the last hidden state
// h and cell c (B, H). bIH and bHH are both nil for a layer without biases (PyTorch's
// bias=False); pass zeros as h0 and c0 for PyTorch's default initial state. All inputs
// are differentiable.
func LSTM(x, h0, c0, wIH, wHH, bIH, bHH *gorgonia.Node) (out, h, c *gorgonia.Node, err error) {
	const name = "LSTM"
	in, H, err := recurrentArgs(name, 4, x, []*gorgonia.Node{h0, c0}, wIH, wHH, bIH, bHH)
	if err != nil {
		return nil, nil, nil, err
	}
	defer recoverInto(&err, "ops: "+name)
	if bIH != nil { // the op takes b_ih + b_hh, one vector
		b, err := gorgonia.Add(bIH, bHH)
		if err != nil {
			return nil, nil, nil, errors.Wrap(err, "ops: LSTM: bIH + bHH")
		}
		in = append(in, b)
	}
	ws, err := lstmSeqDef.Apply(lstmParams{Bias: bIH != nil}, in...)
	if err != nil {
		return nil, nil, nil, err
	}
	if out, err = recurrentSlotDef.Apply(slotParams{Offset: 5 * H, Size: H}, ws); err != nil {
		return nil, nil, nil, err
	}
	if h, err = recurrentSlotDef.Apply(slotParams{Offset: 5 * H, Size: H, Last: true}, ws); err != nil {
		return nil, nil, nil, err
	}
	if c, err = recurrentSlotDef.Apply(slotParams{Offset: 4 * H, Size: H, Last: true}, ws); err != nil {
		return nil, nil, nil, err
	}
	return out, h, c, nil
}

// GRU runs a gated recurrent unit layer (Cho et al., 2014) over the sequence x (B, T,
// In) from the hidden state h0 (B, H): with the gates stacked in PyTorch's order r, z,
// n in wIH (3H, In) and wHH (3H, H), and the biases bIH, bHH (3H),
//
//	r = σ(x·W_irᵀ + b_ir + h·W_hrᵀ + b_hr)    z = σ(x·W_izᵀ + b_iz + h·W_hzᵀ + b_hz)
//	n = tanh(x·W_inᵀ + b_in + r*(h·W_hnᵀ + b_hn))
//	h' = (1-z)*n + z*h
//
// It returns the hidden states of every step, out (B, T, H), and the last one, h (B,
// H). bIH and bHH are both nil for a layer without biases; pass zeros as h0 for
// PyTorch's default. All inputs are differentiable.
func GRU(x, h0, wIH, wHH, bIH, bHH *gorgonia.Node) (out, h *gorgonia.Node, err error) {
	const name = "GRU"
	in, H, err := recurrentArgs(name, 3, x, []*gorgonia.Node{h0}, wIH, wHH, bIH, bHH)
	if err != nil {
		return nil, nil, err
	}
	defer recoverInto(&err, "ops: "+name)
	if bIH != nil { // b_ih and b_hh stay apart: b_hn is multiplied by r
		in = append(in, bIH, bHH)
	}
	ws, err := gruSeqDef.Apply(lstmParams{Bias: bIH != nil}, in...)
	if err != nil {
		return nil, nil, err
	}
	if out, err = recurrentSlotDef.Apply(slotParams{Offset: 4 * H, Size: H}, ws); err != nil {
		return nil, nil, err
	}
	if h, err = recurrentSlotDef.Apply(slotParams{Offset: 4 * H, Size: H, Last: true}, ws); err != nil {
		return nil, nil, err
	}
	return out, h, nil
}

// RNN runs an Elman recurrent layer with tanh (PyTorch's nn.RNN with its default
// nonlinearity) over the sequence x (B, T, In) from the hidden state h0 (B, H), with
// wIH (H, In), wHH (H, H) and the biases bIH, bHH (H):
//
//	h' = tanh(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh)
//
// It returns the hidden states of every step, out (B, T, H), and the last one, h (B,
// H). bIH and bHH are both nil for a layer without biases; pass zeros as h0 for
// PyTorch's default. All inputs are differentiable.
func RNN(x, h0, wIH, wHH, bIH, bHH *gorgonia.Node) (out, h *gorgonia.Node, err error) {
	const name = "RNN"
	in, H, err := recurrentArgs(name, 1, x, []*gorgonia.Node{h0}, wIH, wHH, bIH, bHH)
	if err != nil {
		return nil, nil, err
	}
	defer recoverInto(&err, "ops: "+name)
	if bIH != nil {
		b, err := gorgonia.Add(bIH, bHH)
		if err != nil {
			return nil, nil, errors.Wrap(err, "ops: RNN: bIH + bHH")
		}
		in = append(in, b)
	}
	hs, err := rnnSeqDef.Apply(lstmParams{Bias: bIH != nil}, in...)
	if err != nil {
		return nil, nil, err
	}
	// hs is the op's output, which the backward reads: hand out copies.
	if out, err = recurrentSlotDef.Apply(slotParams{Size: H}, hs); err != nil {
		return nil, nil, err
	}
	if h, err = recurrentSlotDef.Apply(slotParams{Size: H, Last: true}, hs); err != nil {
		return nil, nil, err
	}
	return out, h, nil
}

// recurrentArgs checks the arguments of a recurrent sequence with gates gate blocks
// and returns the fused op's inputs without the biases (x, W_ih, W_hh, the states) and
// the hidden size.
func recurrentArgs(name string, gates int, x *gorgonia.Node, states []*gorgonia.Node, wIH, wHH, bIH, bHH *gorgonia.Node) ([]*gorgonia.Node, int, error) {
	args := map[string]*gorgonia.Node{"x": x, "wIH": wIH, "wHH": wHH}
	stateNames := []string{"h0", "c0"}[:len(states)]
	for i, s := range states {
		args[stateNames[i]] = s
	}
	if (bIH == nil) != (bHH == nil) {
		return nil, 0, errors.Errorf("ops: %s: bIH nil %t, bHH nil %t, want both or neither", name, bIH == nil, bHH == nil)
	}
	if bIH != nil {
		args["bIH"], args["bHH"] = bIH, bHH
	}
	for _, a := range append([]string{"x", "wIH", "wHH", "bIH", "bHH"}, stateNames...) {
		if n, ok := args[a]; ok {
			if err := checkFloat(name, a, n); err != nil {
				return nil, 0, err
			}
		}
	}
	xs, ws := x.Shape(), wHH.Shape()
	if xs.Dims() != 3 {
		return nil, 0, errors.Errorf("ops: %s: x has shape %v, want (B, T, In)", name, xs)
	}
	if ws.Dims() != 2 || ws[0] != gates*ws[1] {
		return nil, 0, errors.Errorf("ops: %s: wHH has shape %v, want (%d·H, H)", name, ws, gates)
	}
	B, In, H := xs[0], xs[2], ws[1]
	if s := wIH.Shape(); !s.Eq(tensor.Shape{gates * H, In}) {
		return nil, 0, errors.Errorf("ops: %s: wIH has shape %v, want (%d, %d) for x %v and wHH %v", name, s, gates*H, In, xs, ws)
	}
	for i, s := range states {
		if ss := s.Shape(); !ss.Eq(tensor.Shape{B, H}) {
			return nil, 0, errors.Errorf("ops: %s: %s has shape %v, want (%d, %d)", name, stateNames[i], ss, B, H)
		}
	}
	if bIH != nil {
		for _, b := range []string{"bIH", "bHH"} {
			if s := args[b].Shape(); !s.Eq(tensor.Shape{gates * H}) {
				return nil, 0, errors.Errorf("ops: %s: %s has shape %v, want (%d)", name, b, s, gates*H)
			}
		}
	}
	return append([]*gorgonia.Node{x, wIH, wHH}, states...), H, nil
}
