package bench

import (
	"math"
	"slices"
	"testing"
)

func TestTorchSystemNames(t *testing.T) {
	for _, tc := range []struct {
		cfg  TorchConfig
		name string
	}{
		{TorchConfig{1, 1}, "pytorch-1t"}, // the name of results from before OpenBLAS threads were a setting
		{TorchConfig{2, 1}, "pytorch-2t"},
		{TorchConfig{1, 2}, "pytorch-1t-ob2"},
		{TorchConfig{12, 16}, "pytorch-12t-ob16"},
	} {
		if got := tc.cfg.System(); got != tc.name {
			t.Errorf("%+v.System() = %q, want %q", tc.cfg, got, tc.name)
		}
		if got, err := ParseTorchSystem(tc.name); err != nil || got != tc.cfg {
			t.Errorf("ParseTorchSystem(%q) = %+v, %v, want %+v", tc.name, got, err, tc.cfg)
		}
	}
	for _, bad := range []string{"pytorch", "pytorch-", "pytorch-0t", "pytorch-t", "pytorch-1", "pytorch-1tx",
		"pytorch-1t-ob", "pytorch-1t-ob1", "pytorch-1t-ob0", "pytorch-1t-ob2x", "torch-1t", BestPyTorch, Gradflow} {
		if got, err := ParseTorchSystem(bad); err == nil {
			t.Errorf("ParseTorchSystem(%q) = %+v, want an error", bad, got)
		}
	}
}

func TestTorchConfigs(t *testing.T) {
	got := TorchConfigs([]int{1, 2}, []int{1, 2})
	want := []TorchConfig{{1, 1}, {1, 2}, {2, 1}, {2, 2}}
	if !slices.Equal(got, want) {
		t.Errorf("TorchConfigs = %v, want %v", got, want)
	}
	if got := TorchConfigs([]int{1}, nil); len(got) != 0 {
		t.Errorf("TorchConfigs with no OpenBLAS thread counts = %v, want none", got)
	}
}

// roundsSystem is a system whose overall median is overall and whose rounds have
// the given medians (NaN: a round without steps).
func roundsSystem(name string, overall float64, rounds ...float64) SystemResult {
	s := SystemResult{System: name, Step: Stats{N: 10 * len(rounds), Median: overall}}
	for _, m := range rounds {
		n := 10
		if math.IsNaN(m) {
			n, m = 0, 0
		}
		s.Rounds = append(s.Rounds, RoundResult{Step: Stats{N: n, Median: m}})
	}
	return s
}

func TestComputeRatiosBestByRound(t *testing.T) {
	wr := WorkloadResult{Systems: []SystemResult{
		roundsSystem(Gradflow, 15, 10, 20, 8),
		roundsSystem(Gorgonia, 20, 20, 20, 20),
		roundsSystem("pytorch-1t", 6, 5, 7, 6),
		roundsSystem("pytorch-1t-ob2", 4.5, 4, 6, 4.5), // wins rounds 1 and 3
		roundsSystem("pytorch-2t", 5, 4.5, 5, 5),       // wins round 2
	}}
	computeRatios(&wr)
	if want := []string{"pytorch-1t-ob2", "pytorch-2t", "pytorch-1t-ob2"}; !slices.Equal(wr.BestPyTorchRounds, want) {
		t.Errorf("BestPyTorchRounds = %v, want %v", wr.BestPyTorchRounds, want)
	}
	if wr.BestPyTorch != "pytorch-1t-ob2" {
		t.Errorf("BestPyTorch = %q, want pytorch-1t-ob2 (2 rounds of 3)", wr.BestPyTorch)
	}
	for _, tc := range []struct {
		sys, vs       string
		med, min, max float64
	}{
		// The best of each round: 4, 5, 4.5.
		{Gradflow, BestPyTorch, 0.4, 0.25, 4.5 / 8},     // 4/10, 5/20, 4.5/8
		{Gorgonia, BestPyTorch, 0.225, 0.2, 0.25},       // 4/20, 5/20, 4.5/20
		{"pytorch-1t", BestPyTorch, 0.75, 5.0 / 7, 0.8}, // 4/5, 5/7, 4.5/6
		{"pytorch-1t-ob2", BestPyTorch, 1, 5.0 / 6, 1},
		{"pytorch-2t", BestPyTorch, 0.9, 4 / 4.5, 1},
		// Against each configuration, kept for the JSON.
		{Gradflow, "pytorch-1t", 0.5, 0.35, 0.75}, // 5/10, 7/20, 6/8
		{Gradflow, "pytorch-1t-ob2", 0.4, 0.3, 4.5 / 8},
		{Gorgonia, "pytorch-2t", 0.25, 0.225, 0.25},
		{Gradflow, Gorgonia, 2, 1, 2.5},
	} {
		r := wr.Ratio(tc.sys, tc.vs)
		if r == nil || r.Rounds != 3 || !approxEq(r.Median, tc.med) || !approxEq(r.Min, tc.min) || !approxEq(r.Max, tc.max) {
			t.Errorf("ratio %s vs %s = %+v, want median %g min %g max %g", tc.sys, tc.vs, r, tc.med, tc.min, tc.max)
		}
	}
	if r := wr.Ratio("pytorch-1t", "pytorch-2t"); r != nil {
		t.Errorf("a PyTorch configuration has a ratio against another: %+v", r)
	}
}

func TestComputeRatiosRoundsWithoutPeer(t *testing.T) {
	// Round 2: no PyTorch configuration ran; round 3: only pytorch-2t did.
	wr := WorkloadResult{Systems: []SystemResult{
		roundsSystem(Gradflow, 10, 10, 10, 10),
		roundsSystem("pytorch-1t", 5, 5, math.NaN(), math.NaN()),
		roundsSystem("pytorch-2t", 6, 6, math.NaN(), 20),
	}}
	computeRatios(&wr)
	if want := []string{"pytorch-1t", "", "pytorch-2t"}; !slices.Equal(wr.BestPyTorchRounds, want) {
		t.Errorf("BestPyTorchRounds = %q, want %q", wr.BestPyTorchRounds, want)
	}
	// One round each: the tie goes to the lower overall median.
	if wr.BestPyTorch != "pytorch-1t" {
		t.Errorf("BestPyTorch = %q, want pytorch-1t", wr.BestPyTorch)
	}
	if r := wr.Ratio(Gradflow, BestPyTorch); r == nil || r.Rounds != 2 || r.Min != 0.5 || r.Max != 2 {
		t.Errorf("gradflow vs %s = %+v, want 2 rounds, 0.5 to 2", BestPyTorch, r)
	}

	none := WorkloadResult{Systems: []SystemResult{roundsSystem(Gradflow, 10, 10), roundsSystem(Gorgonia, 20, 20)}}
	computeRatios(&none)
	if none.BestPyTorch != "" || none.BestPyTorchRounds != nil || none.Ratio(Gradflow, BestPyTorch) != nil {
		t.Errorf("without PyTorch: best %q, rounds %v, ratios %+v", none.BestPyTorch, none.BestPyTorchRounds, none.Ratios)
	}
	if none.Ratio(Gradflow, Gorgonia) == nil {
		t.Error("without PyTorch: no gradflow vs gorgonia ratio")
	}
}

// TestGEMMComparesWithTwoBLASThreads: a GEMM round where OpenBLAS on two threads is
// fastest is compared with it, whatever torch's own thread count.
func TestGEMMComparesWithTwoBLASThreads(t *testing.T) {
	wr := WorkloadResult{Name: "gemm-f32-2048", FLOPs: 2 * 2048 * 2048 * 2048, Systems: []SystemResult{
		roundsSystem(Gradflow, 100, 100, 110),
		roundsSystem("pytorch-1t", 180, 180, 181),
		roundsSystem("pytorch-1t-ob2", 95, 95, 99),
		roundsSystem("pytorch-2t", 182, 182, 183),
		roundsSystem("pytorch-2t-ob2", 97, 97, 96),
	}}
	computeRatios(&wr)
	if want := []string{"pytorch-1t-ob2", "pytorch-2t-ob2"}; !slices.Equal(wr.BestPyTorchRounds, want) {
		t.Errorf("BestPyTorchRounds = %v, want %v", wr.BestPyTorchRounds, want)
	}
	if r := wr.Ratio(Gradflow, BestPyTorch); r == nil || !approxEq(r.Min, 96.0/110) || !approxEq(r.Max, 0.95) {
		t.Errorf("gradflow vs %s = %+v, want 0.95 and 96/110", BestPyTorch, r)
	}
}
