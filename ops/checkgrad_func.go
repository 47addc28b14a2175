package ops

import (
	"fmt"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// CheckFunc numerically checks the gradients of f with respect to every input: it
// makes one input node per tensor of inputs (a copy of its values; all of one dtype,
// float32 or float64), calls f on them, and runs CheckGrad on f's output. It is the
// short form for a function built from ops or a Def:
//
//	rep, err := ops.CheckFunc(func(x ...*gorgonia.Node) (*gorgonia.Node, error) {
//		return swish.Apply(params, x[0], x[1])
//	}, ops.CheckConfig{}, xs, beta)
//
// CheckFuncWRT leaves out inputs that take no gradient (labels, ids). A panic in f
// or in an op is returned as an error, as CheckGrad does.
func CheckFunc(f func(in ...*gorgonia.Node) (*gorgonia.Node, error), cfg CheckConfig, inputs ...*tensor.Dense) (*GradReport, error) {
	all := make([]int, len(inputs))
	for i := range all {
		all[i] = i
	}
	return CheckFuncWRT(f, cfg, all, inputs...)
}

// CheckFuncWRT is CheckFunc checking only the inputs whose indices are in wrt (the
// others, such as labels or token ids, are fed but not perturbed).
func CheckFuncWRT(f func(in ...*gorgonia.Node) (*gorgonia.Node, error), cfg CheckConfig, wrt []int, inputs ...*tensor.Dense) (*GradReport, error) {
	if f == nil {
		return nil, errors.New("ops: CheckFunc: nil function")
	}
	if len(inputs) == 0 {
		return nil, errors.New("ops: CheckFunc: no inputs")
	}
	dt := tensor.Dtype{}
	for i, t := range inputs {
		if t == nil {
			return nil, errors.Errorf("ops: CheckFunc: input %d is nil", i)
		}
		if i == 0 {
			dt = t.Dtype()
		}
		if t.Dtype() != dt || (dt != tensor.Float32 && dt != tensor.Float64) {
			return nil, errors.Errorf("ops: CheckFunc: input %d has dtype %v; want every input float32, or every one float64", i, t.Dtype())
		}
	}
	for _, k := range wrt {
		if k < 0 || k >= len(inputs) {
			return nil, errors.Errorf("ops: CheckFunc: wrt index %d, want one of the %d inputs", k, len(inputs))
		}
	}
	return CheckGrad(func() (*gorgonia.Node, []*gorgonia.Node, error) {
		g := gorgonia.NewGraph()
		nodes := make([]*gorgonia.Node, len(inputs))
		for i, t := range inputs {
			v := t.Clone().(*tensor.Dense)
			if t.IsScalar() {
				var sv gorgonia.Value
				if dt == tensor.Float64 {
					sv = gorgonia.NewF64(v.Data().(float64))
				} else {
					sv = gorgonia.NewF32(v.Data().(float32))
				}
				nodes[i] = gorgonia.NewScalar(g, dt, gorgonia.WithName(fmt.Sprint("in", i)), gorgonia.WithValue(sv))
				continue
			}
			nodes[i] = gorgonia.NewTensor(g, dt, t.Dims(), gorgonia.WithShape(t.Shape()...), gorgonia.WithName(fmt.Sprint("in", i)), gorgonia.WithValue(v))
		}
		out, err := f(nodes...)
		if err != nil {
			return nil, nil, err
		}
		sel := make([]*gorgonia.Node, len(wrt))
		for i, k := range wrt {
			sel[i] = nodes[k]
		}
		return out, sel, nil
	}, cfg)
}
