package optim

import (
	"fmt"
	"math"

	"github.com/pkg/errors"

	"github.com/gradflow/gradflow/graph"
)

// SGD configures stochastic gradient descent with optional momentum, dampening, L2
// weight decay and Nesterov momentum. It is equivalent to PyTorch's torch.optim.SGD
// (1.13) with the same arguments: given the same gradients, the parameters agree
// with PyTorch's to rounding (testdata/optim holds the reference trajectories).
//
// For each parameter p with gradient g, with learning rate lr, Momentum mu,
// Dampening tau and WeightDecay lambda:
//
//	g <- g + lambda*p                 (if lambda != 0)
//	b <- g                            (momentum buffer, first update of p)
//	b <- mu*b + (1-tau)*g             (later updates; only if mu != 0)
//	d <- g + mu*b                     (Nesterov) or d <- b (momentum) or d <- g (mu = 0)
//	p <- p - lr*d
//
// The Nesterov form is PyTorch's, a reformulation of Sutskever, Martens, Dahl and
// Hinton, "On the importance of initialization and momentum in deep learning"
// (ICML 2013) that evaluates the gradient at the current weights rather than at
// the look-ahead point.
//
// LR has no default: it must be > 0. The other zero fields mean: no momentum, no
// dampening, no weight decay.
type SGD struct {
	LR          float64 // learning rate, > 0; required
	Momentum    float64 // momentum factor mu, >= 0; 0 is plain SGD
	Dampening   float64 // dampening tau of the gradient added to the momentum buffer, in [0, 1]
	WeightDecay float64 // L2 penalty lambda, >= 0, added to the gradient as lambda*p
	Nesterov    bool    // Nesterov momentum; requires Momentum > 0 and Dampening = 0
}

var (
	_ Config   = SGD{}
	_ Stateful = (*sgd)(nil)
)

// NewOptimizer returns a fresh SGD optimizer, or an error naming the first invalid
// field.
func (c SGD) NewOptimizer() (Optimizer, error) {
	inf := math.Inf(1)
	if err := checkHypers("sgd",
		hyperCheck{"LR", c.LR, 0, inf, true, false, "> 0"},
		hyperCheck{"Momentum", c.Momentum, 0, inf, false, false, ">= 0"},
		hyperCheck{"Dampening", c.Dampening, 0, 1, false, false, "in [0, 1]"},
		hyperCheck{"WeightDecay", c.WeightDecay, 0, inf, false, false, ">= 0"},
	); err != nil {
		return nil, err
	}
	if c.Nesterov && (c.Momentum <= 0 || c.Dampening != 0) {
		return nil, errors.Errorf("optim: sgd: Nesterov needs Momentum > 0 and Dampening = 0, have Momentum = %g, Dampening = %g",
			c.Momentum, c.Dampening)
	}
	var slots []string
	if c.Momentum != 0 {
		slots = []string{"momentum_buffer"}
	}
	return &sgd{cfg: c, lr: c.LR, state: newOptimStates(slots...)}, nil
}

// sgd is the Optimizer that SGD builds.
type sgd struct {
	cfg   SGD
	lr    float64
	state optimStates
}

func (o *sgd) LR() float64                            { return o.lr }
func (o *sgd) SetLR(lr float64)                       { o.lr = lr }
func (o *sgd) State() map[string]ParamState           { return o.state.export() }
func (o *sgd) SetState(s map[string]ParamState) error { return o.state.restore("sgd", s) }
func (c SGD) withWeightDecay(wd float64) Config       { c.WeightDecay = wd; return c }

func (o *sgd) String() string {
	return fmt.Sprintf("SGD(lr=%g, momentum=%g, dampening=%g, weight_decay=%g, nesterov=%t)",
		o.lr, o.cfg.Momentum, o.cfg.Dampening, o.cfg.WeightDecay, o.cfg.Nesterov)
}

func (o *sgd) Step(params []*graph.Param) error {
	if err := o.state.check("sgd", o.lr, params); err != nil {
		return err
	}
	for i, p := range o.state.active {
		st := o.state.states[i]
		first := st.steps == 0
		st.steps++
		if st.dtype == graph.Float32 {
			sgdUpdate(p.Value().Float32s(), p.Grad().Float32s(), optimBuffers[float32](st), newSGDCoeffs[float32](o.cfg, o.lr, first))
		} else {
			sgdUpdate(p.Value().Float64s(), p.Grad().Float64s(), optimBuffers[float64](st), newSGDCoeffs[float64](o.cfg, o.lr, first))
		}
	}
	o.state.release()
	return nil
}

// sgdCoeffs are one update's scalars in the param's element type. Like PyTorch,
// they are computed in float64 and rounded once to the element type.
type sgdCoeffs[T optimFloat] struct {
	lr, weightDecay, momentum, oneMinusDampening T
	nesterov, first                              bool
}

func newSGDCoeffs[T optimFloat](c SGD, lr float64, first bool) sgdCoeffs[T] {
	return sgdCoeffs[T]{
		lr: T(lr), weightDecay: T(c.WeightDecay), momentum: T(c.Momentum),
		oneMinusDampening: T(1 - c.Dampening), nesterov: c.Nesterov, first: first,
	}
}

// sgdUpdate applies one SGD update to the weights w in place, in one pass. buf is
// the momentum buffer, or nil without momentum.
func sgdUpdate[T optimFloat](w, g []T, bufs [][]T, c sgdCoeffs[T]) {
	g = g[:len(w)]
	if len(bufs) == 0 {
		for i, gi := range g {
			if c.weightDecay != 0 {
				gi += c.weightDecay * w[i]
			}
			w[i] -= c.lr * gi
		}
		return
	}
	buf := bufs[0][:len(w)]
	for i, gi := range g {
		if c.weightDecay != 0 {
			gi += c.weightDecay * w[i]
		}
		b := gi
		if !c.first {
			b = c.momentum*buf[i] + c.oneMinusDampening*gi
		}
		buf[i] = b
		if c.nesterov {
			gi += c.momentum * b
		} else {
			gi = b
		}
		w[i] -= c.lr * gi
	}
}
