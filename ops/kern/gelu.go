package kern

import (
	"math"

	"github.com/gradflow/gradflow/ops/kern/internal/poly"
)

// GELU32 writes GELU(x) = x·Φ(x) into y (len(y) >= len(x)), Φ the standard normal
// CDF (Hendrycks and Gimpel, "Gaussian Error Linear Units", 2016).
//
// Φ(x) = erfc(-x/√2)/2 with erfc(z) = exp(-z²)·erfcx(z), erfcx a degree-12
// polynomial in t = 1/(1 + 0.3z) fitted on z in [0, 13] (relative error 6e-11), exp
// the Taylor polynomial of ops/kern/internal/poly (2e-13): about 1e-10 relative in
// float64 arithmetic, far below float32's 6e-8 rounding. The AVX-512 body runs the
// same arithmetic on eight float64 lanes with fused multiply-adds.
func GELU32(x, y []float32) {
	y = y[:len(x)]
	n := geluAsm(x, y)
	for i, v := range x[n:] {
		xv := float64(v)
		phi, _ := normalCDF(xv)
		if phi == 0 {
			y[n+i] = 0 // x·Φ(x) for x below -18: 0, also at -Inf (not -Inf·0)
			continue
		}
		y[n+i] = float32(xv * phi)
	}
}

// GELUGrad32 writes GELU'(x)·dy = (Φ(x) + x·φ(x))·dy into dx (len(dy), len(dx) >=
// len(x)); the density reuses GELU32's exp(-x²/2).
func GELUGrad32(x, dy, dx []float32) {
	dy, dx = dy[:len(x)], dx[:len(x)]
	n := geluGradAsm(x, dy, dx)
	const invSqrt2Pi = 0.3989422804014327 // 1/√(2π)
	for i, v := range x[n:] {
		xv := float64(v)
		phi, e := normalCDF(xv)
		d := phi
		if e != 0 { // e = 0 in the tails (and at ±Inf, where x·e would be NaN)
			d += xv * e * invSqrt2Pi
		}
		if xv != xv {
			d = xv // NaN in, NaN out (normalCDF gives its limit 1)
		}
		dx[n+i] = float32(d * float64(dy[n+i]))
	}
}

// normalCDF returns Φ(x) and exp(-x²/2), to about 1e-10 relative: enough for float32
// results. Beyond |x| = 13√2 it returns the limits 0 or 1 and e = 0; NaN gives
// (1, 0), so callers see NaN through their product with x.
func normalCDF(x float64) (phi, e float64) {
	z := math.Abs(x) * (1 / math.Sqrt2)
	if !(z <= poly.ErfcxZMax) {
		if x < 0 {
			return 0, 0
		}
		return 1, 0
	}
	z2 := z * z
	e = expNeg(-z2)
	t := 1 / (1 + poly.ErfcxA*z)
	u := t*poly.ErfcxU1 + poly.ErfcxU0
	c := &poly.ErfcxP
	p := c[len(c)-1]
	for i := len(c) - 2; i >= 0; i-- {
		p = p*u + c[i]
	}
	q := 0.5 * t * p * e // Φ(-|x|) = erfc(z)/2
	if x < 0 {
		return q, e
	}
	return 1 - q, e
}

// expNeg returns exp(w) for w in [-170, 0] to about 2e-13 relative: w = n·ln2 + r
// with |r| <= ln2/2, exp(r) by poly's Taylor polynomial, times 2^n.
func expNeg(w float64) float64 {
	const round = 0x1.8p52 // adding it rounds to an integer held in the low mantissa bits
	kd := w*poly.Log2e + round
	n := int64(int32(uint32(math.Float64bits(kd))))
	kd -= round
	r := w - kd*poly.Ln2Hi - kd*poly.Ln2Lo
	c := &poly.ExpCoef
	p := c[poly.ExpDegree]
	for i := poly.ExpDegree - 1; i >= 0; i-- {
		p = p*r + c[i]
	}
	return p * math.Float64frombits(uint64(n+1023)<<52)
}
