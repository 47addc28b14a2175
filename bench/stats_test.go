package bench

import (
	"math"
	"slices"
	"testing"
)

func TestSummarize(t *testing.T) {
	for _, tc := range []struct {
		name string
		xs   []float64
		want Stats
	}{
		{"odd", []float64{5, 1, 3}, Stats{N: 3, Median: 3, Min: 1, Max: 5, Mean: 3}},
		{"even takes the mean of the middle two", []float64{4, 1, 2, 10}, Stats{N: 4, Median: 3, Min: 1, Max: 10, Mean: 4.25}},
		{"one", []float64{7}, Stats{N: 1, Median: 7, Min: 7, Max: 7, Mean: 7}},
		{"outlier moves the mean, not the median", []float64{1, 1, 1, 1, 100}, Stats{N: 5, Median: 1, Min: 1, Max: 100, Mean: 20.8}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := slices.Clone(tc.xs)
			if got := Summarize(tc.xs); got != tc.want {
				t.Errorf("Summarize(%v) = %+v, want %+v", in, got, tc.want)
			}
			if !slices.Equal(in, tc.xs) {
				t.Errorf("Summarize changed its input: %v, was %v", tc.xs, in)
			}
		})
	}
	if s := Summarize(nil); s.N != 0 || !math.IsNaN(s.Median) || !math.IsNaN(s.Min) {
		t.Errorf("Summarize(nil) = %+v, want N 0 and NaN fields", s)
	}
}

func TestPairedRatio(t *testing.T) {
	// Round medians of a system and of a peer: ratio per round = peer/system, the
	// throughput ratio; round 2 is skipped (the system has no median), round 4 too
	// (the peer's is 0).
	a := []float64{10, math.NaN(), 20, 5, 40}
	b := []float64{20, 30, 30, 0, 40}
	r, ok := PairedRatio("gradflow", "pytorch-1t", a, b)
	if !ok {
		t.Fatal("PairedRatio: ok = false, want true")
	}
	want := Ratio{System: "gradflow", Versus: "pytorch-1t", Rounds: 3, Median: 1.5, Min: 1, Max: 2}
	if r != want {
		t.Errorf("PairedRatio = %+v, want %+v", r, want)
	}
	// Uneven lengths: only the rounds both have count.
	if r, ok := PairedRatio("a", "b", []float64{1, 1, 1}, []float64{4}); !ok || r.Rounds != 1 || r.Median != 4 {
		t.Errorf("PairedRatio of uneven rounds = %+v, %v, want 1 round of 4", r, ok)
	}
	if _, ok := PairedRatio("a", "b", []float64{math.NaN()}, []float64{1}); ok {
		t.Error("PairedRatio with no common round: ok = true, want false")
	}
}
