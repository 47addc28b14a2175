package kern

import "math"

// The gate arithmetic of the fused recurrent ops: the LSTM cell forward and backward,
// the GRU cell forward, and tanh with a bias for the plain RNN. Each Go body computes
// in float64 with package math's exp and tanh and rounds to the element type; for
// float32 the AVX-512 bodies do the same operations in the same order on eight
// float64 lanes, with the shared polynomial exp (1e-13 relative) instead of
// math.Exp. They nearly always agree bit for bit, and otherwise differ by at most two
// float32 ulps. The assembly takes whole groups of 8 columns; the Go body does the
// rest. float64 always runs the Go body.

// LSTMWidth and GRUWidth are the columns of a workspace row, in units of the hidden
// size H: [i f g o c h tanh(c)] for LSTMCell, [r z n hn h] for GRUCell.
const (
	LSTMWidth = 7
	GRUWidth  = 5
)

// LSTMCell turns one row's pre-activations [i f g o] (the first 4H of row, which
// holds LSTMWidth·H) into activations in place and writes c' = f·c + i·g, h' =
// o·tanh(c') and tanh(c') after them. bias (4H) may be nil; cPrev is c_{t-1} (H).
func LSTMCell[F Float](row, cPrev, bias []F, H int) {
	if H <= 0 {
		return
	}
	_, _ = row[LSTMWidth*H-1], cPrev[H-1]
	if bias != nil {
		_ = bias[4*H-1]
	}
	lstmCellScalar(row, cPrev, bias, H, lstmCellAsm(row, cPrev, bias, H))
}

// LSTMCellGrad computes one row's pre-activation gradients dg (4H) from its workspace
// row, the workspace gradient row drow (every column: gates, c_t, h_t, tanh(c_t)),
// c_{t-1}, and dh, dc: the gradients reaching h_t and c_t from step t+1. It leaves in
// dc the gradient reaching c_{t-1}.
func LSTMCellGrad[F Float](row, drow, cPrev, dh, dc, dg []F, H int) {
	if H <= 0 {
		return
	}
	_, _, _, _, _, _ = row[LSTMWidth*H-1], drow[LSTMWidth*H-1], cPrev[H-1], dh[H-1], dc[H-1], dg[4*H-1]
	lstmCellGradScalar(row, drow, cPrev, dh, dc, dg, H, lstmCellGradAsm(row, drow, cPrev, dh, dc, dg, H))
}

// GRUCell turns one row's input pre-activations [r z n] and recurrent products hp
// (3H) into the activations, hn and h' in place (row holds GRUWidth·H: [r z n hn h]).
// bih and bhh (3H) are both nil or both not.
func GRUCell[F Float](row, hp, hPrev, bih, bhh []F, H int) {
	if H <= 0 {
		return
	}
	_, _, _ = row[GRUWidth*H-1], hp[3*H-1], hPrev[H-1]
	if bih != nil {
		_, _ = bih[3*H-1], bhh[3*H-1]
	}
	gruCellScalar(row, hp, hPrev, bih, bhh, H, gruCellAsm(row, hp, hPrev, bih, bhh, H))
}

// TanhBias sets x[j] = tanh(x[j] + bias[j]); bias (len(x)) may be nil.
func TanhBias[F Float](x, bias []F) {
	if bias != nil && len(x) > 0 {
		_ = bias[len(x)-1]
	}
	tanhBiasScalar(x, bias, tanhBiasAsm(x, bias))
}

// lstmCellScalar is LSTMCell's Go body for columns [from, H).
func lstmCellScalar[F Float](row, cPrev, bias []F, H, from int) {
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
		i, f, g, o := F(sigmoid(ai)), F(sigmoid(af)), F(math.Tanh(ag)), F(sigmoid(ao))
		pi[j], pf[j], pg[j], po[j] = i, f, g, o
		cj := F(float64(f)*float64(cPrev[j]) + float64(i)*float64(g))
		c[j] = cj
		tcj := math.Tanh(float64(cj))
		tc[j] = F(tcj)
		h[j] = F(float64(o) * tcj)
	}
}

// lstmCellGradScalar is LSTMCellGrad's Go body for columns [from, H).
func lstmCellGradScalar[F Float](row, drow, cPrev, dh, dc, dg []F, H, from int) {
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

// gruCellScalar is GRUCell's Go body for columns [from, H).
func gruCellScalar[F Float](row, hp, hPrev, bih, bhh []F, H, from int) {
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
		r, z := F(sigmoid(ar)), F(sigmoid(az))
		hnF := F(hn)
		n := F(math.Tanh(xn + float64(r)*float64(hnF)))
		row[j], row[H+j], row[2*H+j], row[3*H+j] = r, z, n, hnF
		row[4*H+j] = F(float64(n) + float64(z)*(float64(hPrev[j])-float64(n)))
	}
}

// tanhBiasScalar is TanhBias's Go body for elements [from, len(x)).
func tanhBiasScalar[F Float](x, bias []F, from int) {
	for j := from; j < len(x); j++ {
		v := float64(x[j])
		if bias != nil {
			v += float64(bias[j])
		}
		x[j] = F(math.Tanh(v))
	}
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
