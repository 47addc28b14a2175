package bench

import (
	"math"
	"slices"
)

// Stats summarises a sample of step times in nanoseconds.
type Stats struct {
	N      int     `json:"n"`
	Median float64 `json:"median_ns"`
	Min    float64 `json:"min_ns"`
	Max    float64 `json:"max_ns"`
	Mean   float64 `json:"mean_ns"`
}

// Summarize returns the statistics of xs (NaN fields for an empty sample). The median
// of an even count is the mean of the two middle values. xs is not changed.
func Summarize(xs []float64) Stats {
	if len(xs) == 0 {
		nan := math.NaN()
		return Stats{Median: nan, Min: nan, Max: nan, Mean: nan}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	var sum float64
	for _, x := range s {
		sum += x
	}
	return Stats{N: len(s), Median: median(s), Min: s[0], Max: s[len(s)-1], Mean: sum / float64(len(s))}
}

// median returns the median of sorted xs.
func median(sorted []float64) float64 {
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// Ratio compares the speed of one system with another's on one workload, round by
// round: in each round both ran a block of steps close together in time, and the
// round's ratio is the other system's median step time over this one's (so > 1 means
// this system is faster, as a throughput ratio). Median, Min and Max are over the
// rounds in which both ran.
type Ratio struct {
	System string  `json:"system"`
	Versus string  `json:"versus"`
	Rounds int     `json:"rounds"`
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
}

// PairedRatio computes the Ratio of system (step medians a, by round) versus
// another (b, by round). A round where either median is missing (NaN or <= 0) is
// skipped; ok is false if no round is left.
func PairedRatio(system, versus string, a, b []float64) (r Ratio, ok bool) {
	var rs []float64
	for i := 0; i < len(a) && i < len(b); i++ {
		if !(a[i] > 0) || !(b[i] > 0) {
			continue
		}
		rs = append(rs, b[i]/a[i])
	}
	if len(rs) == 0 {
		return Ratio{System: system, Versus: versus}, false
	}
	s := Summarize(rs)
	return Ratio{System: system, Versus: versus, Rounds: s.N, Median: s.Median, Min: s.Min, Max: s.Max}, true
}
