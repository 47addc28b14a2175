package bench

import (
	"context"
	"os/exec"
	"testing"
)

// smoke runs w in-process on systems for 2 rounds and checks that every system
// completed its steps and reported an accuracy; it returns the result.
func smoke(t *testing.T, w *Workload, systems []string, warmup, steps int) *WorkloadResult {
	t.Helper()
	res, err := Run(context.Background(), Config{Workloads: []*Workload{w}, Systems: systems,
		Rounds: 2, Warmup: warmup, Steps: steps})
	if err != nil {
		t.Fatal(err)
	}
	wr := res.Workload(w.Name)
	if wr == nil || len(wr.Systems) != len(systems) {
		t.Fatalf("%s result = %+v, want %d systems", w.Name, wr, len(systems))
	}
	// Round 1: warmup + steps; round 2: laterWarmup(warmup) + steps.
	want := warmup + laterWarmup(warmup) + 2*steps
	for _, s := range wr.Systems {
		if s.Error != "" {
			t.Errorf("%s/%s failed: %s", w.Name, s.System, s.Error)
			continue
		}
		acc, ok := s.Quality["accuracy"]
		if s.TrainedSteps != want || s.Step.N != 2*steps || !ok || acc < 0 || acc > 1 {
			t.Errorf("%s/%s: %d steps (%d timed), quality %v: want %d (%d timed) and an accuracy",
				w.Name, s.System, s.TrainedSteps, s.Step.N, s.Quality, want, 2*steps)
		}
	}
	return wr
}

// The sequence workloads at small sizes: every part of the real ones (synthetic data,
// model, batches, Adam, the check) on tiny shapes, and the marker task learned.
func TestSeqWorkloadsSmoke(t *testing.T) {
	lstm := &Workload{Name: "lstm-tiny", Setup: lstmGradflow(lstmShape{
		Vocab: 30, Embed: 8, Hidden: 16, Seq: 6, Batch: 16, Train: 512, Test: 256})}
	tf := &Workload{Name: "transformer-tiny", Setup: tfGradflow(tfShape{
		Embed: 8, Heads: 2, FF: 16, Seq: 4, Batch: 8, Train: 64, Test: 32, Signal: 0.02})}
	wr := smoke(t, lstm, []string{Gradflow}, 400, 50)
	// 400 + 100 + 100 Adam steps. Chance is 50%; on this seed the test accuracy was
	// 70% after 300 steps, 95% after 400 and 100% from 500 on (PyTorch's model, with
	// its own initial values, reached 100% after 300).
	if acc := wr.Systems[0].Quality["accuracy"]; !(acc > 0.9) {
		t.Errorf("lstm-tiny: test accuracy %g after 600 steps, want > 0.9", acc)
	}
	smoke(t, tf, []string{Gradflow}, 2, 2)
}

// TestReferenceWorkloads runs one step of the sequence workloads' PyTorch references
// at their real size, when torch is installed: make() builds them and the check
// answers. (The cnn reference is left to gradbench: reading MNIST and checking 10,000
// images takes Python about 10 s here.)
func TestReferenceWorkloads(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PyTorch")
	}
	py := PeerConfig{}.python()
	if err := exec.Command(py, "-c", "import torch, numpy").Run(); err != nil {
		t.Skipf("%s cannot import torch and numpy: %v", py, err)
	}
	for _, name := range []string{"lstm", "transformer"} {
		w := Lookup(name)
		res, err := Run(context.Background(), Config{Workloads: []*Workload{w}, Systems: []string{PyTorch},
			TorchThreads: []int{1}, BLASThreads: []int{1}, Rounds: 1, Warmup: 1, Steps: 1})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(res.Notes) > 0 {
			t.Logf("%s: %v", name, res.Notes)
		}
		for _, s := range res.Workload(name).Systems {
			if acc, ok := s.Quality["accuracy"]; s.Error != "" || !ok || acc < 0 || acc > 1 {
				t.Errorf("%s/%s: error %q, quality %v", name, s.System, s.Error, s.Quality)
			}
		}
	}
}
