package ops

import (
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// This file holds what the fused recurrent ops (lstm.go, gru.go, rnn.go)
// share: the ops that read states out of a workspace and cut a gradient bundle into
// per-input gradients, and the kernels' helpers.

// slotParams select columns [Offset, Offset+Size) of every row of a workspace
// (B, T, W), at every step, or at the last step only with Last.
type slotParams struct {
	Offset, Size int
	Last         bool
}

// recurrentSlotDef reads a slot out of a workspace (B, T, W): (B, T, Size), or
// (B, Size) with Last.
var recurrentSlotDef = &Def[slotParams]{
	Name:  "RecurrentSlot",
	Arity: 1,
	Shape: func(p slotParams, in []tensor.Shape) (tensor.Shape, error) {
		ws := in[0]
		if ws.Dims() != 3 || p.Offset < 0 || p.Size < 1 || p.Offset+p.Size > ws[2] {
			return nil, errors.Errorf("workspace %v, want (B, T, W) with W >= %d", ws, p.Offset+p.Size)
		}
		if p.Last {
			return tensor.Shape{ws[0], p.Size}, nil
		}
		return tensor.Shape{ws[0], ws[1], p.Size}, nil
	},
	Forward: func(p slotParams, in []*tensor.Dense, out *tensor.Dense) error {
		s := in[0].Shape()
		switch in[0].Dtype() {
		case tensor.Float32:
			copySlot(p, s[0], s[1], s[2], in[0].Float32s(), out.Float32s(), false)
		default:
			copySlot(p, s[0], s[1], s[2], in[0].Float64s(), out.Float64s(), false)
		}
		return nil
	},
	Backward: func(p slotParams, in []*gorgonia.Node, _, dy *gorgonia.Node) ([]*gorgonia.Node, error) {
		dws, err := recurrentSlotGradDef.Apply(p, in[0], dy)
		return []*gorgonia.Node{dws}, err
	},
}

// recurrentSlotGradDef maps a workspace and the gradient of one of its slots to the
// workspace's gradient: zeros outside the slot.
var recurrentSlotGradDef = &Def[slotParams]{
	Name:  "RecurrentSlotGrad",
	Arity: 2,
	Shape: func(p slotParams, in []tensor.Shape) (tensor.Shape, error) {
		return in[0], nil
	},
	Forward: func(p slotParams, in []*tensor.Dense, out *tensor.Dense) error {
		s := in[0].Shape()
		switch in[0].Dtype() {
		case tensor.Float32:
			clear(out.Float32s())
			copySlot(p, s[0], s[1], s[2], out.Float32s(), in[1].Float32s(), true)
		default:
			clear(out.Float64s())
			copySlot(p, s[0], s[1], s[2], out.Float64s(), in[1].Float64s(), true)
		}
		return nil
	},
}

// copySlot copies the slot p of ws (B, T, W) to y, or y to the slot with back.
func copySlot[F float](p slotParams, B, T, W int, ws, y []F, back bool) {
	t0, steps := 0, T
	if p.Last {
		t0, steps = T-1, 1
	}
	for b := 0; b < B; b++ {
		for t := 0; t < steps; t++ {
			w := ws[(b*T+t0+t)*W+p.Offset:][:p.Size]
			v := y[(b*steps+t)*p.Size:][:p.Size]
			if back {
				copy(w, v)
			} else {
				copy(v, w)
			}
		}
	}
}

// pieceParams select elements [Offset, Offset + prod(Shape)) of a vector, as a tensor
// of Shape.
type pieceParams struct {
	Offset int
	Shape  []int
}

// recurrentPieceDef cuts one input's gradient out of a fused op's gradient bundle.
// It is a backward op: it has no gradient.
var recurrentPieceDef = &Def[pieceParams]{
	Name:  "RecurrentPiece",
	Arity: 1,
	Shape: func(p pieceParams, in []tensor.Shape) (tensor.Shape, error) {
		s := tensor.Shape(p.Shape)
		if in[0].Dims() != 1 || p.Offset < 0 || p.Offset+s.TotalSize() > in[0][0] {
			return nil, errors.Errorf("bundle %v too short for %v at %d", in[0], s, p.Offset)
		}
		return s.Clone(), nil
	},
	Forward: func(p pieceParams, in []*tensor.Dense, out *tensor.Dense) error {
		n := out.Size()
		switch in[0].Dtype() {
		case tensor.Float32:
			copy(out.Float32s(), in[0].Float32s()[p.Offset:p.Offset+n])
		default:
			copy(out.Float64s(), in[0].Float64s()[p.Offset:p.Offset+n])
		}
		return nil
	},
}

// shapesOfDense returns the shapes of ts.
func shapesOfDense(ts []*tensor.Dense) []tensor.Shape {
	s := make([]tensor.Shape, len(ts))
	for i, t := range ts {
		s[i] = t.Shape()
	}
	return s
}

// floatsOf returns the backing slices of ts, all of element type F.
func floatsOf[F float](ts []*tensor.Dense) [][]F {
	out := make([][]F, len(ts))
	for i, t := range ts {
		out[i] = t.Data().([]F)
	}
	return out
}

// rnnGemm is c = op(a)·op(b) + beta·c for row-major matrices with leading dimensions,
// op transposing where tA/tB: op(a) is m×k, op(b) k×n: sgemm or dgemm, gradflow's
// ops/blas called directly.
func rnnGemm[F float](tA, tB bool, m, n, k int, a []F, lda int, b []F, ldb int, beta F, c []F, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if is32[F]() {
		sgemm(tA, tB, m, n, k, as32(a), lda, as32(b), ldb, float32(beta), as32(c), ldc)
		return
	}
	dgemm(tA, tB, m, n, k, as64(a), lda, as64(b), ldb, float64(beta), as64(c), ldc)
}

// columnSums64 writes the sums of the columns of a (rows, cols) into out, accumulated
// in float64 (columnSums accumulates in the element type, as gorgonia does).
func columnSums64[F float](a []F, rows, cols int, out []F) {
	acc := make([]float64, cols)
	for r := 0; r < rows; r++ {
		for j, v := range a[r*cols : (r+1)*cols] {
			acc[j] += float64(v)
		}
	}
	for j, v := range acc {
		out[j] = F(v)
	}
}

// parallelMinRows is the batch size from which the per-step gate arithmetic is split
// across cores.
const parallelMinRows = 8

// parallelRows calls f on a partition of [0, n) into ranges, in parallel on up to
// GOMAXPROCS goroutines, at least parallelMinRows rows each (forRangesMin). The ranges
// do not overlap, and each row's result does not depend on the partition, so results
// are the same bit for bit.
func parallelRows(n int, f func(lo, hi int)) { forRangesMin(n, parallelMinRows, f) }

// cutBundle cuts a fused op's gradient bundle into one gradient per input, in order,
// each of its input's shape.
func cutBundle(bundle *gorgonia.Node, in []*gorgonia.Node) ([]*gorgonia.Node, error) {
	grads := make([]*gorgonia.Node, len(in))
	off := 0
	for k, n := range in {
		var err error
		p := pieceParams{Offset: off, Shape: []int(n.Shape().Clone())}
		if grads[k], err = recurrentPieceDef.Apply(p, bundle); err != nil {
			return nil, err
		}
		off += n.Shape().TotalSize()
	}
	return grads, nil
}

// weightGrads computes the gradients that every step shares, from the pre-activation
// gradients of all steps at once, rows (b, t): dx = dGx·W_ih, dW_ih = dGxᵀ·x and
// dW_hh = dGhᵀ·h_prev, where h_prev's row (b, t) is h_{t-1}, read from columns
// [hOff, hOff+H) of the workspace ws (B, T, W), or h0 at t = 0. dGx is (B·T, G), dGh
// too (GRU's differ in the candidate gate's columns; RNN's and LSTM's are one).
func weightGrads[F float](d lstmDims, G int, dGx, dGh, x, wih, ws []F, W, hOff int, h0 []F, dx, dwih, dwhh []F) {
	B, T, H, In := d.B, d.T, d.H, d.In
	hPrev := getBuf[F](B * T * H)
	defer putBuf(hPrev)
	for b := 0; b < B; b++ {
		copy(hPrev[b*T*H:][:H], h0[b*H:])
		for t := 1; t < T; t++ {
			r := b*T + t
			copy(hPrev[r*H:][:H], ws[(r-1)*W+hOff:])
		}
	}
	rnnGemm(true, false, G, H, B*T, dGh, G, hPrev, H, 0, dwhh, H)
	rnnGemm(true, false, G, In, B*T, dGx, G, x, In, 0, dwih, In)
	rnnGemm(false, false, B*T, In, G, dGx, G, wih, In, 0, dx, In)
}

// slotRows hands a fused op's backward the workspace gradient's row (b, t): a row of
// the dense gradient (B, T, W), or, when the op was given the gradient of one slot
// only (p.Size > 0), a row of zeros with the slot's gradient copied in, so that the
// zeros of the full gradient are never made or read from memory.
type slotRows[F float] struct {
	p       slotParams
	T, W    int
	d       []F // the dense gradient, or the slot's: (B, T, Size), or (B, Size) with Last
	zero    []F // W zeros
	scratch []F // B rows of W: zeros outside the slot's columns
}

// newSlotRows returns the rows of d, the gradient of a (B, T, W) workspace, or of its
// slot p when p.Size > 0. Call release when done.
func newSlotRows[F float](p slotParams, B, T, W int, d []F) slotRows[F] {
	if p.Offset == 0 && p.Size == W && !p.Last {
		p = slotParams{} // the slot is the whole workspace: d is dense
	}
	s := slotRows[F]{p: p, T: T, W: W, d: d}
	if p.Size > 0 {
		s.zero = getBuf[F](W)
		s.scratch = getBuf[F](B * W)
		clear(s.zero)
		clear(s.scratch)
	}
	return s
}

// row returns the gradient row of batch row b at step t. Calls for different b may
// run concurrently; the row is valid until the next call with the same b.
func (s slotRows[F]) row(b, t int) []F {
	p := s.p
	if p.Size == 0 {
		r := b*s.T + t
		return s.d[r*s.W : (r+1)*s.W]
	}
	if p.Last && t != s.T-1 {
		return s.zero
	}
	k := b*s.T + t // the slot's row
	if p.Last {
		k = b
	}
	src := s.d[k*p.Size : (k+1)*p.Size]
	row := s.scratch[b*s.W : (b+1)*s.W]
	copy(row[p.Offset:p.Offset+p.Size], src)
	return row
}

// release returns the scratch buffers.
func (s slotRows[F]) release() {
	if s.zero != nil {
		putBuf(s.zero)
		putBuf(s.scratch)
	}
}

// slotGradOf returns the slot and the slot's gradient where dws, the gradient of the
// workspace ws, was made by recurrentSlotGradDef from one slot's gradient (the caller
// read one slot of ws, and the rest of dws is zeros), else a zero slotParams and dws.
func slotGradOf(ws, dws *gorgonia.Node) (slotParams, *gorgonia.Node) {
	if sp, in, ok := recurrentSlotGradDef.Of(dws); ok && in[0] == ws {
		return sp, in[1]
	}
	return slotParams{}, dws
}

// wsGradShape returns the shape of a fused gradient op's last input: the workspace's
// shape w, or the shape of its slot when slot.Size > 0.
func wsGradShape(slot slotParams, w tensor.Shape) (tensor.Shape, error) {
	if slot.Size == 0 {
		return w, nil
	}
	return recurrentSlotDef.Shape(slot, []tensor.Shape{w})
}
