package ops

import "math"

// This file holds the element-wise gate arithmetic of the fused recurrent ops: the
// LSTM cell forward and backward, the GRU cell forward, and tanh with a bias for the
// plain RNN.
//
// Each has a scalar Go kernel, which computes in float64 with package math's exp and
// tanh and rounds to the element type, and, for float32 on CPUs with AVX-512, an
// assembly kernel (gates_amd64.s) that does the same operations in the same order on
// eight float64 lanes, with a polynomial exp (1e-13 relative) instead of math.Exp. They
// nearly always agree bit for bit, and otherwise differ by at most two float32 ulps
// (TestGateKernels). The assembly takes whole groups of 8 columns; the scalar kernel
// does the rest. Why: the scalar math.Exp and math.Tanh calls were about a third of
// the bench lstm workload's step (docs/layers-sequence.md). float64 stays on the scalar path.

// lstmCell turns one row's pre-activations [i f g o] into activations in place and
// writes c' = f*c + i*g, h' = o*tanh(c') and tanh(c') after them. bias (4H) may be
// nil; cPrev is c_{t-1} (H).
func lstmCell[F float](row, cPrev, bias []F, H int) {
	from := 0
	if r, ok := any(row).([]float32); ok && gateAsm && H >= 8 {
		from = H &^ 7
		_, _ = r[lstmWidth*H-1], cPrev[H-1]
		var b *float32
		if bias != nil {
			b32 := any(bias).([]float32)
			_ = b32[4*H-1]
			b = &b32[0]
		}
		lstmCellAVX512(&r[0], &any(cPrev).([]float32)[0], b, H, from)
	}
	lstmCellScalar(row, cPrev, bias, H, from)
}

// lstmCellScalar is lstmCell for columns [from, H).
func lstmCellScalar[F float](row, cPrev, bias []F, H, from int) {
	pi, pf, pg, po := row[:H], row[H:2*H], row[2*H:3*H], row[3*H:4*H]
	c, h, tc := row[4*H:5*H], row[5*H:6*H], row[6*H:7*H]
	for j := from; j < H; j++ {
		ai, af, ag, ao := float64(pi[j]), float64(pf[j]), float64(pg[j]), float64(po[j])
		if bias != nil {
			ai += float64(bias[j])
			af += float64(bias[H+j])
			ag += float64(bias[2*H+j])
			ao += float64(bias[3*H+j])
		}
		i, f, g, o := F(gateSigmoid(ai)), F(gateSigmoid(af)), F(math.Tanh(ag)), F(gateSigmoid(ao))
		pi[j], pf[j], pg[j], po[j] = i, f, g, o
		cj := F(float64(f)*float64(cPrev[j]) + float64(i)*float64(g))
		c[j] = cj
		tcj := math.Tanh(float64(cj))
		tc[j] = F(tcj)
		h[j] = F(float64(o) * tcj)
	}
}

// lstmCellGrad computes one row's pre-activation gradients dg (4H) from its workspace
// row, the workspace gradient row (every column: gates, c_t, h_t, tanh(c_t)), c_{t-1},
// and dh, dc: the gradients reaching h_t and c_t from step t+1. It leaves in dc the
// gradient reaching c_{t-1}.
func lstmCellGrad[F float](row, drow, cPrev, dh, dc, dg []F, H int) {
	from := 0
	if r, ok := any(row).([]float32); ok && gateAsm && H >= 8 {
		from = H &^ 7
		f32 := func(s []F) *float32 { return &any(s).([]float32)[0] }
		_, _, _, _, _, _ = r[lstmWidth*H-1], drow[lstmWidth*H-1], cPrev[H-1], dh[H-1], dc[H-1], dg[4*H-1]
		lstmCellGradAVX512(&r[0], f32(drow), f32(cPrev), f32(dh), f32(dc), f32(dg), H, from)
	}
	lstmCellGradScalar(row, drow, cPrev, dh, dc, dg, H, from)
}

// lstmCellGradScalar is lstmCellGrad for columns [from, H).
func lstmCellGradScalar[F float](row, drow, cPrev, dh, dc, dg []F, H, from int) {
	for j := from; j < H; j++ {
		i, f, g, o := float64(row[j]), float64(row[H+j]), float64(row[2*H+j]), float64(row[3*H+j])
		tc := float64(row[6*H+j])
		dhj := float64(drow[5*H+j]) + float64(dh[j])
		dcj := float64(drow[4*H+j]) + float64(dc[j]) + (dhj*o+float64(drow[6*H+j]))*(1-tc*tc)
		// The workspace's gate columns are outputs too: their gradient adds in.
		di := dcj*g + float64(drow[j])
		df := dcj*float64(cPrev[j]) + float64(drow[H+j])
		dgg := dcj*i + float64(drow[2*H+j])
		do := dhj*tc + float64(drow[3*H+j])
		dg[j] = F(di * i * (1 - i))
		dg[H+j] = F(df * f * (1 - f))
		dg[2*H+j] = F(dgg * (1 - g*g))
		dg[3*H+j] = F(do * o * (1 - o))
		dc[j] = F(dcj * f)
	}
}

// gruCell turns one row's input pre-activations [r z n] and recurrent products hp
// (3H) into the activations, hn and h' in place (gru.go has the layout). bih
// and bhh (3H) are both nil or both not.
func gruCell[F float](row, hp, hPrev, bih, bhh []F, H int) {
	from := 0
	if r, ok := any(row).([]float32); ok && gateAsm && H >= 8 {
		from = H &^ 7
		f32 := func(s []F) *float32 { return &any(s).([]float32)[0] }
		_, _, _ = r[gruWidth*H-1], hp[3*H-1], hPrev[H-1]
		var bi, bh *float32
		if bih != nil {
			_, _ = bih[3*H-1], bhh[3*H-1]
			bi, bh = f32(bih), f32(bhh)
		}
		gruCellAVX512(&r[0], f32(hp), f32(hPrev), bi, bh, H, from)
	}
	gruCellScalar(row, hp, hPrev, bih, bhh, H, from)
}

// gruCellScalar is gruCell for columns [from, H).
func gruCellScalar[F float](row, hp, hPrev, bih, bhh []F, H, from int) {
	for j := from; j < H; j++ {
		ar := float64(row[j]) + float64(hp[j])
		az := float64(row[H+j]) + float64(hp[H+j])
		xn, hn := float64(row[2*H+j]), float64(hp[2*H+j])
		if bih != nil {
			ar += float64(bih[j]) + float64(bhh[j])
			az += float64(bih[H+j]) + float64(bhh[H+j])
			xn += float64(bih[2*H+j])
			hn += float64(bhh[2*H+j])
		}
		r, z := F(gateSigmoid(ar)), F(gateSigmoid(az))
		hnF := F(hn)
		n := F(math.Tanh(xn + float64(r)*float64(hnF)))
		row[j], row[H+j], row[2*H+j], row[3*H+j] = r, z, n, hnF
		row[4*H+j] = F(float64(n) + float64(z)*(float64(hPrev[j])-float64(n)))
	}
}

// tanhBias sets x[j] = tanh(x[j] + bias[j]); bias may be nil.
func tanhBias[F float](x, bias []F) {
	from := 0
	if v, ok := any(x).([]float32); ok && gateAsm && len(x) >= 8 {
		from = len(x) &^ 7
		var b *float32
		if bias != nil {
			b32 := any(bias).([]float32)
			_ = b32[len(x)-1]
			b = &b32[0]
		}
		tanhBiasAVX512(&v[0], b, from)
	}
	tanhBiasScalar(x, bias, from)
}

// tanhBiasScalar is tanhBias for elements [from, len(x)).
func tanhBiasScalar[F float](x, bias []F, from int) {
	for j := from; j < len(x); j++ {
		v := float64(x[j])
		if bias != nil {
			v += float64(bias[j])
		}
		x[j] = F(math.Tanh(v))
	}
}

func gateSigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
