package train_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/train"
)

// TestNoWeightDecay checks per-parameter options: with a zero gradient AdamW only
// decays, so the weight shrinks by 1 - lr*decay per step and the bias, excluded by
// kind, and the norm scale, excluded by name, do not move.
func TestNoWeightDecay(t *testing.T) {
	s := graph.NewScope(graph.Float64)
	w, _ := s.Sub("fc").Param("weight", graph.Weight, []int{2}, graph.Constant{Value: 2})
	b, _ := s.Sub("fc").Param("bias", graph.Bias, []int{2}, graph.Constant{Value: 2})
	g, _ := s.Sub("norm1").Param("scale", graph.Weight, []int{2}, graph.Constant{Value: 2})
	cfg := train.NoWeightDecay(train.AdamW{LR: 0.1, WeightDecay: 0.5}, train.ByKind(graph.Bias), train.ByName("norm*/*"))
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
	gs, err := train.Groups{Default: train.SGD{LR: 0.1}, Groups: []train.Group{{Match: train.ByName("bias"), Config: train.SGD{LR: 0.2}}}}.NewOptimizer()
	if err != nil {
		t.Fatal(err)
	}
	gs.SetLR(0.05)
	if !strings.Contains(gs.String(), "default=SGD(lr=0.05") || !strings.Contains(gs.String(), "group0=SGD(lr=0.1,") {
		t.Errorf("after SetLR(0.05): %v", gs)
	}
	if _, err := train.NoWeightDecay(train.Groups{Default: train.SGD{LR: 1}}).NewOptimizer(); err == nil {
		t.Error("NoWeightDecay of a Groups: no error")
	}
}

// TestOptimizerStateRoundTrip checks that State and SetState carry everything: a
// second optimizer given the first one's state continues bit for bit alike.
func TestOptimizerStateRoundTrip(t *testing.T) {
	configs := append(optimConfigs, struct {
		name string
		cfg  train.OptimizerConfig
	}{"Groups", train.NoWeightDecay(train.Adam{LR: 0.01, WeightDecay: 0.1}, train.ByName("b"))})
	for _, oc := range configs {
		t.Run(oc.name, func(t *testing.T) {
			build := func() ([]*graph.Param, train.StatefulOptimizer) {
				s := graph.NewScope(graph.Float32, graph.Seed(1))
				ps := []*graph.Param{newOptimParam(t, s, "a", []int{3}, []float64{1, 2, 3}), newOptimParam(t, s, "b", []int{2, 2}, nil)}
				opt, err := oc.cfg.NewOptimizer()
				if err != nil {
					t.Fatal(err)
				}
				return ps, opt.(train.StatefulOptimizer)
			}
			step := func(ps []*graph.Param, opt train.Optimizer, k int) {
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
	adam, _ := train.Adam{}.NewOptimizer()
	sgd, _ := train.SGD{LR: 0.1, Momentum: 0.9}.NewOptimizer()
	if err := sgd.(train.StatefulOptimizer).SetState(map[string]train.ParamState{"a": {Steps: 1}}); err == nil ||
		!strings.Contains(err.Error(), `lacks buffer "momentum_buffer"`) {
		t.Errorf("SetState without buffers: %v", err)
	}
	s := graph.NewScope(graph.Float64)
	p := newOptimParam(t, s, "a", []int{2}, nil)
	setOptimGrad(t, p, []float64{1, 1})
	_ = adam.Step([]*graph.Param{p})
	if err := sgd.(train.StatefulOptimizer).SetState(adam.(train.StatefulOptimizer).State()); err == nil ||
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
	opt, err := train.NoWeightDecay(train.AdamW{WeightDecay: 0.1}, train.ByKind(graph.Bias)).NewOptimizer()
	if err != nil {
		t.Fatal(err)
	}
	_ = opt.Step(params)
	if allocs := testing.AllocsPerRun(100, func() { _ = opt.Step(params) }); allocs != 0 {
		t.Errorf("Groups Step allocates %v times per call, want 0", allocs)
	}
}

// TestClipping checks clipping by value and by global norm (PyTorch's formulas).
func TestClipping(t *testing.T) {
	s := graph.NewScope(graph.Float64)
	a := newOptimParam(t, s, "a", []int{2}, nil)
	b := newOptimParam(t, s, "b", []int{1}, nil)
	setOptimGrad(t, a, []float64{3, -0.5})
	setOptimGrad(t, b, []float64{-4})
	if err := train.ClipGradValue([]*graph.Param{a, b}, 1); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(a.GradFloat64s(), b.GradFloat64s()) != "[1 -0.5] [-1]" {
		t.Errorf("clip by value: %v %v", a.GradFloat64s(), b.GradFloat64s())
	}
	setOptimGrad(t, a, []float64{3, 0})
	setOptimGrad(t, b, []float64{4})
	norm, err := train.ClipGradNorm([]*graph.Param{a, b}, 1)
	if err != nil || norm != 5 {
		t.Fatalf("ClipGradNorm = %v, %v; want 5", norm, err)
	}
	if c := 1 / (5 + 1e-6); a.GradFloat64s()[0] != 3*c || b.GradFloat64s()[0] != 4*c {
		t.Errorf("clip by norm: %v %v", a.GradFloat64s(), b.GradFloat64s())
	}
	if got := train.GradNorm([]*graph.Param{a, b}); math.Abs(got-1) > 1e-6 {
		t.Errorf("norm after clipping %v, want 1", got)
	}
	if _, err := train.ClipGradNorm([]*graph.Param{a}, 0); err == nil {
		t.Error("maxNorm 0: no error")
	}
}

// TestAccumulation checks that accumulating the gradients of two batches of 8 gives
// the step of one batch of 16 (the mean loss makes the weighted mean of the batch
// gradients equal to the large batch's), to rounding.
func TestAccumulation(t *testing.T) {
	run := func(batch, accumulate int) []float64 {
		model, tr := blobTrainer(t, graph.Float64, 2, train.Config{Optimizer: train.SGD{LR: 0.5, Momentum: 0.9},
			BatchSize: batch, Accumulate: accumulate, NoShuffle: true})
		if _, err := tr.Fit(context.Background(), blobs(t, 40, graph.Float64), nil); err != nil {
			t.Fatal(err)
		}
		if want := 2 * 3; tr.Step() != want { // 40 examples: 16 + 16 + 8 per epoch
			t.Errorf("batch %d x %d: %d steps, want %d", batch, accumulate, tr.Step(), want)
		}
		return paramValues(model.Params())
	}
	big, acc := run(16, 1), run(8, 2)
	for i := range big {
		if math.Abs(big[i]-acc[i]) > 1e-12 {
			t.Fatalf("value %d: %v with batch 16, %v with 2 x 8 accumulated", i, big[i], acc[i])
		}
	}
}

func TestByName(t *testing.T) {
	s := graph.NewScope(graph.Float32)
	p, _ := s.Sub("model").Sub("enc").Sub("norm1").Param("scale", graph.Weight, []int{1}, graph.Zeros{})
	for pat, want := range map[string]bool{
		"scale": true, "norm*/*": true, "*norm*/scale": true, "enc/*/scale": true, "model/enc/norm1/scale": true,
		"bias": false, "norm": false, "x/model/enc/norm1/scale": false, "[": false, "enc/*": false,
	} {
		if got := train.ByName(pat)(p); got != want {
			t.Errorf("ByName(%q)(%s) = %v, want %v", pat, p.Name(), got, want)
		}
	}
}
