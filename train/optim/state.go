package optim

import (
	"maps"
	"slices"
	"strings"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/graph"
)

// ParamState is what an optimizer remembers about one parameter: the number of
// updates applied to it and its per-element buffers, named as PyTorch names them in
// an optimizer's state_dict ("momentum_buffer", "exp_avg", "exp_avg_sq",
// "max_exp_avg_sq", "square_avg", "grad_avg", "sum"). Each buffer has the
// parameter's shape and dtype.
type ParamState struct {
	Steps int
	Slots map[string]*tensor.Dense
}

// Stateful is an Optimizer whose state can be exported and restored, as
// checkpoints do. Every optimizer that gradflow's configs build implements it.
type Stateful interface {
	Optimizer

	// State returns a deep copy of the state of every parameter stepped so far,
	// keyed by parameter name.
	State() map[string]ParamState

	// SetState replaces the whole state with a copy of s. It returns an error, and
	// changes nothing, if an entry lacks one of the optimizer's buffers, has one it
	// does not use, or has buffers of different shapes or of a dtype other than
	// float32 or float64. A later Step checks each entry against its parameter's
	// shape and dtype, as for state built by Step itself.
	SetState(s map[string]ParamState) error
}

// export returns a deep copy of the states, keyed by name.
func (t *optimStates) export() map[string]ParamState {
	out := make(map[string]ParamState, len(t.m))
	for name, st := range t.m {
		ps := ParamState{Steps: st.steps, Slots: make(map[string]*tensor.Dense, len(t.slots))}
		for i, slot := range t.slots {
			d := tensor.New(tensor.WithShape(st.shape...), tensor.Of(st.dtype))
			if st.dtype == graph.Float32 {
				copy(d.Float32s(), optimBuffers[float32](st)[i])
			} else {
				copy(d.Float64s(), optimBuffers[float64](st)[i])
			}
			ps.Slots[slot] = d
		}
		out[name] = ps
	}
	return out
}

// restore validates s and then replaces the states with copies of it.
func (t *optimStates) restore(opt string, s map[string]ParamState) error {
	fresh := make(map[string]*optimState, len(s))
	for _, name := range slices.Sorted(maps.Keys(s)) {
		ps := s[name]
		if ps.Steps < 0 {
			return errors.Errorf("optim: %s: state of %q: steps = %d, want >= 0", opt, name, ps.Steps)
		}
		for _, slot := range slices.Sorted(maps.Keys(ps.Slots)) { // sorted: the same error every time
			if !slices.Contains(t.slots, slot) {
				return errors.Errorf("optim: %s: state of %q has buffer %q, want only %s",
					opt, name, slot, slotList(t.slots))
			}
		}
		var shape []int
		var dt graph.DType
		for i, slot := range t.slots {
			d := ps.Slots[slot]
			if d == nil {
				return errors.Errorf("optim: %s: state of %q lacks buffer %q", opt, name, slot)
			}
			if d.Dtype() != graph.Float32 && d.Dtype() != graph.Float64 {
				return errors.Errorf("optim: %s: state of %q: buffer %q has dtype %v, want float32 or float64", opt, name, slot, d.Dtype())
			}
			if i == 0 {
				shape, dt = []int(d.Shape()), d.Dtype()
			} else if d.Dtype() != dt || !slices.Equal([]int(d.Shape()), shape) {
				return errors.Errorf("optim: %s: state of %q: buffer %q is %v %v, buffer %q is %v %v",
					opt, name, slot, d.Dtype(), d.Shape(), t.slots[0], dt, shape)
			}
		}
		// Without buffers (plain SGD) shape and dtype stay unknown until the next
		// Step sees the param, which adopts them.
		st := newOptimState(shape, dt, 0)
		st.steps = ps.Steps
		if len(t.slots) > 0 {
			if dt == graph.Float32 {
				st.bufs = copySlots[float32](t.slots, ps.Slots)
			} else {
				st.bufs = copySlots[float64](t.slots, ps.Slots)
			}
		} else {
			st.bufs = nil
			st.adopt = true
		}
		fresh[name] = st
	}
	t.m = fresh
	return nil
}

func copySlots[T optimFloat](names []string, slots map[string]*tensor.Dense) [][]T {
	out := make([][]T, len(names))
	for i, n := range names {
		src, _ := slots[n].Data().([]T)
		if src == nil { // a one-element tensor may hold a bare scalar
			if v, ok := slots[n].Data().(T); ok {
				src = []T{v}
			}
		}
		out[i] = slices.Clone(src)
	}
	return out
}

func slotList(slots []string) string {
	if len(slots) == 0 {
		return "none"
	}
	return `"` + strings.Join(slots, `", "`) + `"`
}
