package ops

import (
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// This file holds the GRU over a whole sequence as one op, forward and backward, for
// the same reasons as the LSTM's (lstm.go): unrolled, each step was about 26
// gorgonia nodes, each allocating its output on every run.
//
// The workspace ws (B, T, 5H) holds, for every batch row b and step t, the activated
// gates r, z, n (3H), hn = W_hn·h_{t-1} + b_hn (H), which r multiplies and the backward
// needs, and h_t (H).

// gruWidth is the width of a GRU workspace row in units of H.
const gruWidth = 5

// gruSeqDef maps x (B, T, In), W_ih (3H, In), W_hh (3H, H), h0 (B, H) and, with Bias,
// b_ih and b_hh (3H each) to the workspace (B, T, 5H). The biases stay apart: b_hn is
// multiplied by r.
var gruSeqDef = &Def[lstmParams]{
	Name:  "GRUSequence",
	Arity: Variadic,
	Shape: func(p lstmParams, in []tensor.Shape) (tensor.Shape, error) {
		d, err := gruShapes(p, in)
		if err != nil {
			return nil, err
		}
		return tensor.Shape{d.B, d.T, gruWidth * d.H}, nil
	},
	Forward: func(p lstmParams, in []*tensor.Dense, ws *tensor.Dense) error {
		d, err := gruShapes(p, shapesOfDense(in))
		if err != nil {
			return err
		}
		// gruForward writes every element: the buffer's old values do not matter.
		switch in[0].Dtype() {
		case tensor.Float32:
			gruForward(d, floatsOf[float32](in), ws.Float32s())
		default:
			gruForward(d, floatsOf[float64](in), ws.Float64s())
		}
		return nil
	},
	Backward: func(p lstmParams, in []*gorgonia.Node, ws, dws *gorgonia.Node) ([]*gorgonia.Node, error) {
		// Where the workspace's gradient is one slot's, written into zeros, the op
		// takes the slot's gradient instead.
		gp := lstmGradParams{Bias: p.Bias}
		gp.Slot, dws = slotGradOf(ws, dws)
		args := append(append([]*gorgonia.Node{}, in[:4]...), ws, dws)
		bundle, err := gruSeqGradDef.Apply(gp, args...)
		if err != nil {
			return nil, err
		}
		return cutBundle(bundle, in)
	},
}

// gruSeqGradDef maps x, W_ih, W_hh, h0, the workspace and its gradient to the
// gradients of x, W_ih, W_hh, h0 and, with Bias, b_ih and b_hh, flattened into one
// vector.
var gruSeqGradDef = &Def[lstmGradParams]{
	Name:  "GRUSequenceGrad",
	Arity: 6,
	Shape: func(p lstmGradParams, in []tensor.Shape) (tensor.Shape, error) {
		d, err := gruShapes(lstmParams{}, in[:4])
		if err != nil {
			return nil, err
		}
		w := tensor.Shape{d.B, d.T, gruWidth * d.H}
		dw, err := wsGradShape(p.Slot, w)
		if err != nil {
			return nil, err
		}
		if !in[4].Eq(w) || !in[5].Eq(dw) {
			return nil, errors.Errorf("workspace %v and its gradient %v, want %v and %v", in[4], in[5], w, dw)
		}
		return tensor.Shape{gruGradSize(p.Bias, d)}, nil
	},
	Forward: func(p lstmGradParams, in []*tensor.Dense, out *tensor.Dense) error {
		d, err := gruShapes(lstmParams{}, shapesOfDense(in[:4]))
		if err != nil {
			return err
		}
		// gruBackward writes every element.
		switch in[0].Dtype() {
		case tensor.Float32:
			gruBackward(d, p, floatsOf[float32](in), out.Float32s())
		default:
			gruBackward(d, p, floatsOf[float64](in), out.Float64s())
		}
		return nil
	},
}

// gruShapes checks the GRU op's input shapes and returns its sizes.
func gruShapes(p lstmParams, in []tensor.Shape) (lstmDims, error) {
	want := 4
	if p.Bias {
		want = 6
	}
	if len(in) != want {
		return lstmDims{}, errors.Errorf("got %d inputs, want %d (x, W_ih, W_hh, h0, bias %t)", len(in), want, p.Bias)
	}
	x, wih, whh, h0 := in[0], in[1], in[2], in[3]
	if x.Dims() != 3 || whh.Dims() != 2 || whh[0] != 3*whh[1] {
		return lstmDims{}, errors.Errorf("x %v and W_hh %v, want (B, T, In) and (3H, H)", x, whh)
	}
	d := lstmDims{B: x[0], T: x[1], In: x[2], H: whh[1]}
	g := 3 * d.H
	switch {
	case !wih.Eq(tensor.Shape{g, d.In}):
		return d, errors.Errorf("W_ih %v, want (%d, %d)", wih, g, d.In)
	case !h0.Eq(tensor.Shape{d.B, d.H}):
		return d, errors.Errorf("h0 %v, want (%d, %d)", h0, d.B, d.H)
	case p.Bias && (!in[4].Eq(tensor.Shape{g}) || !in[5].Eq(tensor.Shape{g})):
		return d, errors.Errorf("biases %v and %v, want (%d)", in[4], in[5], g)
	}
	return d, nil
}

// gruGradSize is the length of the gradient bundle.
func gruGradSize(bias bool, d lstmDims) int {
	n := d.B*d.T*d.In + 3*d.H*d.In + 3*d.H*d.H + d.B*d.H
	if bias {
		n += 6 * d.H
	}
	return n
}

// gruForward fills ws (B, T, 5H) from in = x, W_ih, W_hh, h0 [, b_ih, b_hh].
func gruForward[F float](d lstmDims, in [][]F, ws []F) {
	x, wih, whh, h0 := in[0], in[1], in[2], in[3]
	var bih, bhh []F
	if len(in) > 4 {
		bih, bhh = in[4], in[5]
	}
	B, T, H := d.B, d.T, d.H
	G, W := 3*H, gruWidth*H
	rnnGemm(false, true, B*T, G, d.In, x, d.In, wih, d.In, 0, ws, W)
	hp := getBuf[F](B * G) // h_{t-1}·W_hhᵀ
	defer putBuf(hp)
	for t := 0; t < T; t++ {
		hPrev, ldh := h0, H
		if t > 0 {
			hPrev, ldh = ws[(t-1)*W+4*H:], T*W
		}
		rnnGemm(false, true, B, G, H, hPrev, ldh, whh, H, 0, hp, G)
		parallelRows(B, func(lo, hi int) {
			for b := lo; b < hi; b++ {
				r := b*T + t
				hPrev := h0[b*H : (b+1)*H]
				if t > 0 {
					hPrev = ws[(r-1)*W+4*H : (r-1)*W+5*H]
				}
				gruCell(ws[r*W:(r+1)*W], hp[b*G:(b+1)*G], hPrev, bih, bhh, H)
			}
		})
	}
}

// gruBackward writes the gradient bundle (dx, dW_ih, dW_hh, dh0 [, db_ih, db_hh])
// from in = x, W_ih, W_hh, h0, ws, dws.
func gruBackward[F float](d lstmDims, p lstmGradParams, in [][]F, out []F) {
	x, wih, whh, h0, ws, dws := in[0], in[1], in[2], in[3], in[4], in[5]
	B, T, H, In := d.B, d.T, d.H, d.In
	G, W := 3*H, gruWidth*H
	dx, rest := out[:B*T*In], out[B*T*In:]
	dwih, rest := rest[:G*In], rest[G*In:]
	dwhh, rest := rest[:G*H], rest[G*H:]
	dh0, rest := rest[:B*H], rest[B*H:]

	// Pre-activation gradients of the input and of the recurrent products, rows
	// (b, t); they differ in the candidate gate: a_n = x_n + r*hn.
	dGx := getBuf[F](B * T * G)
	defer putBuf(dGx)
	dGh := getBuf[F](B * T * G)
	defer putBuf(dGh)
	drows := newSlotRows(p.Slot, B, T, W, dws)
	defer drows.release()
	// carry is the gradient reaching h_t: z_{t+1}*dh_{t+1} from the cell, plus
	// dGh_{t+1}·W_hh added by the GEMM; after the loop, dh0.
	carry := dh0
	clear(carry)
	for t := T - 1; t >= 0; t-- {
		if t < T-1 {
			rnnGemm(false, false, B, H, G, dGh[(t+1)*G:], T*G, whh, H, 1, carry, H)
		}
		parallelRows(B, func(lo, hi int) {
			for b := lo; b < hi; b++ {
				r := b*T + t
				hPrev := h0[b*H : (b+1)*H]
				if t > 0 {
					hPrev = ws[(r-1)*W+4*H : (r-1)*W+5*H]
				}
				gruCellGrad(ws[r*W:(r+1)*W], drows.row(b, t), hPrev, carry[b*H:(b+1)*H], dGx[r*G:(r+1)*G], dGh[r*G:(r+1)*G], H)
			}
		})
	}
	rnnGemm(false, false, B, H, G, dGh, T*G, whh, H, 1, dh0, H)
	weightGrads(d, G, dGx, dGh, x, wih, ws, W, 4*H, h0, dx, dwih, dwhh)
	if p.Bias {
		columnSums64(dGx, B*T, G, rest[:G])
		columnSums64(dGh, B*T, G, rest[G:2*G])
	}
}

// gruCellGrad computes one row's pre-activation gradients dgx and dgh from its
// workspace row, the workspace gradient row (every column), h_{t-1}, and carry, the
// gradient reaching h_t from step t+1, which it replaces with z*dh_t, the part of
// the gradient reaching h_{t-1} that bypasses W_hh.
func gruCellGrad[F float](row, drow, hPrev, carry, dgx, dgh []F, H int) {
	for j := 0; j < H; j++ {
		r, z, n, hn := float64(row[j]), float64(row[H+j]), float64(row[2*H+j]), float64(row[3*H+j])
		dh := float64(drow[4*H+j]) + float64(carry[j])
		dn := dh*(1-z) + float64(drow[2*H+j])
		dz := dh*(float64(hPrev[j])-n) + float64(drow[H+j])
		dan := dn * (1 - n*n)
		dr := dan*hn + float64(drow[j])
		dhn := dan*r + float64(drow[3*H+j])
		dar, daz := dr*r*(1-r), dz*z*(1-z)
		dgx[j], dgx[H+j], dgx[2*H+j] = F(dar), F(daz), F(dan)
		dgh[j], dgh[H+j], dgh[2*H+j] = F(dar), F(daz), F(dhn)
		carry[j] = F(dh * z)
	}
}
