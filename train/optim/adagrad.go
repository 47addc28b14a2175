package optim

import (
	"fmt"
	"math"

	"github.com/gradflow/gradflow/graph"
)

// Adagrad configures Adagrad (Duchi, Hazan and Singer, "Adaptive Subgradient Methods
// for Online Learning and Stochastic Optimization", JMLR 2011). It is equivalent to
// PyTorch's torch.optim.Adagrad (1.13) with the same arguments (testdata/optim holds
// the reference trajectories).
//
// For each parameter p with gradient g, at the t-th update of p:
//
//	g <- g + WeightDecay*p                    (if WeightDecay != 0)
//	s <- s + g*g                              (starts at InitialAccumulator)
//	p <- p - LR/(1+(t-1)*LRDecay) * g/(sqrt(s)+Eps)
//
// Zero fields take PyTorch's defaults: LR 1e-2, Eps 1e-10, no learning-rate decay,
// no weight decay, an initial accumulator of 0.
type Adagrad struct {
	LR                 float64 // learning rate, > 0; 0 means 1e-2
	LRDecay            float64 // the rate is LR/(1+(t-1)*LRDecay) at update t, >= 0
	WeightDecay        float64 // L2 penalty, >= 0, added to the gradient as WeightDecay*p
	InitialAccumulator float64 // starting value of the sum of squares, >= 0
	Eps                float64 // added to the denominator, > 0; 0 means 1e-10
}

var (
	_ Config   = Adagrad{}
	_ Stateful = (*adagrad)(nil)
)

// NewOptimizer returns a fresh Adagrad optimizer, or an error naming the first
// invalid field.
func (c Adagrad) NewOptimizer() (Optimizer, error) {
	if c.LR == 0 {
		c.LR = 1e-2
	}
	if c.Eps == 0 {
		c.Eps = 1e-10
	}
	inf := math.Inf(1)
	if err := checkHypers("adagrad",
		hyperCheck{"LR", c.LR, 0, inf, true, false, "> 0 (0 means 1e-2)"},
		hyperCheck{"LRDecay", c.LRDecay, 0, inf, false, false, ">= 0"},
		hyperCheck{"WeightDecay", c.WeightDecay, 0, inf, false, false, ">= 0"},
		hyperCheck{"InitialAccumulator", c.InitialAccumulator, 0, inf, false, false, ">= 0"},
		hyperCheck{"Eps", c.Eps, 0, inf, true, false, "> 0"},
	); err != nil {
		return nil, err
	}
	o := &adagrad{cfg: c, lr: c.LR, state: newOptimStates("sum")}
	o.state.init = func(st *optimState) {
		if st.dtype == graph.Float32 {
			fillSlot(optimBuffers[float32](st)[0], float32(c.InitialAccumulator))
		} else {
			fillSlot(optimBuffers[float64](st)[0], c.InitialAccumulator)
		}
	}
	return o, nil
}

func (c Adagrad) withWeightDecay(wd float64) Config { c.WeightDecay = wd; return c }

func fillSlot[T optimFloat](b []T, v T) {
	for i := range b {
		b[i] = v
	}
}

// adagrad is the Optimizer that Adagrad builds.
type adagrad struct {
	cfg   Adagrad // with defaults filled in
	lr    float64
	state optimStates
}

func (o *adagrad) LR() float64                            { return o.lr }
func (o *adagrad) SetLR(lr float64)                       { o.lr = lr }
func (o *adagrad) State() map[string]ParamState           { return o.state.export() }
func (o *adagrad) SetState(s map[string]ParamState) error { return o.state.restore("adagrad", s) }

func (o *adagrad) String() string {
	return fmt.Sprintf("Adagrad(lr=%g, lr_decay=%g, weight_decay=%g, initial_accumulator_value=%g, eps=%g)",
		o.lr, o.cfg.LRDecay, o.cfg.WeightDecay, o.cfg.InitialAccumulator, o.cfg.Eps)
}

func (o *adagrad) Step(params []*graph.Param) error {
	if err := o.state.check("adagrad", o.lr, params); err != nil {
		return err
	}
	for i, p := range o.state.active {
		st := o.state.states[i]
		st.steps++
		clr := o.lr / (1 + float64(st.steps-1)*o.cfg.LRDecay)
		if st.dtype == graph.Float32 {
			adagradUpdate(p.Value().Float32s(), p.Grad().Float32s(), optimBuffers[float32](st)[0],
				float32(clr), float32(o.cfg.WeightDecay), float32(o.cfg.Eps))
		} else {
			adagradUpdate(p.Value().Float64s(), p.Grad().Float64s(), optimBuffers[float64](st)[0],
				clr, o.cfg.WeightDecay, o.cfg.Eps)
		}
	}
	o.state.release()
	return nil
}

// adagradUpdate applies one Adagrad update in place, in PyTorch's order of
// operations; sum is the running sum of squared gradients.
func adagradUpdate[T optimFloat](w, g, sum []T, lr, weightDecay, eps T) {
	g, sum = g[:len(w)], sum[:len(w)]
	for i, gi := range g {
		if weightDecay != 0 {
			gi += weightDecay * w[i]
		}
		s := sum[i] + gi*gi
		sum[i] = s
		w[i] -= lr * (gi / (T(math.Sqrt(float64(s))) + eps))
	}
}
