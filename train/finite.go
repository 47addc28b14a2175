package train

import (
	"github.com/pkg/errors"

	"github.com/gradflow/gradflow/graph"
)

// float is the element type of the trainer's loops over gradients: the params' own
// dtype.
type float interface{ ~float32 | ~float64 }

// firstNonFinite returns the index and value of the first NaN or infinite element
// of x, or -1.
func firstNonFinite[T float](x []T) (int, float64) {
	// x*0 is ±0 for a finite x and NaN for NaN or ±Inf, so a block whose sum of x*0 is
	// 0 holds only finite values. Eight independent sums keep the adds pipelined; only
	// a block that fails is scanned element by element. This runs on every gradient
	// every step, so it must cost little next to the optimizer update.
	const block = 1024
	for start := 0; start < len(x); start += block {
		b := x[start:min(start+block, len(x))]
		var a0, a1, a2, a3, a4, a5, a6, a7 T
		for r := b; len(r) >= 8; r = r[8:] { // re-slicing drops the bounds checks
			a0 += r[0] * 0
			a1 += r[1] * 0
			a2 += r[2] * 0
			a3 += r[3] * 0
			a4 += r[4] * 0
			a5 += r[5] * 0
			a6 += r[6] * 0
			a7 += r[7] * 0
		}
		for _, v := range b[len(b)&^7:] {
			a0 += v * 0
		}
		a0 += a1 + a2 + a3 + a4 + a5 + a6 + a7
		if a0 == 0 {
			continue
		}
		for j, v := range b {
			if f := float64(v); f-f != 0 { // NaN or ±Inf
				return start + j, f
			}
		}
	}
	return -1, 0
}

// checkFiniteGrads returns an error naming the first trainable param whose gradient
// holds a NaN or an infinity.
func checkFiniteGrads(params []*graph.Param) error {
	for _, p := range params {
		if p == nil || !p.Trainable() {
			continue
		}
		i, v := -1, 0.0
		if g := p.GradFloat32s(); g != nil {
			i, v = firstNonFinite(g)
		} else if g := p.GradFloat64s(); g != nil {
			i, v = firstNonFinite(g)
		}
		if i >= 0 {
			return errors.Errorf("gradient of %q is not finite: element %d is %v", p.Name(), i, v)
		}
	}
	return nil
}
