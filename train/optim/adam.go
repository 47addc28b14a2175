package optim

import (
	"fmt"
	"math"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/ops/kern"
)

// Adam configures the Adam optimizer (Kingma and Ba, "Adam: A Method for Stochastic
// Optimization", ICLR 2015), with optional AMSGrad (Reddi, Kale and Kumar, "On the
// Convergence of Adam and Beyond", ICLR 2018). It is equivalent to PyTorch's
// torch.optim.Adam (1.13) with the same arguments, including its weight decay, which
// is an L2 penalty added to the gradient and so passes through the moment estimates
// ("coupled"; AdamW decouples it). Given the same gradients, the parameters agree
// with PyTorch's to rounding (testdata/optim holds the reference trajectories).
//
// For each parameter p with gradient g, at the t-th update of p:
//
//	g  <- g + WeightDecay*p                      (if WeightDecay != 0)
//	m  <- Beta1*m + (1-Beta1)*g                  (first moment, starts at 0)
//	v  <- Beta2*v + (1-Beta2)*g*g                (second moment, starts at 0)
//	vm <- max(vm, v) with AMSGrad, else vm = v   (vm starts at 0)
//	p  <- p - LR/(1-Beta1^t) * m / (sqrt(vm)/sqrt(1-Beta2^t) + Eps)
//
// t counts the updates of each parameter, so a parameter first stepped late gets the
// full bias correction.
//
// Zero fields take PyTorch's defaults: LR 1e-3, Beta1 0.9, Beta2 0.999, Eps 1e-8,
// WeightDecay 0. Because zero means the default, Beta1 = 0 (no first-moment
// averaging) cannot be requested.
type Adam struct {
	LR          float64 // learning rate, >= 0; 0 means 1e-3
	Beta1       float64 // decay of the first-moment average, in [0, 1); 0 means 0.9
	Beta2       float64 // decay of the second-moment average, in [0, 1); 0 means 0.999
	Eps         float64 // added to the denominator, > 0; 0 means 1e-8
	WeightDecay float64 // L2 penalty, >= 0, added to the gradient as WeightDecay*p
	AMSGrad     bool    // normalise by the running maximum of the second moment
}

// AdamW configures Adam with decoupled weight decay (Loshchilov and Hutter, "Decoupled
// Weight Decay Regularization", ICLR 2019), with optional AMSGrad. It is equivalent to
// PyTorch's torch.optim.AdamW (1.13) with the same arguments.
//
// Before the Adam update (see Adam, with no L2 term in the gradient), the weights
// shrink directly:
//
//	p <- p - LR*WeightDecay*p
//
// so the decay is not rescaled by the moment estimates. As in PyTorch, the decay is
// scaled by the learning rate (the paper scales it by the schedule multiplier alone),
// so a learning-rate schedule also schedules the decay.
//
// Zero fields take PyTorch's defaults (LR 1e-3, Beta1 0.9, Beta2 0.999, Eps 1e-8)
// except WeightDecay: zero means no decay, while PyTorch's default is 0.01. Write
// WeightDecay: 1e-2 to match torch.optim.AdamW's defaults. As for Adam, Beta1 = 0
// cannot be requested.
type AdamW struct {
	LR          float64 // learning rate, >= 0; 0 means 1e-3
	Beta1       float64 // decay of the first-moment average, in [0, 1); 0 means 0.9
	Beta2       float64 // decay of the second-moment average, in [0, 1); 0 means 0.999
	Eps         float64 // added to the denominator, > 0; 0 means 1e-8
	WeightDecay float64 // decoupled decay rate, >= 0; 0 means none (PyTorch's default is 0.01)
	AMSGrad     bool    // normalise by the running maximum of the second moment
}

var (
	_ Config   = Adam{}
	_ Config   = AdamW{}
	_ Stateful = (*adam)(nil)
)

// NewOptimizer returns a fresh Adam optimizer, or an error naming the first invalid
// field.
func (c Adam) NewOptimizer() (Optimizer, error) { return newAdam("adam", c, false) }

// NewOptimizer returns a fresh AdamW optimizer, or an error naming the first invalid
// field.
func (c AdamW) NewOptimizer() (Optimizer, error) { return newAdam("adamw", Adam(c), true) }

// newAdam fills c's defaults, validates it and builds the optimizer. decoupled
// selects AdamW's weight decay.
func newAdam(name string, c Adam, decoupled bool) (Optimizer, error) {
	if c.LR == 0 {
		c.LR = 1e-3
	}
	if c.Beta1 == 0 {
		c.Beta1 = 0.9
	}
	if c.Beta2 == 0 {
		c.Beta2 = 0.999
	}
	if c.Eps == 0 {
		c.Eps = 1e-8
	}
	inf := math.Inf(1)
	if err := checkHypers(name,
		hyperCheck{"LR", c.LR, 0, inf, true, false, "> 0 (0 means 1e-3)"},
		hyperCheck{"Beta1", c.Beta1, 0, 1, false, true, "in [0, 1)"},
		hyperCheck{"Beta2", c.Beta2, 0, 1, false, true, "in [0, 1)"},
		hyperCheck{"Eps", c.Eps, 0, inf, true, false, "> 0"},
		hyperCheck{"WeightDecay", c.WeightDecay, 0, inf, false, false, ">= 0"},
	); err != nil {
		return nil, err
	}
	slots := []string{"exp_avg", "exp_avg_sq"} // m and v, as PyTorch names them
	if c.AMSGrad {
		slots = append(slots, "max_exp_avg_sq") // the running maximum of v
	}
	return &adam{name: name, cfg: c, decoupled: decoupled, lr: c.LR, state: newOptimStates(slots...)}, nil
}

// adam is the Optimizer that Adam and AdamW build.
type adam struct {
	name      string // "adam" or "adamw", for errors
	cfg       Adam   // with defaults filled in
	decoupled bool   // AdamW
	lr        float64
	state     optimStates
}

func (o *adam) LR() float64                            { return o.lr }
func (o *adam) SetLR(lr float64)                       { o.lr = lr }
func (o *adam) State() map[string]ParamState           { return o.state.export() }
func (o *adam) SetState(s map[string]ParamState) error { return o.state.restore(o.name, s) }

func (c Adam) withWeightDecay(wd float64) Config  { c.WeightDecay = wd; return c }
func (c AdamW) withWeightDecay(wd float64) Config { c.WeightDecay = wd; return c }

func (o *adam) String() string {
	name := "Adam"
	if o.decoupled {
		name = "AdamW"
	}
	return fmt.Sprintf("%s(lr=%g, betas=(%g, %g), eps=%g, weight_decay=%g, amsgrad=%t)",
		name, o.lr, o.cfg.Beta1, o.cfg.Beta2, o.cfg.Eps, o.cfg.WeightDecay, o.cfg.AMSGrad)
}

func (o *adam) Step(params []*graph.Param) error {
	if err := o.state.check(o.name, o.lr, params); err != nil {
		return err
	}
	for i, p := range o.state.active {
		st := o.state.states[i]
		st.steps++
		if st.dtype == graph.Float32 {
			adamUpdate(p.Value().Float32s(), p.Grad().Float32s(), optimBuffers[float32](st), newAdamCoeffs[float32](o, st.steps))
		} else {
			adamUpdate(p.Value().Float64s(), p.Grad().Float64s(), optimBuffers[float64](st), newAdamCoeffs[float64](o, st.steps))
		}
	}
	o.state.release()
	return nil
}

// adamCoeffs are one update's scalars in the param's element type. Like PyTorch,
// they are computed in float64 and rounded once to the element type.
type adamCoeffs[T optimFloat] struct {
	beta1, beta2, oneMinusBeta1, oneMinusBeta2 T
	l2                                         T // Adam's coupled weight decay, added to the gradient
	decay                                      T // AdamW's factor 1 - lr*WeightDecay on the weights; 1 for Adam
	stepSize                                   T // lr / (1 - beta1^t)
	bc2Sqrt                                    T // sqrt(1 - beta2^t)
	eps                                        T
	amsgrad                                    bool
}

func newAdamCoeffs[T optimFloat](o *adam, t int) adamCoeffs[T] {
	c := o.cfg
	k := adamCoeffs[T]{
		beta1: T(c.Beta1), beta2: T(c.Beta2),
		oneMinusBeta1: T(1 - c.Beta1), oneMinusBeta2: T(1 - c.Beta2),
		decay:    1,
		stepSize: T(o.lr / (1 - math.Pow(c.Beta1, float64(t)))),
		bc2Sqrt:  T(math.Sqrt(1 - math.Pow(c.Beta2, float64(t)))),
		eps:      T(c.Eps),
		amsgrad:  c.AMSGrad,
	}
	if o.decoupled {
		k.decay = T(1 - o.lr*c.WeightDecay)
	} else {
		k.l2 = T(c.WeightDecay)
	}
	return k
}

// adamUpdate applies one Adam or AdamW update to the weights w in place, in one pass
// over w, g and the moment buffers (m, v and, with AMSGrad, the maximum of v). The
// order of operations follows PyTorch's so float64 results agree to rounding. The
// square root is taken in float64; for a float32 argument that gives the correctly
// rounded float32 square root.
func adamUpdate[T optimFloat](w, g []T, bufs [][]T, c adamCoeffs[T]) {
	g = g[:len(w)]
	m, v := bufs[0][:len(w)], bufs[1][:len(w)]
	var vmax []T
	if c.amsgrad {
		vmax = bufs[2][:len(w)]
	}
	if !c.amsgrad && c.l2 == 0 {
		// ops/kern's Adam is this loop without the coupled L2 term and AMSGrad, with
		// an AVX2 body that is bit-identical to it.
		kern.Adam(w, g, m, v, kern.AdamArgs[T]{
			Beta1: c.beta1, Beta2: c.beta2, OneMinusBeta1: c.oneMinusBeta1, OneMinusBeta2: c.oneMinusBeta2,
			Decay: c.decay, StepSize: c.stepSize, BC2Sqrt: c.bc2Sqrt, Eps: c.eps,
		})
		return
	}
	for i := range w {
		gi, wi := g[i], w[i]
		if c.l2 != 0 {
			gi += c.l2 * wi
		}
		if c.decay != 1 {
			wi *= c.decay
		}
		mi := m[i]*c.beta1 + c.oneMinusBeta1*gi
		vi := v[i]*c.beta2 + c.oneMinusBeta2*gi*gi
		m[i], v[i] = mi, vi
		if c.amsgrad {
			vi = max(vmax[i], vi)
			vmax[i] = vi
		}
		denom := T(math.Sqrt(float64(vi)))/c.bc2Sqrt + c.eps
		w[i] = wi - c.stepSize*mi/denom
	}
}
