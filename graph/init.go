package graph

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/pkg/errors"
)

// Fans are the fan-in and fan-out of a weight: how many inputs feed each output unit
// and how many outputs each input unit feeds. Variance-scaling initialisers (Glorot,
// He) use them.
type Fans struct{ In, Out int }

// DefaultFans returns the fans that gradflow's layers use for a weight of this shape:
// for 2-D (in, out) weights In = shape[0] and Out = shape[1] (gradflow's Linear keeps
// its weight as (in, out), the transpose of PyTorch's); for N-D convolution weights
// (outC, inC, k...) In = inC*prod(k) and Out = outC*prod(k), as in PyTorch; for 1-D
// and scalar shapes both are the size.
func DefaultFans(shape []int) Fans {
	switch len(shape) {
	case 0:
		return Fans{1, 1}
	case 1:
		return Fans{shape[0], shape[0]}
	case 2:
		return Fans{shape[0], shape[1]}
	}
	field := 1
	for _, k := range shape[2:] {
		field *= k
	}
	return Fans{In: shape[1] * field, Out: shape[0] * field}
}

// Initializer fills a new Param's value. Fill writes len(dst) values drawn from r;
// it must use no other source of randomness, so that the same seed gives the same
// values. Values are drawn in float64 and rounded to the Param's dtype.
type Initializer interface {
	Fill(r *rand.Rand, fans Fans, dst []float64) error
	String() string
}

// Zeros fills with 0.
type Zeros struct{}

// Ones fills with 1.
type Ones struct{}

// Constant fills with Value.
type Constant struct{ Value float64 }

// Uniform draws from U(Low, High). The zero value is U(0, 0); set both bounds.
type Uniform struct{ Low, High float64 }

// Normal draws from N(Mean, Std²).
type Normal struct{ Mean, Std float64 }

// GlorotUniform draws from U(-a, a) with a = Gain*sqrt(6/(fanIn+fanOut)) (Glorot &
// Bengio, 2010, "Understanding the difficulty of training deep feedforward neural
// networks"; PyTorch's xavier_uniform_). Gain 0 means 1.
type GlorotUniform struct{ Gain float64 }

// GlorotNormal draws from N(0, std²) with std = Gain*sqrt(2/(fanIn+fanOut)) (PyTorch's
// xavier_normal_). Gain 0 means 1.
type GlorotNormal struct{ Gain float64 }

// HeUniform draws from U(-b, b) with b = Gain*sqrt(3/fanIn) (He et al., 2015, "Delving
// deep into rectifiers"; PyTorch's kaiming_uniform_ in fan_in mode). Gain 0 means
// sqrt(2), the gain for ReLU. PyTorch's default Linear and Conv init is HeUniform with
// Gain = sqrt(1/3), which gives b = 1/sqrt(fanIn).
type HeUniform struct{ Gain float64 }

// HeNormal draws from N(0, std²) with std = Gain/sqrt(fanIn) (PyTorch's
// kaiming_normal_ in fan_in mode). Gain 0 means sqrt(2).
type HeNormal struct{ Gain float64 }

func (Zeros) Fill(_ *rand.Rand, _ Fans, dst []float64) error {
	clear(dst)
	return nil
}

func (Ones) Fill(_ *rand.Rand, _ Fans, dst []float64) error {
	for i := range dst {
		dst[i] = 1
	}
	return nil
}

func (c Constant) Fill(_ *rand.Rand, _ Fans, dst []float64) error {
	if math.IsNaN(c.Value) || math.IsInf(c.Value, 0) {
		return errors.Errorf("graph: %v: value is not finite", c)
	}
	for i := range dst {
		dst[i] = c.Value
	}
	return nil
}

func (u Uniform) Fill(r *rand.Rand, _ Fans, dst []float64) error {
	if !(u.Low <= u.High) || math.IsInf(u.Low, 0) || math.IsInf(u.High, 0) {
		return errors.Errorf("graph: %v: want finite Low <= High", u)
	}
	fillUniform(r, dst, u.Low, u.High)
	return nil
}

func (n Normal) Fill(r *rand.Rand, _ Fans, dst []float64) error {
	if !(n.Std >= 0) || math.IsInf(n.Std, 0) || math.IsNaN(n.Mean) || math.IsInf(n.Mean, 0) {
		return errors.Errorf("graph: %v: want finite Mean and Std >= 0", n)
	}
	fillNormal(r, dst, n.Mean, n.Std)
	return nil
}

func (g GlorotUniform) Fill(r *rand.Rand, f Fans, dst []float64) error {
	if err := checkFans(g, f, true); err != nil {
		return err
	}
	a := gain(g.Gain, 1) * math.Sqrt(6/float64(f.In+f.Out))
	fillUniform(r, dst, -a, a)
	return nil
}

func (g GlorotNormal) Fill(r *rand.Rand, f Fans, dst []float64) error {
	if err := checkFans(g, f, true); err != nil {
		return err
	}
	fillNormal(r, dst, 0, gain(g.Gain, 1)*math.Sqrt(2/float64(f.In+f.Out)))
	return nil
}

func (h HeUniform) Fill(r *rand.Rand, f Fans, dst []float64) error {
	if err := checkFans(h, f, false); err != nil {
		return err
	}
	b := gain(h.Gain, math.Sqrt2) * math.Sqrt(3/float64(f.In))
	fillUniform(r, dst, -b, b)
	return nil
}

func (h HeNormal) Fill(r *rand.Rand, f Fans, dst []float64) error {
	if err := checkFans(h, f, false); err != nil {
		return err
	}
	fillNormal(r, dst, 0, gain(h.Gain, math.Sqrt2)/math.Sqrt(float64(f.In)))
	return nil
}

func (Zeros) String() string           { return "Zeros" }
func (Ones) String() string            { return "Ones" }
func (c Constant) String() string      { return fmt.Sprintf("Constant(%g)", c.Value) }
func (u Uniform) String() string       { return fmt.Sprintf("Uniform(%g, %g)", u.Low, u.High) }
func (n Normal) String() string        { return fmt.Sprintf("Normal(%g, %g)", n.Mean, n.Std) }
func (g GlorotUniform) String() string { return fmt.Sprintf("GlorotUniform(gain=%g)", gain(g.Gain, 1)) }
func (g GlorotNormal) String() string  { return fmt.Sprintf("GlorotNormal(gain=%g)", gain(g.Gain, 1)) }
func (h HeUniform) String() string {
	return fmt.Sprintf("HeUniform(gain=%g)", gain(h.Gain, math.Sqrt2))
}
func (h HeNormal) String() string { return fmt.Sprintf("HeNormal(gain=%g)", gain(h.Gain, math.Sqrt2)) }

func gain(g, def float64) float64 {
	if g == 0 {
		return def
	}
	return g
}

func checkFans(init Initializer, f Fans, needOut bool) error {
	if f.In <= 0 || (needOut && f.Out <= 0) {
		return errors.Errorf("graph: %v: fans %+v, want > 0", init, f)
	}
	return nil
}

func fillUniform(r *rand.Rand, dst []float64, lo, hi float64) {
	for i := range dst {
		dst[i] = lo + (hi-lo)*r.Float64()
	}
}

func fillNormal(r *rand.Rand, dst []float64, mean, std float64) {
	for i := range dst {
		dst[i] = mean + std*r.NormFloat64()
	}
}
