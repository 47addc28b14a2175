package kern

import "math"

// ExpShifted32 sets x[j] = exp(x[j]·scale - m), computed in float64 and rounded, and
// returns the float64 sum of the exponentials: the exponentials of a softmax whose
// maximum (times scale) is m. The Go body uses math.Exp; the AVX-512 body the shared
// polynomial (arguments below -1000 give 0, as math.Exp's do in float64), summing
// in eight partial sums.
func ExpShifted32(x []float32, scale, m float64) (sum float64) {
	n, sum := expShiftedAsm(x, scale, m)
	for j, v := range x[n:] {
		e := math.Exp(float64(v)*scale - m)
		x[n+j] = float32(e)
		sum += e
	}
	return sum
}
