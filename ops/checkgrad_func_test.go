package ops_test

import (
	"fmt"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/ops"
)

func TestCheckFunc(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		x := tensor.New(tensor.WithShape(3, 4), tensor.WithBacking(vals(dt, 12, 0.3)))
		w := tensor.New(tensor.WithShape(4, 2), tensor.WithBacking(vals(dt, 8, -0.2)))
		rep, err := ops.CheckFunc(func(in ...*gorgonia.Node) (*gorgonia.Node, error) {
			return ops.Linear(in[0], in[1], nil)
		}, ops.CheckConfig{Seed: 1}, x, w)
		if err != nil || !rep.Passed || rep.Checked != 12+8 {
			t.Errorf("%v: Linear: %v, %v", dt, rep, err)
		}
		// A wrong gradient fails: Mul's gradient claimed for a function that doubles.
		rep, err = ops.CheckFunc(func(in ...*gorgonia.Node) (*gorgonia.Node, error) {
			return wrongGrad(in[0])
		}, ops.CheckConfig{Seed: 1}, x)
		if err == nil || !strings.Contains(err.Error(), "gradient mismatch") || rep == nil || rep.Passed {
			t.Errorf("%v: a wrong gradient passed: %v, %v", dt, rep, err)
		}
		// Labels are fed but not perturbed.
		labels := tensor.New(tensor.WithShape(3), tensor.WithBacking(vals(dt, 3, 0)))
		for i := range 3 {
			if dt == tensor.Float64 {
				labels.Float64s()[i] = float64(i)
			} else {
				labels.Float32s()[i] = float32(i)
			}
		}
		rep, err = ops.CheckFuncWRT(func(in ...*gorgonia.Node) (*gorgonia.Node, error) {
			return ops.SoftmaxCrossEntropy(in[0], in[1])
		}, ops.CheckConfig{Seed: 1}, []int{0}, x, labels)
		if err != nil || !rep.Passed || rep.Checked != 12 {
			t.Errorf("%v: cross-entropy: %v, %v", dt, rep, err)
		}
	}
	x := tensor.New(tensor.WithShape(2), tensor.WithBacking([]float64{1, 2}))
	x32 := tensor.New(tensor.WithShape(2), tensor.WithBacking([]float32{1, 2}))
	id := func(in ...*gorgonia.Node) (*gorgonia.Node, error) { return gorgonia.Square(in[0]) }
	for _, c := range []struct {
		f    func(in ...*gorgonia.Node) (*gorgonia.Node, error)
		wrt  []int
		in   []*tensor.Dense
		want string
	}{
		{nil, []int{0}, []*tensor.Dense{x}, "nil function"},
		{id, nil, nil, "no inputs"},
		{id, []int{0, 1}, []*tensor.Dense{x, x32}, "dtype"},
		{id, []int{2}, []*tensor.Dense{x}, "wrt index 2"},
		{func(in ...*gorgonia.Node) (*gorgonia.Node, error) { panic("boom") }, []int{0}, []*tensor.Dense{x}, "boom"},
	} {
		if _, err := ops.CheckFuncWRT(c.f, ops.CheckConfig{}, c.wrt, c.in...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("want %q, got %v", c.want, err)
		}
	}
}

func vals(dt tensor.Dtype, n int, off float64) any {
	if dt == tensor.Float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = off + float64(i%5)*0.25 - 0.5
		}
		return v
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(off + float64(i%5)*0.25 - 0.5)
	}
	return v
}

// wrongDef doubles its input but claims the gradient of the identity.
var wrongDef = &ops.Def[struct{}]{
	Name: "WrongGrad", Arity: 1,
	Shape: func(_ struct{}, in []tensor.Shape) (tensor.Shape, error) { return in[0], nil },
	Forward: func(_ struct{}, in []*tensor.Dense, out *tensor.Dense) error {
		switch d := in[0].Data().(type) {
		case []float64:
			for i, v := range d {
				out.Float64s()[i] = 2 * v
			}
		case []float32:
			for i, v := range d {
				out.Float32s()[i] = 2 * v
			}
		}
		return nil
	},
	Backward: func(_ struct{}, in []*gorgonia.Node, _, dy *gorgonia.Node) ([]*gorgonia.Node, error) {
		return []*gorgonia.Node{dy}, nil
	},
}

func wrongGrad(x *gorgonia.Node) (*gorgonia.Node, error) { return wrongDef.Apply(struct{}{}, x) }

// Check the gradient of a function of two inputs in one call.
func ExampleCheckFunc() {
	x := tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]float64{0.1, -0.4, 0.7, 1.2, -0.3, 0.5}))
	w := tensor.New(tensor.WithShape(3, 2), tensor.WithBacking([]float64{0.2, 0.1, -0.5, 0.3, 0.4, -0.2}))
	rep, err := ops.CheckFunc(func(in ...*gorgonia.Node) (*gorgonia.Node, error) {
		return ops.LinearReLU(in[0], in[1], nil)
	}, ops.CheckConfig{}, x, w)
	if err != nil {
		panic(err)
	}
	fmt.Println(rep.Passed, rep.Checked)
	// Output: true 12
}
