package bench

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/pkg/errors"
)

// TorchConfig is one configuration of the PyTorch peer: how many threads torch uses
// for its own operators, and how many OpenBLAS uses inside a BLAS call (a matrix
// product). Which is fastest depends on the workload and the machine: GEMM-bound work
// on two cores is often fastest with one torch thread and OpenBLAS on two (OpenBLAS's
// threads run only inside the product, so they do not compete with torch's), small
// steps with everything on one thread. So the harness measures every configuration
// and compares against the best one, round by round (see BestPyTorch).
type TorchConfig struct {
	Threads     int // torch.set_num_threads and OMP_NUM_THREADS
	BLASThreads int // OPENBLAS_NUM_THREADS (and MKL_NUM_THREADS)
}

// System returns the configuration's system name: "pytorch-<t>t" with OpenBLAS on
// one thread (the name results had before OpenBLAS's thread count was a setting, so
// that older baselines still match), "pytorch-<t>t-ob<b>" with OpenBLAS on b threads.
func (tc TorchConfig) System() string {
	if tc.BLASThreads == 1 {
		return fmt.Sprintf("%s-%dt", PyTorch, tc.Threads)
	}
	return fmt.Sprintf("%s-%dt-ob%d", PyTorch, tc.Threads, tc.BLASThreads)
}

// ParseTorchSystem reads a name written by TorchConfig.System back.
func ParseTorchSystem(name string) (TorchConfig, error) {
	var tc TorchConfig
	rest, ok := strings.CutPrefix(name, PyTorch+"-")
	if ok {
		t, ob, hasOB := strings.Cut(rest, "-ob")
		tc.BLASThreads = 1
		_, err := fmt.Sscanf(t, "%dt", &tc.Threads)
		ok = err == nil && fmt.Sprintf("%dt", tc.Threads) == t
		if ok && hasOB {
			_, err = fmt.Sscanf(ob, "%d", &tc.BLASThreads)
			ok = err == nil && fmt.Sprint(tc.BLASThreads) == ob && tc.BLASThreads > 1
		}
	}
	if !ok || tc.Threads < 1 {
		return TorchConfig{}, errors.Errorf("bench: bad PyTorch system %q, want pytorch-<n>t or pytorch-<n>t-ob<m> (m > 1)", name)
	}
	return tc, nil
}

// TorchConfigs returns every pair of a torch thread count and an OpenBLAS thread
// count, torch threads first: (1, 1), (1, 2), (2, 1), (2, 2) for {1, 2} and {1, 2}.
func TorchConfigs(torchThreads, blasThreads []int) []TorchConfig {
	var cs []TorchConfig
	for _, t := range torchThreads {
		for _, b := range blasThreads {
			cs = append(cs, TorchConfig{Threads: t, BLASThreads: b})
		}
	}
	return cs
}

// BestPyTorch is the system name under which ratios compare with the best PyTorch
// configuration: in each round, the configuration with the lowest median step time
// in that round.
const BestPyTorch = PyTorch + "-best"

// roundMedians returns a system's median step time by round (NaN where a round has
// no steps), or nil if the system did not run.
func (w *WorkloadResult) roundMedians(name string) []float64 {
	s := w.System(name)
	if s == nil {
		return nil
	}
	m := make([]float64, len(s.Rounds))
	for i, r := range s.Rounds {
		m[i] = math.NaN()
		if r.Step.N > 0 {
			m[i] = r.Step.Median
		}
	}
	return m
}

// bestByRound returns, for each round, the PyTorch configuration with the lowest
// median step time ("" in a round where none ran) and that median (NaN there).
func bestByRound(w *WorkloadResult) (names []string, medians []float64) {
	for _, s := range w.Systems {
		if !isPyTorch(s.System) || s.System == BestPyTorch {
			continue
		}
		for i, m := range w.roundMedians(s.System) {
			for len(names) <= i {
				names, medians = append(names, ""), append(medians, math.NaN())
			}
			if m > 0 && !(m >= medians[i]) { // m < medians[i], or medians[i] is NaN
				names[i], medians[i] = s.System, m
			}
		}
	}
	return names, medians
}

// overallBest returns the configuration that won the most rounds; a tie goes to the
// lower median step time over all rounds.
func overallBest(w *WorkloadResult, winners []string) string {
	best, bestWins := "", 0
	for _, s := range w.Systems {
		wins := 0
		for _, n := range winners {
			if n == s.System {
				wins++
			}
		}
		if wins == 0 {
			continue
		}
		if wins > bestWins || (wins == bestWins && s.Step.Median < w.System(best).Step.Median) {
			best, bestWins = s.System, wins
		}
	}
	return best
}

// computeRatios fills the PyTorch winners and the ratios of a workload's result:
// every system against the best PyTorch configuration of each round (BestPyTorch),
// the Go systems against each PyTorch configuration, and gradflow against gorgonia.
func computeRatios(wr *WorkloadResult) {
	winners, best := bestByRound(wr)
	wr.BestPyTorch, wr.BestPyTorchRounds = "", nil
	if slices.ContainsFunc(winners, func(s string) bool { return s != "" }) {
		wr.BestPyTorchRounds = winners
		wr.BestPyTorch = overallBest(wr, winners)
		for _, s := range wr.Systems {
			if r, ok := PairedRatio(s.System, BestPyTorch, wr.roundMedians(s.System), best); ok {
				wr.Ratios = append(wr.Ratios, r)
			}
		}
		for _, s := range wr.Systems {
			if isPyTorch(s.System) {
				continue
			}
			for _, p := range wr.Systems {
				if !isPyTorch(p.System) {
					continue
				}
				if r, ok := PairedRatio(s.System, p.System, wr.roundMedians(s.System), wr.roundMedians(p.System)); ok {
					wr.Ratios = append(wr.Ratios, r)
				}
			}
		}
	}
	if r, ok := PairedRatio(Gradflow, Gorgonia, wr.roundMedians(Gradflow), wr.roundMedians(Gorgonia)); ok {
		wr.Ratios = append(wr.Ratios, r)
	}
}
