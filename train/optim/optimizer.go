package optim

import (
	"math"
	"slices"

	"github.com/pkg/errors"

	"github.com/gradflow/gradflow/graph"
)

// Optimizer updates trainable Params in place from their gradients (Param.Grad).
//
// An Optimizer keeps per-parameter state (momentum buffers, Adam's moments) keyed by
// the Param's name, never by its position in the slice: Step may be given the params
// in any order, and a param first seen in a later Step gets fresh state. A name must
// keep its shape and dtype for the life of the Optimizer.
//
// An Optimizer is not safe for concurrent use.
type Optimizer interface {
	// Step applies one update to every trainable Param in params, reading each
	// Param's current gradient. Params that are not Trainable are skipped.
	//
	// Step returns an error, and changes no Param, if params holds a nil Param, if a
	// trainable Param has a nil gradient or one whose shape or dtype differs from its
	// value, if its name was seen before with another shape or dtype, if a name
	// appears twice in params, or if the learning rate is negative or not finite.
	//
	// After the first Step with a given set of params, Step allocates nothing.
	Step(params []*graph.Param) error

	// LR returns the current learning rate.
	LR() float64

	// SetLR sets the learning rate of the following Steps; learning-rate schedules
	// call it. Zero is allowed (a warm-up may start there). SetLR does not check its
	// argument: a negative, infinite or NaN rate makes the next Step fail.
	SetLR(lr float64)

	// String describes the optimizer and its hyperparameters, including the current
	// learning rate, in PyTorch's terms.
	String() string
}

// Config is a set of hyperparameters, held by value, that builds a fresh
// Optimizer with empty state. SGD, Adam, AdamW, RMSProp, Adagrad and Groups
// implement it; their zero fields take documented defaults, and NewOptimizer rejects
// invalid values with an error that names the field.
type Config interface {
	// NewOptimizer validates the hyperparameters and returns an Optimizer with no
	// state, or an error naming the first invalid field.
	NewOptimizer() (Optimizer, error)
}

// optimFloat is the element type of the update loops: the params' own dtype, so
// float32 params are updated in float32 arithmetic and float64 params in float64.
type optimFloat interface{ ~float32 | ~float64 }

// optimState is what an optimizer remembers about one parameter, keyed by its name.
type optimState struct {
	shape []int
	dtype graph.DType
	steps int    // updates applied so far (Adam's t)
	adopt bool   // restored without buffers: take shape and dtype from the next Step
	seen  uint64 // the check call that last saw it, to catch duplicate names
	bufs  any    // [][]float32 or [][]float64 in the param's dtype: momentum; Adam's m, v, max v
}

// optimStates holds the per-parameter states of one optimizer, keyed by name. check
// fills active and states with the trainable params of the current Step and their
// states, in the same order, reusing the slices' memory from Step to Step.
type optimStates struct {
	slots  []string          // names of the per-element buffers of each parameter (PyTorch's)
	init   func(*optimState) // fills a new state's buffers; nil leaves them zero
	calls  uint64
	m      map[string]*optimState
	active []*graph.Param
	states []*optimState
}

func newOptimStates(slots ...string) optimStates {
	return optimStates{slots: slots, m: map[string]*optimState{}}
}

// check validates one Step's params before anything is changed, creating zeroed state
// for trainable params seen for the first time. opt names the optimizer in errors.
func (t *optimStates) check(opt string, lr float64, params []*graph.Param) error {
	if !(lr >= 0) || math.IsInf(lr, 0) {
		return errors.Errorf("optim: %s: learning rate = %g, want finite >= 0", opt, lr)
	}
	t.calls++
	t.release()
	for i, p := range params {
		if p == nil {
			return errors.Errorf("optim: %s: params[%d] is nil", opt, i)
		}
		if !p.Trainable() {
			continue
		}
		v, g := p.Value(), p.Grad()
		if g == nil {
			return errors.Errorf("optim: %s: param %q has no gradient", opt, p.Name())
		}
		dt := v.Dtype()
		if dt != graph.Float32 && dt != graph.Float64 {
			return errors.Errorf("optim: %s: param %q has dtype %v, want float32 or float64", opt, p.Name(), dt)
		}
		if g.Dtype() != dt || !slices.Equal(g.Shape(), v.Shape()) || g.Size() != v.Size() {
			return errors.Errorf("optim: %s: param %q: gradient is %v %v, want %v %v like its value",
				opt, p.Name(), g.Dtype(), []int(g.Shape()), dt, []int(v.Shape()))
		}
		st, ok := t.m[p.Name()]
		if !ok {
			st = newOptimState(v.Shape(), dt, len(t.slots))
			if t.init != nil {
				t.init(st)
			}
			t.m[p.Name()] = st
		} else if st.adopt {
			st.shape, st.dtype, st.adopt = slices.Clone(v.Shape()), dt, false
		} else if st.dtype != dt || !slices.Equal(st.shape, v.Shape()) {
			return errors.Errorf("optim: %s: param %q is %v %v, but its optimizer state is %v %v (name reused for another param?)",
				opt, p.Name(), dt, []int(v.Shape()), st.dtype, st.shape)
		}
		if st.seen == t.calls {
			return errors.Errorf("optim: %s: param %q appears more than once in one Step", opt, p.Name())
		}
		st.seen = t.calls
		t.active = append(t.active, p)
		t.states = append(t.states, st)
	}
	return nil
}

// release forgets the current Step's params, so the table does not keep them alive,
// and keeps the slices' memory for the next Step.
func (t *optimStates) release() {
	clear(t.active)
	clear(t.states)
	t.active, t.states = t.active[:0], t.states[:0]
}

func newOptimState(shape []int, dt graph.DType, slots int) *optimState {
	n := 1
	for _, d := range shape {
		n *= d
	}
	st := &optimState{shape: slices.Clone(shape), dtype: dt}
	if dt == graph.Float32 {
		st.bufs = makeOptimBuffers[float32](slots, n)
	} else {
		st.bufs = makeOptimBuffers[float64](slots, n)
	}
	return st
}

func makeOptimBuffers[T optimFloat](slots, n int) [][]T {
	b := make([][]T, slots)
	for i := range b {
		b[i] = make([]T, n)
	}
	return b
}

// optimBuffers returns a state's buffers in the element type T (its param's dtype).
func optimBuffers[T optimFloat](st *optimState) [][]T {
	b, _ := st.bufs.([][]T)
	return b
}

// hyperCheck is one hyperparameter's validity: v must be finite and lie between lo
// and hi, excluding lo if loOpen and hi if hiOpen. want is the range as the error
// message shows it.
type hyperCheck struct {
	field          string
	v, lo, hi      float64
	loOpen, hiOpen bool
	want           string
}

// checkHypers returns an error for the first check that fails.
func checkHypers(opt string, checks ...hyperCheck) error {
	for _, k := range checks {
		ok := !math.IsNaN(k.v) && !math.IsInf(k.v, 0) &&
			(k.v > k.lo || (!k.loOpen && k.v == k.lo)) &&
			(k.v < k.hi || (!k.hiOpen && k.v == k.hi))
		if !ok {
			return errors.Errorf("optim: %s: %s = %g, want %s", opt, k.field, k.v, k.want)
		}
	}
	return nil
}
