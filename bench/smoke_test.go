package bench

import (
	"context"
	"testing"
)

// TestXORSmoke runs the real xor workload for a few steps in-process on both Go
// systems and checks that the result is complete and the networks learned.
func TestXORSmoke(t *testing.T) {
	w := Lookup("xor")
	res, err := Run(context.Background(), Config{Workloads: []*Workload{w}, Systems: []string{Gradflow, Gorgonia},
		Rounds: 2, Warmup: 300, Steps: 50})
	if err != nil {
		t.Fatal(err)
	}
	wr := res.Workload("xor")
	if wr == nil || len(wr.Systems) != 2 {
		t.Fatalf("xor result = %+v, want two systems", wr)
	}
	for _, s := range wr.Systems {
		if s.Error != "" {
			t.Errorf("%s failed: %s", s.System, s.Error)
			continue
		}
		if s.Step.N != 100 || s.Step.Median <= 0 || s.SamplesPerSec <= 0 || s.AllocsPerStep == nil {
			t.Errorf("%s: %+v, want 100 timed steps with times, throughput and allocations", s.System, s)
		}
		// 300 + 50 + 75 + 50 Adam steps at lr 0.05 solve XOR from this seed.
		if s.TrainedSteps != 475 || s.Quality["accuracy"] != 1 || !(s.Quality["loss"] < 0.2) {
			t.Errorf("%s: %d steps, quality %v: want 475 steps, accuracy 1 and loss < 0.2", s.System, s.TrainedSteps, s.Quality)
		}
	}
	if wr.Ratio(Gradflow, Gorgonia) == nil {
		t.Error("no gradflow vs gorgonia ratio")
	}
}

// TestGEMMWorkloadsCheck runs the smallest GEMM on both BLAS paths once and checks
// the numeric error the quality check reports.
func TestGEMMWorkloadsCheck(t *testing.T) {
	for _, name := range []string{"gemm-f32-256", "gemm-f64-256"} {
		w := Lookup(name)
		for _, sys := range []string{Gradflow, Gorgonia} {
			inst, err := w.setupFor(sys)(&Env{Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			b, err := Measure(inst, Request{Steps: 1, Check: true})
			if err != nil {
				t.Fatal(err)
			}
			// Rounding of a 256-term dot product relative to |a||b|: ~1e-7 in float32
			// (inputs rounded too), ~1e-16 in float64; a wrong result gives ~1.
			limit := 1e-5
			if name == "gemm-f64-256" {
				limit = 1e-13
			}
			if e := b.Quality["max_rel_err"]; !(e < limit) {
				t.Errorf("%s/%s: max_rel_err %g, want < %g", name, sys, e, limit)
			}
		}
	}
}
