package optim

import (
	"math"

	"github.com/pkg/errors"

	"github.com/gradflow/gradflow/graph"
)

// ClipGradValue clamps every element of the gradients of the trainable params to
// [-limit, limit] (PyTorch's torch.nn.utils.clip_grad_value_). limit must be > 0.
func ClipGradValue(params []*graph.Param, limit float64) error {
	if !(limit > 0) || math.IsInf(limit, 0) {
		return errors.Errorf("optim: ClipGradValue: limit = %g, want finite > 0", limit)
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
		return 0, errors.Errorf("optim: ClipGradNorm: maxNorm = %g, want finite > 0", maxNorm)
	}
	norm := GradNorm(params)
	if math.IsNaN(norm) || math.IsInf(norm, 0) {
		return norm, errors.Errorf("optim: ClipGradNorm: gradient norm is %v", norm)
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
