package ops

import (
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// This file holds the Elman RNN (tanh) over a whole sequence as one op, forward and
// backward, for the same reasons as the LSTM's (lstm.go): unrolled, each step was
// about 7 gorgonia nodes, each allocating its output on every run. Its workspace is the
// hidden states themselves, (B, T, H); tanh's derivative is read from them.

// rnnSeqDef maps x (B, T, In), W_ih (H, In), W_hh (H, H), h0 (B, H) and, with Bias,
// b (H) (b_ih + b_hh) to every hidden state (B, T, H).
var rnnSeqDef = &Def[lstmParams]{
	Name:  "RNNSequence",
	Arity: Variadic,
	Shape: func(p lstmParams, in []tensor.Shape) (tensor.Shape, error) {
		d, err := rnnShapes(p, in)
		if err != nil {
			return nil, err
		}
		return tensor.Shape{d.B, d.T, d.H}, nil
	},
	Forward: func(p lstmParams, in []*tensor.Dense, ws *tensor.Dense) error {
		d, err := rnnShapes(p, shapesOfDense(in))
		if err != nil {
			return err
		}
		// rnnForward writes every element: the buffer's old values do not matter.
		switch in[0].Dtype() {
		case tensor.Float32:
			rnnForward(d, floatsOf[float32](in), ws.Float32s())
		default:
			rnnForward(d, floatsOf[float64](in), ws.Float64s())
		}
		return nil
	},
	Backward: func(p lstmParams, in []*gorgonia.Node, ws, dws *gorgonia.Node) ([]*gorgonia.Node, error) {
		// Where the workspace's gradient is one slot's, written into zeros, the op
		// takes the slot's gradient instead.
		gp := lstmGradParams{Bias: p.Bias}
		gp.Slot, dws = slotGradOf(ws, dws)
		args := append(append([]*gorgonia.Node{}, in[:4]...), ws, dws)
		bundle, err := rnnSeqGradDef.Apply(gp, args...)
		if err != nil {
			return nil, err
		}
		return cutBundle(bundle, in)
	},
}

// rnnSeqGradDef maps x, W_ih, W_hh, h0, the hidden states and their gradient to the
// gradients of x, W_ih, W_hh, h0 and, with Bias, b, flattened into one vector.
var rnnSeqGradDef = &Def[lstmGradParams]{
	Name:  "RNNSequenceGrad",
	Arity: 6,
	Shape: func(p lstmGradParams, in []tensor.Shape) (tensor.Shape, error) {
		d, err := rnnShapes(lstmParams{}, in[:4])
		if err != nil {
			return nil, err
		}
		w := tensor.Shape{d.B, d.T, d.H}
		dw, err := wsGradShape(p.Slot, w)
		if err != nil {
			return nil, err
		}
		if !in[4].Eq(w) || !in[5].Eq(dw) {
			return nil, errors.Errorf("hidden states %v and their gradient %v, want %v and %v", in[4], in[5], w, dw)
		}
		return tensor.Shape{rnnGradSize(p.Bias, d)}, nil
	},
	Forward: func(p lstmGradParams, in []*tensor.Dense, out *tensor.Dense) error {
		d, err := rnnShapes(lstmParams{}, shapesOfDense(in[:4]))
		if err != nil {
			return err
		}
		// rnnBackward writes every element.
		switch in[0].Dtype() {
		case tensor.Float32:
			rnnBackward(d, p, floatsOf[float32](in), out.Float32s())
		default:
			rnnBackward(d, p, floatsOf[float64](in), out.Float64s())
		}
		return nil
	},
}

// rnnShapes checks the RNN op's input shapes and returns its sizes.
func rnnShapes(p lstmParams, in []tensor.Shape) (lstmDims, error) {
	want := 4
	if p.Bias {
		want = 5
	}
	if len(in) != want {
		return lstmDims{}, errors.Errorf("got %d inputs, want %d (x, W_ih, W_hh, h0, bias %t)", len(in), want, p.Bias)
	}
	x, wih, whh, h0 := in[0], in[1], in[2], in[3]
	if x.Dims() != 3 || whh.Dims() != 2 || whh[0] != whh[1] {
		return lstmDims{}, errors.Errorf("x %v and W_hh %v, want (B, T, In) and (H, H)", x, whh)
	}
	d := lstmDims{B: x[0], T: x[1], In: x[2], H: whh[1]}
	switch {
	case !wih.Eq(tensor.Shape{d.H, d.In}):
		return d, errors.Errorf("W_ih %v, want (%d, %d)", wih, d.H, d.In)
	case !h0.Eq(tensor.Shape{d.B, d.H}):
		return d, errors.Errorf("h0 %v, want (%d, %d)", h0, d.B, d.H)
	case p.Bias && !in[4].Eq(tensor.Shape{d.H}):
		return d, errors.Errorf("bias %v, want (%d)", in[4], d.H)
	}
	return d, nil
}

// rnnGradSize is the length of the gradient bundle.
func rnnGradSize(bias bool, d lstmDims) int {
	n := d.B*d.T*d.In + d.H*d.In + d.H*d.H + d.B*d.H
	if bias {
		n += d.H
	}
	return n
}

// rnnForward fills hs (B, T, H) from in = x, W_ih, W_hh, h0 [, b].
func rnnForward[F float](d lstmDims, in [][]F, hs []F) {
	x, wih, whh, h0 := in[0], in[1], in[2], in[3]
	var bias []F
	if len(in) > 4 {
		bias = in[4]
	}
	B, T, H := d.B, d.T, d.H
	rnnGemm(false, true, B*T, H, d.In, x, d.In, wih, d.In, 0, hs, H)
	for t := 0; t < T; t++ {
		hPrev, ldh := h0, H
		if t > 0 {
			hPrev, ldh = hs[(t-1)*H:], T*H
		}
		rnnGemm(false, true, B, H, H, hPrev, ldh, whh, H, 1, hs[t*H:], T*H)
		parallelRows(B, func(lo, hi int) {
			for b := lo; b < hi; b++ {
				tanhBias(hs[(b*T+t)*H:][:H], bias)
			}
		})
	}
}

// rnnBackward writes the gradient bundle (dx, dW_ih, dW_hh, dh0 [, db]) from in = x,
// W_ih, W_hh, h0, hs, dhs.
func rnnBackward[F float](d lstmDims, p lstmGradParams, in [][]F, out []F) {
	x, wih, whh, h0, hs, dhs := in[0], in[1], in[2], in[3], in[4], in[5]
	B, T, H, In := d.B, d.T, d.H, d.In
	dx, rest := out[:B*T*In], out[B*T*In:]
	dwih, rest := rest[:H*In], rest[H*In:]
	dwhh, rest := rest[:H*H], rest[H*H:]
	dh0, db := rest[:B*H], rest[B*H:]

	dG := getBuf[F](B * T * H)
	defer putBuf(dG)
	drows := newSlotRows(p.Slot, B, T, H, dhs)
	defer drows.release()
	dh := dh0
	clear(dh)
	for t := T - 1; t >= 0; t-- {
		if t < T-1 {
			rnnGemm(false, false, B, H, H, dG[(t+1)*H:], T*H, whh, H, 0, dh, H)
		}
		parallelRows(B, func(lo, hi int) {
			for b := lo; b < hi; b++ {
				r := (b*T + t) * H
				drow := drows.row(b, t)
				for j := 0; j < H; j++ {
					h := float64(hs[r+j])
					dG[r+j] = F((float64(drow[j]) + float64(dh[b*H+j])) * (1 - h*h))
				}
			}
		})
	}
	rnnGemm(false, false, B, H, H, dG, T*H, whh, H, 0, dh0, H)
	weightGrads(d, H, dG, dG, x, wih, hs, H, 0, h0, dx, dwih, dwhh)
	if p.Bias {
		columnSums64(dG, B*T, H, db)
	}
}
