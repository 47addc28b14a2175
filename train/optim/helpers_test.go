package optim_test

import (
	"math"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/train/optim"
)

// Helpers shared by the optimizer tests: params with given values and gradients, and
// the configurations that every cross-optimizer test runs.

// newOptimParam returns a trainable weight named name holding vals.
func newOptimParam(t testing.TB, s *graph.Scope, name string, shape []int, vals []float64) *graph.Param {
	t.Helper()
	p, err := s.Param(name, graph.Weight, shape, graph.Zeros{})
	if err != nil {
		t.Fatal(err)
	}
	if vals != nil {
		if err := p.SetValues(vals); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// setOptimGrad copies g into p's gradient, converting to p's dtype.
func setOptimGrad(t testing.TB, p *graph.Param, g []float64) {
	t.Helper()
	switch d := p.Grad().Data().(type) {
	case []float64:
		copy(d, g)
	case []float32:
		for i, v := range g {
			d[i] = float32(v)
		}
	default:
		t.Fatalf("param %s: gradient data is %T", p.Name(), d)
	}
}

// optimValues returns p's values as float64s.
func optimValues(p *graph.Param) []float64 {
	if v := p.Float64s(); v != nil {
		return append([]float64(nil), v...)
	}
	v32 := p.Float32s()
	v := make([]float64, len(v32))
	for i, x := range v32 {
		v[i] = float64(x)
	}
	return v
}

// optimConfigs are the configurations that the order, allocation and frozen-param
// tests run.
var optimConfigs = []struct {
	name string
	cfg  optim.Config
}{
	{"SGD", optim.SGD{LR: 0.1}},
	{"SGD/weight-decay", optim.SGD{LR: 0.1, WeightDecay: 0.01}},
	{"SGD/momentum", optim.SGD{LR: 0.1, Momentum: 0.9, Dampening: 0.1, WeightDecay: 0.01}},
	{"SGD/nesterov", optim.SGD{LR: 0.1, Momentum: 0.9, Nesterov: true}},
	{"Adam", optim.Adam{LR: 0.01}},
	{"Adam/weight-decay", optim.Adam{LR: 0.01, WeightDecay: 0.1}},
	{"Adam/amsgrad", optim.Adam{LR: 0.01, AMSGrad: true}},
	{"AdamW", optim.AdamW{LR: 0.01, WeightDecay: 0.01}},
	{"AdamW/amsgrad", optim.AdamW{LR: 0.01, WeightDecay: 0.01, AMSGrad: true}},
	{"RMSProp", optim.RMSProp{LR: 0.01}},
	{"RMSProp/centered-momentum", optim.RMSProp{LR: 0.01, Momentum: 0.9, Centered: true, WeightDecay: 0.01}},
	{"Adagrad", optim.Adagrad{LR: 0.1, LRDecay: 0.01, WeightDecay: 0.01, InitialAccumulator: 0.1}},
}

// optimGrad is a deterministic gradient for step k and element i.
func optimGrad(k, i int, salt float64) float64 {
	return math.Sin(0.7*float64(k)+1.3*float64(i)+salt) + 0.1*float64(i%3)
}
