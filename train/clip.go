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
	for i, v := range x {
		f := float64(v)
		if f-f != 0 { // NaN or ±Inf; cheaper than two math calls
			return i, f
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
