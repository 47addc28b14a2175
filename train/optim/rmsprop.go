package optim

import (
	"fmt"
	"math"

	"github.com/gradflow/gradflow/graph"
)

// RMSProp configures RMSProp (Hinton, Lecture 6e of "Neural Networks for Machine
// Learning", Coursera 2012; the centered form is Graves, "Generating Sequences With
// Recurrent Neural Networks", 2013). It is equivalent to PyTorch's
// torch.optim.RMSprop (1.13) with the same arguments (testdata/optim holds the
// reference trajectories).
//
// For each parameter p with gradient g:
//
//	g  <- g + WeightDecay*p                 (if WeightDecay != 0)
//	s  <- Alpha*s + (1-Alpha)*g*g           (mean square, starts at 0)
//	a  <- Alpha*a + (1-Alpha)*g             (mean gradient, Centered only, starts at 0)
//	d  <- sqrt(s - a*a) + Eps               (Centered) or sqrt(s) + Eps
//	b  <- Momentum*b + g/d;  p <- p - LR*b  (if Momentum > 0; b starts at 0)
//	p  <- p - LR*g/d                        (otherwise)
//
// Zero fields take PyTorch's defaults: LR 1e-2, Alpha 0.99, Eps 1e-8, no momentum,
// no weight decay, not centered. Because zero means the default, Alpha = 0 cannot
// be requested.
type RMSProp struct {
	LR          float64 // learning rate, > 0; 0 means 1e-2
	Alpha       float64 // decay of the mean square, in (0, 1); 0 means 0.99
	Eps         float64 // added to the denominator, > 0; 0 means 1e-8
	Momentum    float64 // momentum factor, >= 0
	WeightDecay float64 // L2 penalty, >= 0, added to the gradient as WeightDecay*p
	Centered    bool    // normalise by the estimated variance instead of the mean square
}

var (
	_ Config   = RMSProp{}
	_ Stateful = (*rmsprop)(nil)
)

// NewOptimizer returns a fresh RMSProp optimizer, or an error naming the first
// invalid field.
func (c RMSProp) NewOptimizer() (Optimizer, error) {
	if c.LR == 0 {
		c.LR = 1e-2
	}
	if c.Alpha == 0 {
		c.Alpha = 0.99
	}
	if c.Eps == 0 {
		c.Eps = 1e-8
	}
	inf := math.Inf(1)
	if err := checkHypers("rmsprop",
		hyperCheck{"LR", c.LR, 0, inf, true, false, "> 0 (0 means 1e-2)"},
		hyperCheck{"Alpha", c.Alpha, 0, 1, true, true, "in (0, 1)"},
		hyperCheck{"Eps", c.Eps, 0, inf, true, false, "> 0"},
		hyperCheck{"Momentum", c.Momentum, 0, inf, false, false, ">= 0"},
		hyperCheck{"WeightDecay", c.WeightDecay, 0, inf, false, false, ">= 0"},
	); err != nil {
		return nil, err
	}
	slots := []string{"square_avg"}
	if c.Momentum > 0 {
		slots = append(slots, "momentum_buffer")
	}
	if c.Centered {
		slots = append(slots, "grad_avg")
	}
	return &rmsprop{cfg: c, lr: c.LR, state: newOptimStates(slots...)}, nil
}

func (c RMSProp) withWeightDecay(wd float64) Config { c.WeightDecay = wd; return c }

// rmsprop is the Optimizer that RMSProp builds.
type rmsprop struct {
	cfg   RMSProp // with defaults filled in
	lr    float64
	state optimStates
}

func (o *rmsprop) LR() float64                            { return o.lr }
func (o *rmsprop) SetLR(lr float64)                       { o.lr = lr }
func (o *rmsprop) State() map[string]ParamState           { return o.state.export() }
func (o *rmsprop) SetState(s map[string]ParamState) error { return o.state.restore("rmsprop", s) }

func (o *rmsprop) String() string {
	return fmt.Sprintf("RMSprop(lr=%g, alpha=%g, eps=%g, weight_decay=%g, momentum=%g, centered=%t)",
		o.lr, o.cfg.Alpha, o.cfg.Eps, o.cfg.WeightDecay, o.cfg.Momentum, o.cfg.Centered)
}

func (o *rmsprop) Step(params []*graph.Param) error {
	if err := o.state.check("rmsprop", o.lr, params); err != nil {
		return err
	}
	for i, p := range o.state.active {
		st := o.state.states[i]
		st.steps++
		if st.dtype == graph.Float32 {
			rmspropUpdate(p.Value().Float32s(), p.Grad().Float32s(), optimBuffers[float32](st), newRMSPropCoeffs[float32](o))
		} else {
			rmspropUpdate(p.Value().Float64s(), p.Grad().Float64s(), optimBuffers[float64](st), newRMSPropCoeffs[float64](o))
		}
	}
	o.state.release()
	return nil
}

// rmspropCoeffs are one update's scalars in the param's element type.
type rmspropCoeffs[T optimFloat] struct {
	lr, alpha, oneMinusAlpha, eps, momentum, weightDecay T
	centered                                             bool
}

func newRMSPropCoeffs[T optimFloat](o *rmsprop) rmspropCoeffs[T] {
	c := o.cfg
	return rmspropCoeffs[T]{
		lr: T(o.lr), alpha: T(c.Alpha), oneMinusAlpha: T(1 - c.Alpha), eps: T(c.Eps),
		momentum: T(c.Momentum), weightDecay: T(c.WeightDecay), centered: c.Centered,
	}
}

// rmspropUpdate applies one RMSProp update in place, in one pass, in PyTorch's order
// of operations. bufs holds the mean square, then the momentum buffer (if momentum),
// then the mean gradient (if centered).
func rmspropUpdate[T optimFloat](w, g []T, bufs [][]T, c rmspropCoeffs[T]) {
	g = g[:len(w)]
	sq := bufs[0][:len(w)]
	var mom, avg []T
	k := 1
	if c.momentum > 0 {
		mom = bufs[k][:len(w)]
		k++
	}
	if c.centered {
		avg = bufs[k][:len(w)]
	}
	for i, gi := range g {
		if c.weightDecay != 0 {
			gi += c.weightDecay * w[i]
		}
		s := sq[i]*c.alpha + c.oneMinusAlpha*gi*gi
		sq[i] = s
		if c.centered {
			a := avg[i]*c.alpha + c.oneMinusAlpha*gi
			avg[i] = a
			s -= a * a
		}
		d := T(math.Sqrt(float64(s))) + c.eps
		if mom != nil {
			b := mom[i]*c.momentum + gi/d
			mom[i] = b
			w[i] -= c.lr * b
		} else {
			w[i] -= c.lr * (gi / d)
		}
	}
}
