package train

import (
	"math"

	"github.com/pkg/errors"

	"github.com/gradflow/gradflow/graph"
)

// ClipGradValue clamps every element of the gradients of the trainable params to
// [-limit, limit] (PyTorch's torch.nn.utils.clip_grad_value_). limit must be > 0.
func ClipGradValue(params []*graph.Param, limit float64) error {
	if !(limit > 0) || math.IsInf(limit, 0) {
		return errors.Errorf("train: ClipGradValue: limit = %g, want finite > 0", limit)
	}
	for _, p := range params {
		if p == nil || !p.Trainable() {
			continue
		}
		if g := p.GradFloat32s(); g != nil {
			clampAll(g, float32(limit))
		} else if g := p.GradFloat64s(); g != nil {
			clampAll(g, limit)
		}
	}
	return nil
}

func clampAll[T optimFloat](g []T, limit T) {
	for i, v := range g {
		g[i] = min(max(v, -limit), limit)
	}
}

// ClipGradNorm rescales the gradients of the trainable params so that their global
// L2 norm (the norm of all of them concatenated) is at most maxNorm, and returns the
// norm before clipping (PyTorch's torch.nn.utils.clip_grad_norm_, including its
// factor maxNorm/(norm+1e-6), applied only when it is below 1). The norm is summed
// in float64. maxNorm must be > 0. A norm that is not finite is returned with an
// error, and the gradients are left as they are.
func ClipGradNorm(params []*graph.Param, maxNorm float64) (float64, error) {
	if !(maxNorm > 0) || math.IsInf(maxNorm, 0) {
		return 0, errors.Errorf("train: ClipGradNorm: maxNorm = %g, want finite > 0", maxNorm)
	}
	norm := GradNorm(params)
	if math.IsNaN(norm) || math.IsInf(norm, 0) {
		return norm, errors.Errorf("train: ClipGradNorm: gradient norm is %v", norm)
	}
	coef := maxNorm / (norm + 1e-6)
	if coef >= 1 {
		return norm, nil
	}
	for _, p := range params {
		if p == nil || !p.Trainable() {
			continue
		}
		if g := p.GradFloat32s(); g != nil {
			scaleAll(g, float32(coef))
		} else if g := p.GradFloat64s(); g != nil {
			scaleAll(g, coef)
		}
	}
	return norm, nil
}

func scaleAll[T optimFloat](g []T, c T) {
	for i := range g {
		g[i] *= c
	}
}

// GradNorm returns the global L2 norm of the gradients of the trainable params,
// summed in float64.
func GradNorm(params []*graph.Param) float64 {
	var sum float64
	for _, p := range params {
		if p == nil || !p.Trainable() {
			continue
		}
		if g := p.GradFloat32s(); g != nil {
			sum += sumSquares(g)
		} else if g := p.GradFloat64s(); g != nil {
			sum += sumSquares(g)
		}
	}
	return math.Sqrt(sum)
}

func sumSquares[T optimFloat](x []T) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return s
}

// firstNonFinite returns the index and value of the first NaN or infinite element
// of x, or -1.
func firstNonFinite[T optimFloat](x []T) (int, float64) {
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
