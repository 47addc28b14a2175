package ops

import (
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// This file holds attention's input and output projections, x·wᵀ + b in PyTorch's
// weight layout, as one op each way.

// projParams are the projection op's: whether a bias is its third input.
type projParams struct {
	Bias bool
}

// projDef maps x (..., In), w (Out, In) in PyTorch's layout [, b (Out)] to x·wᵀ + b
// (..., Out): one GEMM over all rows, without a transposed copy of w or a reshape.
var projDef = &Def[projParams]{
	Name: "Projection", Arity: Variadic,
	Shape: func(p projParams, in []tensor.Shape) (tensor.Shape, error) {
		_, out, err := projShapes(p, in)
		return out, err
	},
	Forward: func(p projParams, in []*tensor.Dense, y *tensor.Dense) error {
		d, _, err := projShapes(p, shapesOfDense(in))
		if err != nil {
			return err
		}
		switch in[0].Dtype() {
		case tensor.Float32:
			projForward(p, d, floatsOf[float32](in), y.Float32s(), sgemm)
		default:
			projForward(p, d, floatsOf[float64](in), y.Float64s(), dgemm)
		}
		return nil
	},
	Backward: func(p projParams, in []*gorgonia.Node, _, dy *gorgonia.Node) ([]*gorgonia.Node, error) {
		grads := make([]*gorgonia.Node, len(in))
		var err error
		if grads[0], err = projGradXDef.Apply(projParams{}, in[1], dy); err != nil {
			return nil, err
		}
		if grads[1], err = projGradWDef.Apply(projParams{}, in[0], dy); err != nil {
			return nil, err
		}
		if p.Bias {
			if grads[2], err = projGradBDef.Apply(projParams{}, dy); err != nil {
				return nil, err
			}
		}
		return grads, nil
	},
}

// projDims are a projection's rows (the product of x's leading axes) and widths.
type projDims struct{ N, In, Out int }

func projShapes(p projParams, in []tensor.Shape) (projDims, tensor.Shape, error) {
	want := 2
	if p.Bias {
		want = 3
	}
	if len(in) != want {
		return projDims{}, nil, errors.Errorf("got %d inputs, want %d (bias %t)", len(in), want, p.Bias)
	}
	x, w := in[0], in[1]
	if x.Dims() < 2 || w.Dims() != 2 || w[1] != x[x.Dims()-1] {
		return projDims{}, nil, errors.Errorf("x %v and weight %v, want (..., In) and (Out, In)", x, w)
	}
	if p.Bias && !in[2].Eq(tensor.Shape{w[0]}) {
		return projDims{}, nil, errors.Errorf("bias %v, want (%d)", in[2], w[0])
	}
	out := x.Clone()
	out[len(out)-1] = w[0]
	return projDims{N: x.TotalSize() / w[1], In: w[1], Out: w[0]}, out, nil
}

func projForward[F float](p projParams, d projDims, in [][]F, y []F, gemm gemmFunc[F]) {
	gemm(false, true, d.N, d.Out, d.In, in[0], d.In, in[1], d.In, 0, y, d.Out)
	if !p.Bias {
		return
	}
	b := in[2]
	for r := 0; r < d.N; r++ {
		row := y[r*d.Out : (r+1)*d.Out]
		for j := range row {
			row[j] += b[j]
		}
	}
}

// projGradXDef maps (w (Out, In), dy (..., Out)) to dx = dy·w (..., In).
var projGradXDef = &Def[projParams]{
	Name: "ProjectionGradX", Arity: 2,
	Shape: func(_ projParams, in []tensor.Shape) (tensor.Shape, error) {
		w, dy := in[0], in[1]
		if w.Dims() != 2 || dy.Dims() < 2 || dy[dy.Dims()-1] != w[0] {
			return nil, errors.Errorf("weight %v and gradient %v, want (Out, In) and (..., Out)", w, dy)
		}
		s := dy.Clone()
		s[len(s)-1] = w[1]
		return s, nil
	},
	Forward: func(p projParams, in []*tensor.Dense, dx *tensor.Dense) error {
		w, dy := in[0].Shape(), in[1].Shape()
		s := dy.Clone()
		s[len(s)-1] = w[1]
		n := dy.TotalSize() / w[0]
		switch in[0].Dtype() {
		case tensor.Float32:
			sgemm(false, false, n, w[1], w[0], in[1].Float32s(), w[0], in[0].Float32s(), w[1], 0, dx.Float32s(), w[1])
		default:
			dgemm(false, false, n, w[1], w[0], in[1].Float64s(), w[0], in[0].Float64s(), w[1], 0, dx.Float64s(), w[1])
		}
		return nil
	},
}

// projGradWDef maps (x (..., In), dy (..., Out)) to dw = dyᵀ·x (Out, In).
var projGradWDef = &Def[projParams]{
	Name: "ProjectionGradW", Arity: 2,
	Shape: func(_ projParams, in []tensor.Shape) (tensor.Shape, error) {
		x, dy := in[0], in[1]
		if x.Dims() < 2 || dy.Dims() != x.Dims() || !x[:x.Dims()-1].Eq(dy[:dy.Dims()-1]) {
			return nil, errors.Errorf("x %v and gradient %v, want (..., In) and (..., Out)", x, dy)
		}
		return tensor.Shape{dy[dy.Dims()-1], x[x.Dims()-1]}, nil
	},
	Forward: func(p projParams, in []*tensor.Dense, dw *tensor.Dense) error {
		x, dy := in[0].Shape(), in[1].Shape()
		k, o := x[x.Dims()-1], dy[dy.Dims()-1]
		n := x.TotalSize() / k
		switch in[0].Dtype() {
		case tensor.Float32:
			sgemm(true, false, o, k, n, in[1].Float32s(), o, in[0].Float32s(), k, 0, dw.Float32s(), k)
		default:
			dgemm(true, false, o, k, n, in[1].Float64s(), o, in[0].Float64s(), k, 0, dw.Float64s(), k)
		}
		return nil
	},
}

// projGradBDef maps dy (..., Out) to its column sums (Out).
var projGradBDef = &Def[projParams]{
	Name: "ProjectionGradB", Arity: 1,
	Shape: func(_ projParams, in []tensor.Shape) (tensor.Shape, error) {
		if in[0].Dims() < 1 {
			return nil, errors.Errorf("gradient %v, want (..., Out)", in[0])
		}
		return tensor.Shape{in[0][in[0].Dims()-1]}, nil
	},
	Forward: func(p projParams, in []*tensor.Dense, db *tensor.Dense) error {
		s := in[0].Shape()
		o := s[s.Dims()-1]
		switch in[0].Dtype() {
		case tensor.Float32:
			columnSums64(in[0].Float32s(), s.TotalSize()/o, o, db.Float32s())
		default:
			columnSums64(in[0].Float64s(), s.TotalSize()/o, o, db.Float64s())
		}
		return nil
	},
}
