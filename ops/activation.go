package ops

import (
	"math"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// GELU returns the Gaussian error linear unit x·Φ(x) = x/2·(1 + erf(x/√2)) element-wise,
// exactly as PyTorch's F.gelu(x) (Hendrycks & Gimpel 2016, "Gaussian Error Linear
// Units (GELUs)", arXiv:1606.08415). x may have any shape; the output has x's shape.
// The derivative is Φ(x) + x·φ(x), φ the standard normal density.
//
// gorgonia has no GELU and no Erf to compose it from. The tanh form can be composed
// of gorgonia's ops (Cube, Tanh and six arithmetic nodes), but that allocates 4.6 times
// the memory per forward and backward (BenchmarkActivation). Both forms are one op
// here, with ±Inf mapped to their limits (+Inf, 0) instead of the NaN of ∞·0. The
// float32 kernel is fast and accurate to float32 rounding (gelu.go).
func GELU(x *gorgonia.Node) (*gorgonia.Node, error) {
	if err := checkFloat("GELU", "x", x); err != nil {
		return nil, err
	}
	if x.IsScalar() {
		return geluDef.fwd.Apply(struct{}{}, x)
	}
	return geluTensorDef.Apply(struct{}{}, x)
}

// GELUTanh returns the tanh approximation of GELU,
// x/2·(1 + tanh(√(2/π)·(x + 0.044715·x³))), as PyTorch's F.gelu(x, approximate="tanh")
// and the original BERT and GPT-2 code (Hendrycks & Gimpel 2016). It differs from GELU
// by at most about 5e-4.
func GELUTanh(x *gorgonia.Node) (*gorgonia.Node, error) {
	return geluTanhDef.fwd.Apply(struct{}{}, x)
}

// SiLU returns the sigmoid-weighted linear unit x·σ(x) element-wise (Elfwing et al.
// 2018, "Sigmoid-weighted linear units for neural network function approximation in
// reinforcement learning"), also known as Swish with β = 1 (Ramachandran et al. 2017),
// as PyTorch's F.silu. The derivative is σ(x)·(1 + x·(1 - σ(x))).
//
// It is one node each way where the composition x·Sigmoid(x) is two forward and
// more backward, each allocating a tensor of x's size. σ is computed without
// overflow (exp of a non-positive number only), and -Inf maps to 0.
func SiLU(x *gorgonia.Node) (*gorgonia.Node, error) { return siluDef.fwd.Apply(struct{}{}, x) }

// sqrt2Pi is √(2/π), the tanh-GELU constant.
var sqrt2Pi = math.Sqrt(2 / math.Pi)

// saturated is the |x| beyond which GELU and SiLU equal their limits (x and 0) to
// float64 precision; using the limits there avoids ∞·0 = NaN at ±Inf.
const saturated = 1e10

func gelu(x float64) float64 {
	if math.Abs(x) > saturated {
		return math.Max(x, 0)
	}
	return 0.5 * x * math.Erfc(-x/math.Sqrt2)
}

func geluGrad(x float64) float64 {
	if math.Abs(x) > saturated {
		return step(x)
	}
	cdf := 0.5 * math.Erfc(-x/math.Sqrt2)
	pdf := math.Exp(-0.5*x*x) / math.Sqrt(2*math.Pi)
	return cdf + x*pdf
}

func geluTanh(x float64) float64 {
	if math.Abs(x) > saturated {
		return math.Max(x, 0)
	}
	return 0.5 * x * (1 + math.Tanh(sqrt2Pi*(x+0.044715*x*x*x)))
}

func geluTanhGrad(x float64) float64 {
	if math.Abs(x) > saturated {
		return step(x)
	}
	t := math.Tanh(sqrt2Pi * (x + 0.044715*x*x*x))
	return 0.5*(1+t) + 0.5*x*(1-t*t)*sqrt2Pi*(1+3*0.044715*x*x)
}

func silu(x float64) float64 {
	if math.Abs(x) > saturated {
		return math.Max(x, 0)
	}
	return x * sigmoid(x)
}

func siluGrad(x float64) float64 {
	if math.Abs(x) > saturated {
		return step(x)
	}
	s := sigmoid(x)
	return s * (1 + x*(1-s))
}

// step is the derivative of max(x, 0) away from 0 (and of the saturated activations).
func step(x float64) float64 {
	if x > 0 {
		return 1
	}
	return 0
}

// elementwise is a pair of Defs for y = f(x) element-wise: the forward, and the
// backward mapping (x, dy) to f'(x)·dy.
type elementwise struct {
	fwd, bwd *Def[struct{}]
}

var (
	geluDef     = newElementwise("GELU", gelu, geluGrad) // scalars; tensors use geluTensorDef
	geluTanhDef = newElementwise("GELUTanh", geluTanh, geluTanhGrad)
	siluDef     = newElementwise("SiLU", silu, siluGrad)
)

func newElementwise(name string, f, df func(float64) float64) *elementwise {
	e := &elementwise{}
	e.bwd = &Def[struct{}]{
		Name:  name + "Grad",
		Arity: 2,
		Shape: equalShapes,
		Forward: func(_ struct{}, in []*tensor.Dense, out *tensor.Dense) error {
			zipInto(out, in[0], in[1], func(x, dy float64) float64 { return df(x) * dy })
			return nil
		},
	}
	e.fwd = &Def[struct{}]{
		Name:  name,
		Arity: 1,
		Shape: equalShapes,
		Forward: func(_ struct{}, in []*tensor.Dense, out *tensor.Dense) error {
			mapInto(out, in[0], f)
			return nil
		},
		Backward: func(_ struct{}, in []*gorgonia.Node, _, dy *gorgonia.Node) ([]*gorgonia.Node, error) {
			dx, err := e.bwd.Apply(struct{}{}, in[0], dy)
			return []*gorgonia.Node{dx}, err
		},
	}
	return e
}

// equalShapes is the Shape rule of ops whose inputs and output all have one shape.
func equalShapes(_ struct{}, in []tensor.Shape) (tensor.Shape, error) {
	for i, s := range in[1:] {
		if !sameShape(s, in[0]) {
			return nil, errors.Errorf("input %d has shape %v, input 0 %v, want the same", i+1, s, in[0])
		}
	}
	return in[0], nil
}

// mapInto sets y to f applied to every element of x, computed in float64; x and y
// have one shape and dtype.
func mapInto(y, x *tensor.Dense, f func(float64) float64) {
	if x.Dtype() == tensor.Float32 {
		xs, ys := x.Float32s(), y.Float32s()
		for i, v := range xs {
			ys[i] = float32(f(float64(v)))
		}
		return
	}
	xs, ys := x.Float64s(), y.Float64s()
	for i, v := range xs {
		ys[i] = f(v)
	}
}

// zipInto sets z[i] = f(a[i], b[i]) for tensors of one shape and dtype.
func zipInto(z, a, b *tensor.Dense, f func(x, y float64) float64) {
	if a.Dtype() == tensor.Float32 {
		as, bs, zs := a.Float32s(), b.Float32s(), z.Float32s()
		for i := range zs {
			zs[i] = float32(f(float64(as[i]), float64(bs[i])))
		}
		return
	}
	as, bs, zs := a.Float64s(), b.Float64s(), z.Float64s()
	for i := range zs {
		zs[i] = f(as[i], bs[i])
	}
}
