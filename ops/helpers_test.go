package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// dtypes are the element types every op is tested in.
var dtypes = []tensor.Dtype{tensor.Float64, tensor.Float32}

// newInput adds an input node called name of the given shape bound to a new tensor
// holding vals (converted to dt). A nil shape makes a scalar.
func newInput(g *gorgonia.ExprGraph, dt tensor.Dtype, name string, shape []int, vals []float64) *gorgonia.Node {
	if len(shape) == 0 {
		return gorgonia.NewScalar(g, dt, gorgonia.WithName(name), gorgonia.WithValue(scalarOf(dt, vals[0])))
	}
	return gorgonia.NewTensor(g, dt, len(shape), gorgonia.WithShape(shape...), gorgonia.WithName(name),
		gorgonia.WithValue(newDense(dt, shape, vals)))
}

// newDense returns a tensor of dtype dt and the given shape holding vals.
func newDense(dt tensor.Dtype, shape []int, vals []float64) *tensor.Dense {
	if dt == tensor.Float32 {
		f := make([]float32, len(vals))
		for i, v := range vals {
			f[i] = float32(v)
		}
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(f))
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]float64(nil), vals...)))
}

// uniform returns n values from U(lo, hi) drawn from a generator seeded by seed.
func uniform(seed uint64, n int, lo, hi float64) []float64 {
	r := rand.New(rand.NewPCG(seed, 7))
	v := make([]float64, n)
	for i := range v {
		v[i] = lo + (hi-lo)*r.Float64()
	}
	return v
}

// classes returns n class indices in [0, c) drawn from a generator seeded by seed.
func classes(seed uint64, n, c int) []float64 {
	r := rand.New(rand.NewPCG(seed, 11))
	v := make([]float64, n)
	for i := range v {
		v[i] = float64(r.IntN(c))
	}
	return v
}

func size(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// runGraph builds a graph with build, runs it once on a TapeMachine and returns the
// values of the nodes build returned, as float64s.
func runGraph(build func(g *gorgonia.ExprGraph) ([]*gorgonia.Node, error)) (vals [][]float64, err error) {
	defer recoverInto(&err, "runGraph")
	g := gorgonia.NewGraph()
	nodes, err := build(g)
	if err != nil {
		return nil, err
	}
	read := make([]gorgonia.Value, len(nodes))
	for i, n := range nodes {
		gorgonia.Read(n, &read[i])
	}
	vm := gorgonia.NewTapeMachine(g)
	defer vm.Close()
	vm.Reset()
	if err := vm.RunAll(); err != nil {
		return nil, err
	}
	for _, v := range read {
		f, err := toFloat64s(v)
		if err != nil {
			return nil, err
		}
		vals = append(vals, f)
	}
	return vals, nil
}

// closeTo reports whether |got - want| <= atol + rtol*|want| for every element, and
// describes the first element that is not.
func closeTo(got, want []float64, rtol, atol float64) (bool, string) {
	if len(got) != len(want) {
		return false, fmt.Sprintf("got %d values, want %d", len(got), len(want))
	}
	for i := range want {
		if d := math.Abs(got[i] - want[i]); !(d <= atol+rtol*math.Abs(want[i])) {
			return false, fmt.Sprintf("element %d = %.17g, want %.17g (diff %.3g)", i, got[i], want[i], d)
		}
	}
	return true, ""
}

func checkGradT(t *testing.T, build func() (*gorgonia.Node, []*gorgonia.Node, error)) {
	t.Helper()
	rep, err := CheckGrad(build, CheckConfig{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(rep)
}
