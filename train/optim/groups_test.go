package optim_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/train/optim"
)

// TestNoWeightDecay checks per-parameter options: with a zero gradient AdamW only
// decays, so the weight shrinks by 1 - lr*decay per step and the bias, excluded by
// kind, and the norm scale, excluded by name, do not move.
func TestNoWeightDecay(t *testing.T) {
	s := graph.NewScope(graph.Float64)
	w, _ := s.Sub("fc").Param("weight", graph.Weight, []int{2}, graph.Constant{Value: 2})
	b, _ := s.Sub("fc").Param("bias", graph.Bias, []int{2}, graph.Constant{Value: 2})
	g, _ := s.Sub("norm1").Param("scale", graph.Weight, []int{2}, graph.Constant{Value: 2})
	cfg := optim.NoWeightDecay(optim.AdamW{LR: 0.1, WeightDecay: 0.5}, optim.ByKind(graph.Bias), optim.ByName("norm*/*"))
	opt, err := cfg.NewOptimizer()
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := opt.Step([]*graph.Param{w, b, g}); err != nil {
			t.Fatal(err)
		}
	}
	if want := 2 * math.Pow(1-0.1*0.5, 2); w.Float64s()[0] != want {
		t.Errorf("weight = %v, want %v", w.Float64s()[0], want)
	}
	if b.Float64s()[0] != 2 || g.Float64s()[0] != 2 {
		t.Errorf("bias %v, norm scale %v: want both 2 (no decay)", b.Float64s(), g.Float64s())
	}
	// SetLR keeps the groups' ratios.
	gs, err := optim.Groups{Default: optim.SGD{LR: 0.1}, Groups: []optim.Group{{Match: optim.ByName("bias"), Config: optim.SGD{LR: 0.2}}}}.NewOptimizer()
	if err != nil {
		t.Fatal(err)
	}
	gs.SetLR(0.05)
	if !strings.Contains(gs.String(), "default=SGD(lr=0.05") || !strings.Contains(gs.String(), "group0=SGD(lr=0.1,") {
		t.Errorf("after SetLR(0.05): %v", gs)
	}
	if _, err := optim.NoWeightDecay(optim.Groups{Default: optim.SGD{LR: 1}}).NewOptimizer(); err == nil {
		t.Error("NoWeightDecay of a Groups: no error")
	}
}

// TestOptimizerStateRoundTrip checks that State and SetState carry everything: a
// second optimizer given the first one's state continues bit for bit alike.
func TestOptimizerStateRoundTrip(t *testing.T) {
	configs := append(optimConfigs, struct {
		name string
		cfg  optim.Config
	}{"Groups", optim.NoWeightDecay(optim.Adam{LR: 0.01, WeightDecay: 0.1}, optim.ByName("b"))})
	for _, oc := range configs {
		t.Run(oc.name, func(t *testing.T) {
			build := func() ([]*graph.Param, optim.Stateful) {
				s := graph.NewScope(graph.Float32, graph.Seed(1))
				ps := []*graph.Param{newOptimParam(t, s, "a", []int{3}, []float64{1, 2, 3}), newOptimParam(t, s, "b", []int{2, 2}, nil)}
				opt, err := oc.cfg.NewOptimizer()
				if err != nil {
					t.Fatal(err)
				}
				return ps, opt.(optim.Stateful)
			}
			step := func(ps []*graph.Param, opt optim.Optimizer, k int) {
				for j, p := range ps {
					g := make([]float64, p.Size())
					for i := range g {
						g[i] = optimGrad(k, i, float64(j))
					}
					setOptimGrad(t, p, g)
				}
				if err := opt.Step(ps); err != nil {
					t.Fatal(err)
				}
			}
			pa, oa := build()
			for k := range 5 {
				step(pa, oa, k)
			}
			pb, ob := build()
			if err := ob.SetState(oa.State()); err != nil {
				t.Fatal(err)
			}
			for i := range pa {
				_ = pb[i].SetValues(pa[i].Float32s())
			}
			for k := 5; k < 10; k++ {
				step(pa, oa, k)
				step(pb, ob, k)
			}
			for i := range pa {
				if fmt.Sprint(pa[i].Float32s()) != fmt.Sprint(pb[i].Float32s()) {
					t.Errorf("%s: %v continuing, %v after SetState", pa[i].Name(), pa[i].Float32s(), pb[i].Float32s())
				}
			}
		})
	}
	// State with buffers the optimizer does not use is rejected.
	adam, _ := optim.Adam{}.NewOptimizer()
	sgd, _ := optim.SGD{LR: 0.1, Momentum: 0.9}.NewOptimizer()
	if err := sgd.(optim.Stateful).SetState(map[string]optim.ParamState{"a": {Steps: 1}}); err == nil ||
		!strings.Contains(err.Error(), `lacks buffer "momentum_buffer"`) {
		t.Errorf("SetState without buffers: %v", err)
	}
	s := graph.NewScope(graph.Float64)
	p := newOptimParam(t, s, "a", []int{2}, nil)
	setOptimGrad(t, p, []float64{1, 1})
	_ = adam.Step([]*graph.Param{p})
	if err := sgd.(optim.Stateful).SetState(adam.(optim.Stateful).State()); err == nil ||
		!strings.Contains(err.Error(), `has buffer "exp_avg", want only "momentum_buffer"`) {
		t.Errorf("SetState of Adam's state into SGD: %v", err)
	}
}

// TestGroupsStepAllocs checks that per-parameter groups add no allocation per step.
func TestGroupsStepAllocs(t *testing.T) {
	s := graph.NewScope(graph.Float32)
	w := newOptimParam(t, s, "w", []int{8, 4}, nil)
	b, _ := s.Param("b", graph.Bias, []int{4}, graph.Zeros{})
	setOptimGrad(t, w, make([]float64, 32))
	params := []*graph.Param{w, b}
	opt, err := optim.NoWeightDecay(optim.AdamW{WeightDecay: 0.1}, optim.ByKind(graph.Bias)).NewOptimizer()
	if err != nil {
		t.Fatal(err)
	}
	_ = opt.Step(params)
	if allocs := testing.AllocsPerRun(100, func() { _ = opt.Step(params) }); allocs != 0 {
		t.Errorf("Groups Step allocates %v times per call, want 0", allocs)
	}
}

func TestByName(t *testing.T) {
	s := graph.NewScope(graph.Float32)
	p, _ := s.Sub("model").Sub("enc").Sub("norm1").Param("scale", graph.Weight, []int{1}, graph.Zeros{})
	for pat, want := range map[string]bool{
		"scale": true, "norm*/*": true, "*norm*/scale": true, "enc/*/scale": true, "model/enc/norm1/scale": true,
		"bias": false, "norm": false, "x/model/enc/norm1/scale": false, "[": false, "enc/*": false,
	} {
		if got := optim.ByName(pat)(p); got != want {
			t.Errorf("ByName(%q)(%s) = %v, want %v", pat, p.Name(), got, want)
		}
	}
}
