package graph

import (
	"fmt"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// DType is the element type of a tensor. gradflow supports Float32 and Float64.
type DType = tensor.Dtype

// The element types gradflow supports.
var (
	Float32 = tensor.Float32
	Float64 = tensor.Float64
)

// checkDType returns an error unless dt is Float32 or Float64.
func checkDType(dt DType) error {
	if dt != Float32 && dt != Float64 {
		return errors.Errorf("graph: dtype %v not supported, want float32 or float64", dt)
	}
	return nil
}

// Kind says what role a Param plays in a model.
type Kind int

// The kinds of Param.
const (
	Weight Kind = iota // a weight: how much each input counts
	Bias               // a bias: the offset added after the weighted sum
	State              // non-trainable state that must be saved (BatchNorm running statistics)
)

func (k Kind) String() string {
	switch k {
	case Weight:
		return "weight"
	case Bias:
		return "bias"
	case State:
		return "state"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Param is a named tensor of a model: a weight, a bias or a piece of state. It owns its
// value and, for trainable params, its gradient. Params live outside graphs: every Graph
// that uses a Param binds the same value tensor by reference.
//
// Create Params with Scope.Param; the zero Param is not usable.
type Param struct {
	name      string
	kind      Kind
	trainable bool
	value     *tensor.Dense
	grad      *tensor.Dense
}

// Name returns the Param's full scoped name, such as "mlp/fc1/weight".
func (p *Param) Name() string { return p.name }

// Kind returns the Param's kind.
func (p *Param) Kind() Kind { return p.kind }

// Trainable reports whether the Param is differentiated and updated by optimizers.
// State params are never trainable.
func (p *Param) Trainable() bool { return p.trainable }

// SetTrainable freezes (false) or unfreezes (true) a Param. Graphs compiled before the
// call keep the setting they were compiled with. State params cannot be made trainable.
func (p *Param) SetTrainable(on bool) error {
	if on && p.kind == State {
		return errors.Errorf("graph: param %q is state and cannot be trainable", p.name)
	}
	p.trainable = on
	return nil
}

// Shape returns a copy of the Param's shape.
func (p *Param) Shape() []int { return append([]int(nil), p.value.Shape()...) }

// DType returns the Param's element type.
func (p *Param) DType() DType { return p.value.Dtype() }

// Size returns the number of elements.
func (p *Param) Size() int { return p.value.Size() }

// Value returns the Param's value tensor. Writing to it changes the model in every
// graph that uses the Param.
func (p *Param) Value() *tensor.Dense { return p.value }

// Grad returns the Param's gradient tensor, the same shape as its value. Machine.Run
// overwrites it with dloss/dparam; it is nil for State params.
func (p *Param) Grad() *tensor.Dense { return p.grad }

// String returns "name kind shape".
func (p *Param) String() string {
	return fmt.Sprintf("%s %v %v", p.name, p.kind, p.value.Shape())
}

// Float32s returns the value's backing slice; it is nil unless the dtype is Float32.
func (p *Param) Float32s() []float32 { return float32s(p.value) }

// Float64s returns the value's backing slice; it is nil unless the dtype is Float64.
func (p *Param) Float64s() []float64 { return float64s(p.value) }

// GradFloat32s returns the gradient's backing slice; nil unless the dtype is Float32
// and the Param is trainable.
func (p *Param) GradFloat32s() []float32 { return float32s(p.grad) }

// GradFloat64s returns the gradient's backing slice; nil unless the dtype is Float64
// and the Param is trainable.
func (p *Param) GradFloat64s() []float64 { return float64s(p.grad) }

// float32s returns t's backing slice (one element for a scalar), or nil.
func float32s(t *tensor.Dense) []float32 {
	if t == nil || t.Dtype() != tensor.Float32 {
		return nil
	}
	return t.Float32s()
}

func float64s(t *tensor.Dense) []float64 {
	if t == nil || t.Dtype() != tensor.Float64 {
		return nil
	}
	return t.Float64s()
}

// SetValues copies src into the Param's value. src must be a []float32 or []float64 of
// the Param's size (it is converted to the Param's dtype).
func (p *Param) SetValues(src any) error {
	var n int
	switch s := src.(type) {
	case []float32:
		n = len(s)
	case []float64:
		n = len(s)
	default:
		return errors.Errorf("graph: param %q: SetValues got %T, want []float32 or []float64", p.name, src)
	}
	if n != p.Size() {
		return errors.Errorf("graph: param %q: SetValues got %d values, want %d (shape %v)", p.name, n, p.Size(), p.value.Shape())
	}
	switch p.DType() {
	case Float32:
		dst := p.Float32s()
		switch s := src.(type) {
		case []float32:
			copy(dst, s)
		case []float64:
			for i, v := range s {
				dst[i] = float32(v)
			}
		}
	case Float64:
		dst := p.Float64s()
		switch s := src.(type) {
		case []float64:
			copy(dst, s)
		case []float32:
			for i, v := range s {
				dst[i] = float64(v)
			}
		}
	}
	return nil
}

// ZeroGrad sets the gradient to zero.
func (p *Param) ZeroGrad() {
	if p.grad != nil {
		p.grad.Zero()
	}
}

// newParam allocates a Param's value (and gradient, if trainable).
func newParam(name string, kind Kind, dt DType, shape []int) *Param {
	p := &Param{name: name, kind: kind, trainable: kind != State}
	p.value = tensor.New(tensor.WithShape(shape...), tensor.Of(dt))
	if kind != State {
		p.grad = tensor.New(tensor.WithShape(shape...), tensor.Of(dt))
	}
	return p
}
