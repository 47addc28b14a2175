package ops

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The tensor and node helpers of the tests that moved here from nn with their ops.

// randTensor returns a seeded N(0,1) tensor (values in float64, rounded to dt).
func randTensor(dt tensor.Dtype, seed uint64, shape ...int) *tensor.Dense {
	r := rand.New(rand.NewPCG(seed, 42))
	v := make([]float64, size(shape))
	for i := range v {
		v[i] = r.NormFloat64()
	}
	return fromF64(dt, v, shape...)
}

// fromF64 returns a tensor of dt holding v (rounded to float32 for Float32).
func fromF64(dt tensor.Dtype, v []float64, shape ...int) *tensor.Dense {
	if dt == tensor.Float32 {
		f := make([]float32, len(v))
		for i, x := range v {
			f[i] = float32(x)
		}
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(f))
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]float64(nil), v...)))
}

// valueNode returns a node of g named name holding v.
func valueNode(g *gorgonia.ExprGraph, name string, v *tensor.Dense) *gorgonia.Node {
	return gorgonia.NewTensor(g, v.Dtype(), v.Dims(), gorgonia.WithShape(v.Shape()...),
		gorgonia.WithName(name), gorgonia.WithValue(v))
}

// checkGradInputs checks fwd's gradient numerically with respect to each of its
// inputs, nodes holding inputs.
func checkGradInputs(t *testing.T, fwd func(in []*gorgonia.Node) (*gorgonia.Node, error), inputs ...*tensor.Dense) {
	t.Helper()
	build := func() (*gorgonia.Node, []*gorgonia.Node, error) {
		g := gorgonia.NewGraph()
		var wrt []*gorgonia.Node
		for i, x := range inputs {
			wrt = append(wrt, valueNode(g, fmt.Sprintf("in%d", i), x))
		}
		out, err := fwd(wrt)
		return out, wrt, err
	}
	if _, err := CheckGrad(build, CheckConfig{Seed: 3}); err != nil {
		t.Fatal(err)
	}
}
