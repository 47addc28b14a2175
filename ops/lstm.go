package ops

import (
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// This file holds the LSTM over a whole sequence as one op, forward and backward.
//
// It replaces an unrolled graph of gorgonia ops for speed and memory, not correctness.
// Unrolled, an LSTM step was about 20 nodes before differentiation (a matrix product,
// a slice per gate, four activations, products and sums), and the gradients of the
// time and gate slices were zero tensors of the full input's size: the bench lstm
// workload (B 64, T 64, In 64, H 128) allocated 355 MiB and made 63,000 allocations
// per training step, and gorgonia's compiler, quadratic in the number of nodes, took
// seconds. As one op, the forward is one GEMM for the input projection of every step,
// one GEMM per step for the recurrence, and the gate arithmetic in place; the backward
// is one GEMM per step for the recurrence and three large GEMMs for the weight and
// input gradients (docs/layers-sequence.md has the measurements).
//
// The forward's output is a workspace ws (B, T, 7H): for every batch row b and step t,
// the activated gates i, f, g, o (4H), the cell c_t (H), the hidden state h_t (H) and
// tanh(c_t) (H), which the backward needs and which costs as much to recompute as the
// rest of the backward's arithmetic.
// LSTM (recurrent_api.go) reads h and c out of it with recurrentSlot; the backward reads the gates
// from it instead of recomputing them (PyTorch's CPU LSTM keeps them too).

// lstmParams are the LSTM sequence op's parameters: whether a bias vector (b_ih + b_hh,
// (4H)) is its sixth input. The GRU and RNN ops share the type.
type lstmParams struct {
	Bias bool
}

// lstmGradParams are the LSTM gradient op's parameters: Bias as lstmParams', and,
// when Slot.Size > 0, the slot of the workspace whose gradient is the op's seventh
// input, the rest of the workspace's gradient being zero (LSTM reads one slot,
// usually the last h; the dense gradient was 14.7 MB of zeros a step in the bench
// lstm workload).
// The GRU and RNN gradient ops share the type.
type lstmGradParams struct {
	Bias bool
	Slot slotParams
}

// lstmDims are the sizes of one LSTM sequence op.
type lstmDims struct{ B, T, In, H int }

// lstmWidth is the width of a workspace row in units of H.
const lstmWidth = 7

// lstmSeqDef maps x (B, T, In), W_ih (4H, In), W_hh (4H, H), h0 (B, H), c0 (B, H) and,
// with Bias, b (4H) to the workspace (B, T, 7H).
var lstmSeqDef = &Def[lstmParams]{
	Name:  "LSTMSequence",
	Arity: Variadic,
	Shape: func(p lstmParams, in []tensor.Shape) (tensor.Shape, error) {
		d, err := lstmShapes(p, in)
		if err != nil {
			return nil, err
		}
		return tensor.Shape{d.B, d.T, lstmWidth * d.H}, nil
	},
	Forward: func(p lstmParams, in []*tensor.Dense, ws *tensor.Dense) error {
		d, err := lstmShapes(p, shapesOfDense(in))
		if err != nil {
			return err
		}
		// lstmForward writes every element: the buffer's old values do not matter.
		switch in[0].Dtype() {
		case tensor.Float32:
			lstmForward(d, floatsOf[float32](in), ws.Float32s())
		default:
			lstmForward(d, floatsOf[float64](in), ws.Float64s())
		}
		return nil
	},
	Backward: func(p lstmParams, in []*gorgonia.Node, ws, dws *gorgonia.Node) ([]*gorgonia.Node, error) {
		// One op computes every gradient into a flat bundle; cutBundle cuts it up.
		// Where the workspace's gradient is one slot's, written into zeros, the op
		// takes the slot's gradient instead.
		gp := lstmGradParams{Bias: p.Bias}
		gp.Slot, dws = slotGradOf(ws, dws)
		args := append(append([]*gorgonia.Node{}, in[:5]...), ws, dws)
		bundle, err := lstmSeqGradDef.Apply(gp, args...)
		if err != nil {
			return nil, err
		}
		return cutBundle(bundle, in)
	},
}

// lstmSeqGradDef maps x, W_ih, W_hh, h0, c0, the workspace and its gradient (or, with
// Slot, the gradient of that slot) to the gradients of x, W_ih, W_hh, h0, c0 and, with
// Bias, b, flattened one after the other into one vector.
var lstmSeqGradDef = &Def[lstmGradParams]{
	Name:  "LSTMSequenceGrad",
	Arity: 7,
	Shape: func(p lstmGradParams, in []tensor.Shape) (tensor.Shape, error) {
		d, err := lstmShapes(lstmParams{}, in[:5])
		if err != nil {
			return nil, err
		}
		w := tensor.Shape{d.B, d.T, lstmWidth * d.H}
		dw, err := wsGradShape(p.Slot, w)
		if err != nil {
			return nil, err
		}
		if !in[5].Eq(w) || !in[6].Eq(dw) {
			return nil, errors.Errorf("workspace %v and its gradient %v, want %v and %v", in[5], in[6], w, dw)
		}
		return tensor.Shape{lstmGradSize(p.Bias, d)}, nil
	},
	Forward: func(p lstmGradParams, in []*tensor.Dense, out *tensor.Dense) error {
		d, err := lstmShapes(lstmParams{}, shapesOfDense(in[:5]))
		if err != nil {
			return err
		}
		// lstmBackward writes every element.
		switch in[0].Dtype() {
		case tensor.Float32:
			lstmBackward(d, p, floatsOf[float32](in), out.Float32s())
		default:
			lstmBackward(d, p, floatsOf[float64](in), out.Float64s())
		}
		return nil
	},
}

// lstmShapes checks the LSTM op's input shapes and returns its sizes.
func lstmShapes(p lstmParams, in []tensor.Shape) (lstmDims, error) {
	want := 5
	if p.Bias {
		want = 6
	}
	if len(in) != want {
		return lstmDims{}, errors.Errorf("got %d inputs, want %d (x, W_ih, W_hh, h0, c0, bias %t)", len(in), want, p.Bias)
	}
	x, wih, whh, h0, c0 := in[0], in[1], in[2], in[3], in[4]
	if x.Dims() != 3 || whh.Dims() != 2 {
		return lstmDims{}, errors.Errorf("x %v and W_hh %v, want (B, T, In) and (4H, H)", x, whh)
	}
	d := lstmDims{B: x[0], T: x[1], In: x[2], H: whh[1]}
	g := 4 * d.H
	switch {
	case whh[0] != g:
		return d, errors.Errorf("W_hh %v, want (4H, H)", whh)
	case !wih.Eq(tensor.Shape{g, d.In}):
		return d, errors.Errorf("W_ih %v, want (%d, %d)", wih, g, d.In)
	case !h0.Eq(tensor.Shape{d.B, d.H}) || !c0.Eq(tensor.Shape{d.B, d.H}):
		return d, errors.Errorf("h0 %v and c0 %v, want (%d, %d)", h0, c0, d.B, d.H)
	case p.Bias && !in[5].Eq(tensor.Shape{g}):
		return d, errors.Errorf("bias %v, want (%d)", in[5], g)
	}
	return d, nil
}

// lstmGradSize is the length of the gradient bundle.
func lstmGradSize(bias bool, d lstmDims) int {
	n := d.B*d.T*d.In + 4*d.H*d.In + 4*d.H*d.H + 2*d.B*d.H
	if bias {
		n += 4 * d.H
	}
	return n
}

// lstmForward fills ws (B, T, 7H) from in = x, W_ih, W_hh, h0, c0 [, b].
func lstmForward[F float](d lstmDims, in [][]F, ws []F) {
	x, wih, whh, h0, c0 := in[0], in[1], in[2], in[3], in[4]
	var bias []F
	if len(in) > 5 {
		bias = in[5]
	}
	B, T, H := d.B, d.T, d.H
	G, W := 4*H, lstmWidth*H
	// Pre-activations of every step: x·W_ihᵀ into the gate columns of ws.
	rnnGemm(false, true, B*T, G, d.In, x, d.In, wih, d.In, 0, ws, W)
	for t := 0; t < T; t++ {
		// Rows (b, t) of ws for every b are T·W apart.
		hPrev, ldh := h0, H
		if t > 0 {
			hPrev, ldh = ws[(t-1)*W+5*H:], T*W
		}
		rnnGemm(false, true, B, G, H, hPrev, ldh, whh, H, 1, ws[t*W:], T*W)
		parallelRows(B, func(lo, hi int) {
			for b := lo; b < hi; b++ {
				r := b*T + t
				row := ws[r*W : (r+1)*W]
				cPrev := c0[b*H : (b+1)*H]
				if t > 0 {
					cPrev = ws[(r-1)*W+4*H : (r-1)*W+5*H]
				}
				lstmCell(row, cPrev, bias, H)
			}
		})
	}
}

// lstmBackward writes the gradient bundle (dx, dW_ih, dW_hh, dh0, dc0 [, db]) from
// in = x, W_ih, W_hh, h0, c0, ws, and dws or, with p.Slot, the slot's gradient.
func lstmBackward[F float](d lstmDims, p lstmGradParams, in [][]F, out []F) {
	x, wih, whh, h0, c0, ws, dws := in[0], in[1], in[2], in[3], in[4], in[5], in[6]
	B, T, H, In := d.B, d.T, d.H, d.In
	G, W := 4*H, lstmWidth*H
	dx, rest := out[:B*T*In], out[B*T*In:]
	dwih, rest := rest[:G*In], rest[G*In:]
	dwhh, rest := rest[:G*H], rest[G*H:]
	dh0, rest := rest[:B*H], rest[B*H:]
	dc0, db := rest[:B*H], rest[B*H:]

	dG := getBuf[F](B * T * G) // pre-activation gradients, rows (b, t)
	defer putBuf(dG)
	drows := newSlotRows(p.Slot, B, T, W, dws)
	defer drows.release()
	dh := dh0 // the gradient reaching h_t through the recurrence, then dh0
	dc := dc0 // the gradient reaching c_t through the recurrence, then dc0
	clear(dh)
	clear(dc)
	for t := T - 1; t >= 0; t-- {
		if t < T-1 {
			rnnGemm(false, false, B, H, G, dG[(t+1)*G:], T*G, whh, H, 0, dh, H)
		}
		parallelRows(B, func(lo, hi int) {
			for b := lo; b < hi; b++ {
				r := b*T + t
				cPrev := c0[b*H : (b+1)*H]
				if t > 0 {
					cPrev = ws[(r-1)*W+4*H : (r-1)*W+5*H]
				}
				lstmCellGrad(ws[r*W:(r+1)*W], drows.row(b, t), cPrev, dh[b*H:(b+1)*H], dc[b*H:(b+1)*H], dG[r*G:(r+1)*G], H)
			}
		})
	}
	rnnGemm(false, false, B, H, G, dG, T*G, whh, H, 0, dh0, H)

	weightGrads(d, G, dG, dG, x, wih, ws, W, 5*H, h0, dx, dwih, dwhh)
	if p.Bias {
		columnSums64(dG, B*T, G, db)
	}
}
