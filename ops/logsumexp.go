package ops

import (
	"math"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// LogSumExp returns log(sum(exp(x))) along axis, the axis removed: a (N, C) input
// gives (N) along axis 1 and (C) along axis 0; a vector gives a scalar. axis may be
// negative (-1 is the last axis). It equals PyTorch's torch.logsumexp(x, dim).
//
// The sum is shifted by the slice's max, so logits of ±1000 give finite values, and
// a slice of -Inf gives -Inf. The backward is dx = softmax(x) along axis times dy,
// computed as exp(x - lse)·dy with lse recomputed from x in float64: the output y,
// rounded to x's dtype, would put its rounding (a relative 6e-5 at 1000 in float32)
// into every gradient. It replaces gorgonia.LogSumExp, which
// computes log(sum + max) (1.505 for [1, 2, 3], not 3.408) and fails on an axis of a
// matrix.
func LogSumExp(x *gorgonia.Node, axis int) (*gorgonia.Node, error) {
	const name = "LogSumExp"
	if err := checkFloat(name, "x", x); err != nil {
		return nil, err
	}
	dims := x.Shape().Dims()
	if dims == 0 {
		return nil, errors.Errorf("ops: %s: x is a scalar, want at least 1-D", name)
	}
	a, err := normAxis(name, axis, dims)
	if err != nil {
		return nil, err
	}
	return lseDef.Apply(lseParams{Axis: a}, x)
}

// lseParams are LogSumExp's parameters: the axis, normalised to >= 0.
type lseParams struct{ Axis int }

var lseDef = &Def[lseParams]{
	Name:  "LogSumExp",
	Arity: 1,
	Shape: func(p lseParams, in []tensor.Shape) (tensor.Shape, error) {
		return dropAxis(in[0], p.Axis)
	},
	Forward: func(p lseParams, in []*tensor.Dense, y *tensor.Dense) error {
		x := in[0]
		outer, n, inner := splitAxis(x.Shape(), p.Axis)
		if x.Dtype() == tensor.Float32 {
			lseForward(x.Float32s(), y.Float32s(), outer, n, inner)
		} else {
			lseForward(x.Float64s(), y.Float64s(), outer, n, inner)
		}
		return nil
	},
	Backward: func(p lseParams, in []*gorgonia.Node, out, dy *gorgonia.Node) ([]*gorgonia.Node, error) {
		dx, err := lseGradDef.Apply(p, in[0], dy)
		return []*gorgonia.Node{dx}, err
	},
}

// lseGradDef maps (x, dy) to dx = exp(x - logsumexp(x))·dy, dy broadcast along the
// axis.
var lseGradDef = &Def[lseParams]{
	Name:  "LogSumExpGrad",
	Arity: 2,
	Shape: func(p lseParams, in []tensor.Shape) (tensor.Shape, error) {
		want, err := dropAxis(in[0], p.Axis)
		if err != nil {
			return nil, err
		}
		if !sameShape(in[1], want) {
			return nil, errors.Errorf("gradient has shape %v, want %v", in[1], want)
		}
		return in[0], nil
	},
	Forward: func(p lseParams, in []*tensor.Dense, dx *tensor.Dense) error {
		x := in[0]
		outer, n, inner := splitAxis(x.Shape(), p.Axis)
		if x.Dtype() == tensor.Float32 {
			lseBackward(x.Float32s(), in[1].Float32s(), dx.Float32s(), outer, n, inner)
		} else {
			lseBackward(x.Float64s(), in[1].Float64s(), dx.Float64s(), outer, n, inner)
		}
		return nil
	},
}

// dropAxis returns s without axis a.
func dropAxis(s tensor.Shape, a int) (tensor.Shape, error) {
	if a < 0 || a >= s.Dims() {
		return nil, errors.Errorf("shape %v has no axis %d", s, a)
	}
	out := make(tensor.Shape, 0, s.Dims()-1)
	out = append(out, s[:a]...)
	return append(out, s[a+1:]...), nil
}

// lseForward writes y[o][i] = logsumexp(x[o][:][i]) for x viewed as [outer][n][inner].
func lseForward[T float](x, y []T, outer, n, inner int) {
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			y[o*inner+i] = T(logSumExp(x[o*n*inner+i:], n, inner))
		}
	}
}

// lseBackward writes dx = softmax(x)·dy along the axis, as exp(x - max)/sum(exp(x -
// max)): never exp(x - y), which would carry y's rounding (an ulp of 1000 is 1e-13).
// Where the max is infinite the shift is undefined: a slice of -Inf gets 0, and a
// slice holding +Inf shares dy among its +Inf elements (the limit of softmax).
func lseBackward[T float](x, dy, dx []T, outer, n, inner int) {
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			base := o*n*inner + i
			g := float64(dy[o*inner+i])
			m := math.Inf(-1)
			for k := 0; k < n; k++ {
				m = math.Max(m, float64(x[base+k*inner]))
			}
			switch {
			case math.IsInf(m, -1) || math.IsNaN(m):
				v := T(0) // all -Inf: no gradient
				if math.IsNaN(m) {
					v = T(math.NaN())
				}
				for k := 0; k < n; k++ {
					dx[base+k*inner] = v
				}
				continue
			case math.IsInf(m, 1):
				var count float64
				for k := 0; k < n; k++ {
					if float64(x[base+k*inner]) == m {
						count++
					}
				}
				for k := 0; k < n; k++ {
					j := base + k*inner
					dx[j] = 0
					if float64(x[j]) == m {
						dx[j] = T(g / count)
					}
				}
				continue
			}
			var sum float64
			for k := 0; k < n; k++ {
				sum += math.Exp(float64(x[base+k*inner]) - m)
			}
			for k := 0; k < n; k++ {
				j := base + k*inner
				dx[j] = T(math.Exp(float64(x[j])-m) / sum * g)
			}
		}
	}
}
