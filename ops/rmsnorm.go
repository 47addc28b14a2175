package ops

import (
	"math"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// RMSNorm returns root-mean-square layer normalisation (Zhang & Sennrich 2019, "Root
// Mean Square Layer Normalization", NeurIPS) of x over its last axis:
//
//	y = x / sqrt(mean(x²) + eps) · weight
//
// separately for every index of the leading axes: PyTorch's nn.RMSNorm(d, eps)
// (PyTorch >= 2.4). x has any rank >= 1; weight is nil (no scale) or has shape (d), d
// the last axis of x; eps must be finite and > 0. The output has x's shape.
//
// It is one op rather than a composition of gorgonia's Square, Mean, InverseSqrt and
// broadcast products, because that composition is unsafe: it needs a Reshape to reach
// any rank, and gorgonia's Reshape shares its input's memory while the tape lets the
// backward of Square overwrite its operand in place, which wrote over the caller's
// input (the numeric gradient check caught it). The backward is
//
//	dx = r · (g - x̂ · mean(g·x̂)),  g = dy·weight,  x̂ = x·r,  r = 1/sqrt(mean(x²) + eps)
//	dweight = Σ dy·x̂  (summed over the leading axes)
//
// with r recomputed from x (the op keeps no state).
func RMSNorm(x, weight *gorgonia.Node, eps float64) (*gorgonia.Node, error) {
	const name = "RMSNorm"
	if err := checkFloat(name, "x", x); err != nil {
		return nil, err
	}
	s := x.Shape()
	if s.Dims() < 1 {
		return nil, errors.Errorf("ops: %s: x has shape %v, want at least 1 axis", name, s)
	}
	if !(eps > 0) || math.IsInf(eps, 0) {
		return nil, errors.Errorf("ops: %s: eps %g, want finite and > 0", name, eps)
	}
	p := rmsParams{Eps: eps}
	in := []*gorgonia.Node{x}
	if weight != nil {
		if want := s[s.Dims()-1:]; !sameShape(weight.Shape(), want) {
			return nil, errors.Errorf("ops: %s: weight has shape %v, want %v for x of shape %v", name, weight.Shape(), want, s)
		}
		p.Weight = true
		in = append(in, weight)
	}
	return rmsDef.Apply(p, in...)
}

// rmsParams are RMSNorm's parameters; Weight says whether a weight follows x.
type rmsParams struct {
	Eps    float64
	Weight bool
}

// rmsRows returns x's shape viewed as (rows, d), d its last axis.
func rmsRows(x tensor.Shape) (rows, d int) {
	d = x[x.Dims()-1]
	return x.TotalSize() / d, d
}

// checkRMSShapes checks that there are n input shapes, x's first, with at least one
// axis.
func checkRMSShapes(in []tensor.Shape, n int) error {
	if len(in) != n {
		return errors.Errorf("got %d inputs, want %d", len(in), n)
	}
	if in[0].Dims() < 1 {
		return errors.Errorf("x has shape %v, want at least 1 axis", in[0])
	}
	return nil
}

func rmsArity(p rmsParams) int {
	if p.Weight {
		return 2
	}
	return 1
}

var rmsDef = &Def[rmsParams]{
	Name:  "RMSNorm",
	Arity: Variadic,
	Shape: func(p rmsParams, in []tensor.Shape) (tensor.Shape, error) {
		if err := checkRMSShapes(in, rmsArity(p)); err != nil {
			return nil, err
		}
		x := in[0]
		if p.Weight && !sameShape(in[1], x[x.Dims()-1:]) {
			return nil, errors.Errorf("weight has shape %v, want %v", in[1], x[x.Dims()-1:])
		}
		return x, nil
	},
	Forward: func(p rmsParams, in []*tensor.Dense, y *tensor.Dense) error {
		x := in[0]
		rows, d := rmsRows(x.Shape())
		var w *tensor.Dense
		if p.Weight {
			w = in[1]
		}
		if x.Dtype() == tensor.Float32 {
			rmsForward(elems[float32](x), optElems[float32](w), elems[float32](y), rows, d, p.Eps)
		} else {
			rmsForward(elems[float64](x), optElems[float64](w), elems[float64](y), rows, d, p.Eps)
		}
		return nil
	},
	Backward: func(p rmsParams, in []*gorgonia.Node, _, dy *gorgonia.Node) ([]*gorgonia.Node, error) {
		grads := make([]*gorgonia.Node, len(in))
		var err error
		if grads[0], err = rmsGradXDef.Apply(p, append(append([]*gorgonia.Node(nil), in...), dy)...); err != nil {
			return nil, err
		}
		if p.Weight {
			if grads[1], err = rmsGradWDef.Apply(p, in[0], dy); err != nil {
				return nil, err
			}
		}
		return grads, nil
	},
}

// rmsGradXDef maps (x, [weight], dy) to dx.
var rmsGradXDef = &Def[rmsParams]{
	Name:  "RMSNormGradX",
	Arity: Variadic,
	Shape: func(p rmsParams, in []tensor.Shape) (tensor.Shape, error) {
		n := rmsArity(p) + 1
		if err := checkRMSShapes(in, n); err != nil {
			return nil, err
		}
		if !sameShape(in[n-1], in[0]) {
			return nil, errors.Errorf("gradient has shape %v, want %v", in[n-1], in[0])
		}
		return in[0], nil
	},
	Forward: func(p rmsParams, in []*tensor.Dense, dx *tensor.Dense) error {
		x, dy := in[0], in[len(in)-1]
		var w *tensor.Dense
		if p.Weight {
			w = in[1]
		}
		rows, d := rmsRows(x.Shape())
		if x.Dtype() == tensor.Float32 {
			rmsBackwardX(elems[float32](x), optElems[float32](w), elems[float32](dy), elems[float32](dx), rows, d, p.Eps)
		} else {
			rmsBackwardX(elems[float64](x), optElems[float64](w), elems[float64](dy), elems[float64](dx), rows, d, p.Eps)
		}
		return nil
	},
}

// rmsGradWDef maps (x, dy) to dweight = Σ dy·x̂ over the leading axes.
var rmsGradWDef = &Def[rmsParams]{
	Name:  "RMSNormGradWeight",
	Arity: 2,
	Shape: func(p rmsParams, in []tensor.Shape) (tensor.Shape, error) {
		if err := checkRMSShapes(in, 2); err != nil {
			return nil, err
		}
		if !sameShape(in[1], in[0]) {
			return nil, errors.Errorf("gradient has shape %v, want %v", in[1], in[0])
		}
		return in[0][in[0].Dims()-1:], nil
	},
	Forward: func(p rmsParams, in []*tensor.Dense, dw *tensor.Dense) error {
		x, dy := in[0], in[1]
		s := x.Shape()
		rows, d := rmsRows(s)
		if x.Dtype() == tensor.Float32 {
			rmsBackwardW(elems[float32](x), elems[float32](dy), elems[float32](dw), rows, d, p.Eps)
		} else {
			rmsBackwardW(elems[float64](x), elems[float64](dy), elems[float64](dw), rows, d, p.Eps)
		}
		return nil
	},
}

// optElems is elems for an optional tensor: nil gives nil.
func optElems[T float](d *tensor.Dense) []T {
	if d == nil {
		return nil
	}
	return elems[T](d)
}

// rmsScale returns 1/sqrt(mean(row²) + eps), accumulated in float64.
func rmsScale[T float](row []T, eps float64) float64 {
	var ss float64
	for _, v := range row {
		ss += float64(v) * float64(v)
	}
	return 1 / math.Sqrt(ss/float64(len(row))+eps)
}

func rmsForward[T float](x, w, y []T, rows, d int, eps float64) {
	for r := 0; r < rows; r++ {
		xr, yr := x[r*d:(r+1)*d], y[r*d:(r+1)*d]
		s := rmsScale(xr, eps)
		for i, v := range xr {
			h := float64(v) * s
			if w != nil {
				h *= float64(w[i])
			}
			yr[i] = T(h)
		}
	}
}

func rmsBackwardX[T float](x, w, dy, dx []T, rows, d int, eps float64) {
	for r := 0; r < rows; r++ {
		xr, dyr, dxr := x[r*d:(r+1)*d], dy[r*d:(r+1)*d], dx[r*d:(r+1)*d]
		s := rmsScale(xr, eps)
		var mgx float64 // mean(g·x̂)
		for i, v := range xr {
			g := float64(dyr[i])
			if w != nil {
				g *= float64(w[i])
			}
			mgx += g * float64(v) * s
		}
		mgx /= float64(d)
		for i, v := range xr {
			g := float64(dyr[i])
			if w != nil {
				g *= float64(w[i])
			}
			dxr[i] = T(s * (g - float64(v)*s*mgx))
		}
	}
}

func rmsBackwardW[T float](x, dy, dw []T, rows, d int, eps float64) {
	acc := make([]float64, d)
	for r := 0; r < rows; r++ {
		xr, dyr := x[r*d:(r+1)*d], dy[r*d:(r+1)*d]
		s := rmsScale(xr, eps)
		for i, v := range xr {
			acc[i] += float64(dyr[i]) * float64(v) * s
		}
	}
	for i, v := range acc {
		dw[i] = T(v)
	}
}
