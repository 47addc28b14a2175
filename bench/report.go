package bench

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	"github.com/pkg/errors"
)

// WriteTable writes r as a table for people: per workload, one row per system with
// its step times, throughput, memory, quality and speed ratio to the best PyTorch
// configuration (> 1 means faster than PyTorch).
func (r *Result) WriteTable(w io.Writer) error {
	ew := &errWriter{w: w}
	m := r.Machine
	simd := ""
	if m.SIMD != "" {
		simd = ", gradflow SIMD path " + m.SIMD
	}
	ew.printf("gradbench %s  %s, %d cores (GOMAXPROCS %d), %s %s/%s, gorgonia BLAS %s%s\n",
		r.Date.Format("2006-01-02 15:04 MST"), m.CPU, m.Cores, m.GOMAXPROCS, m.GoVersion, m.OS, m.Arch, m.BLAS, simd)
	ew.printf("%d rounds, interleaved; load average %.2f at the start, %.2f at the end\n",
		r.Rounds, m.LoadStart[0], m.LoadEnd[0])
	ew.printf("vs best pytorch: throughput ratio to the fastest PyTorch configuration of each round (pytorch-<torch threads>t, -ob<n>: OpenBLAS on n threads), median (min-max) of the per-round ratios; > 1 is faster\n")
	for _, n := range r.Notes {
		ew.printf("note: %s\n", n)
	}
	for i := range r.Workloads {
		writeWorkloadTable(ew, &r.Workloads[i])
	}
	return ew.err
}

func writeWorkloadTable(ew *errWriter, wr *WorkloadResult) {
	ew.printf("\n%s: %s\n", wr.Name, wr.Description)
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', tabwriter.AlignRight)
	vs := ""
	if wr.BestPyTorch != "" {
		vs = "\tvs best pytorch"
	}
	rate := "samples/s"
	if wr.Samples == 0 && wr.FLOPs > 0 {
		rate = "GFLOP/s"
	}
	fmt.Fprintf(tw, "system\tmedian\tmin\tmax\t%s\tallocs/step\tB/step\tGCs\tpeak RSS\tquality%s\t\n", rate, vs)
	for _, s := range wr.Systems {
		if s.Error != "" {
			fmt.Fprintf(tw, "%s\tfailed: %s\t\n", s.System, firstLine(s.Error))
			continue
		}
		speed := "-"
		switch {
		case wr.Samples > 0:
			speed = fmtCount(s.SamplesPerSec)
		case s.GFLOPS > 0:
			speed = fmt.Sprintf("%.1f", s.GFLOPS)
		}
		allocs, bytes, gcs := "-", "-", "-"
		if s.AllocsPerStep != nil {
			allocs = fmtCount(*s.AllocsPerStep)
		}
		if s.BytesPerStep != nil {
			bytes = fmtBytes(*s.BytesPerStep)
		}
		if s.GCs != nil {
			gcs = fmt.Sprint(*s.GCs)
		}
		q := s.Quality.String()
		if q == "" {
			q = "-"
		}
		ratio := ""
		if wr.BestPyTorch != "" {
			ratio = "\t-"
			if rt := wr.Ratio(s.System, BestPyTorch); rt != nil {
				ratio = "\t" + fmtRatio(*rt)
			}
			if wins := countOf(wr.BestPyTorchRounds, s.System); wins > 0 {
				ratio += fmt.Sprintf(", best in %d/%d", wins, len(wr.BestPyTorchRounds))
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s%s\t\n", s.System,
			fmtDuration(s.Step.Median), fmtDuration(s.Step.Min), fmtDuration(s.Step.Max),
			speed, allocs, bytes, gcs, fmtBytes(float64(s.PeakRSS)), q, ratio)
	}
	_ = tw.Flush()
	if wr.BestPyTorch != "" {
		ew.printf("best pytorch by round: %s\n", strings.Join(dashEmpty(wr.BestPyTorchRounds), ", "))
	}
	if rt := wr.Ratio(Gradflow, Gorgonia); rt != nil {
		ew.printf("gradflow vs raw gorgonia: %s\n", fmtRatio(*rt))
	}
	// The PyTorch configurations usually differ in their thread count alone: one line
	// for those that share the rest.
	type group struct {
		line    string
		systems []string
	}
	var groups []group
	for _, s := range wr.Systems {
		if !isPyTorch(s.System) || len(s.Info) == 0 {
			continue
		}
		line := fmt.Sprintf("torch %s, BLAS %s, OpenBLAS core %s", s.Info["torch"],
			orDash(shortPath(s.Info["blas_lib"])), orDash(s.Info["openblas_core"]))
		if n := s.Info["openblas_threads"]; n != "" {
			line += ", OpenBLAS threads " + n
		}
		if n := len(groups); n > 0 && groups[n-1].line == line {
			groups[n-1].systems = append(groups[n-1].systems, s.System)
		} else {
			groups = append(groups, group{line, []string{s.System}})
		}
	}
	for _, g := range groups {
		ew.printf("%s: %s\n", strings.Join(g.systems, ", "), g.line)
	}
	for _, n := range wr.Notes {
		ew.printf("note: %s\n", n)
	}
}

// countOf returns how many of xs are x.
func countOf(xs []string, x string) int {
	n := 0
	for _, s := range xs {
		if s == x {
			n++
		}
	}
	return n
}

// dashEmpty returns xs with "" written as "-".
func dashEmpty(xs []string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = orDash(x)
	}
	return out
}

// fmtRatio writes a Ratio as "0.15x (0.14-0.16)": the median over rounds, then the
// range.
func fmtRatio(r Ratio) string {
	if r.Rounds == 1 {
		return fmt.Sprintf("%.2fx", r.Median)
	}
	return fmt.Sprintf("%.2fx (%.2f-%.2f)", r.Median, r.Min, r.Max)
}

// fmtDuration writes nanoseconds with three significant digits: "812ns", "20.3µs",
// "1.25ms", "2.04s".
func fmtDuration(ns float64) string {
	switch {
	case math.IsNaN(ns):
		return "-"
	case ns < 1e3:
		return fmt.Sprintf("%.0fns", ns)
	case ns < 1e6:
		return sig3(ns/1e3) + "µs"
	case ns < 1e9:
		return sig3(ns/1e6) + "ms"
	}
	return sig3(ns/1e9) + "s"
}

// sig3 formats x in [1, 1000) with three significant digits.
func sig3(x float64) string {
	switch {
	case x < 10:
		return fmt.Sprintf("%.2f", x)
	case x < 100:
		return fmt.Sprintf("%.1f", x)
	}
	return fmt.Sprintf("%.0f", x)
}

// fmtBytes writes a byte count in binary units: "512B", "2.41KiB", "536MiB".
func fmtBytes(b float64) string {
	switch {
	case b < 1024:
		return fmt.Sprintf("%.0fB", b)
	case b < 1<<20:
		return sig3(b/1024) + "KiB"
	case b < 1<<30:
		return sig3(b/(1<<20)) + "MiB"
	}
	return sig3(b/(1<<30)) + "GiB"
}

// fmtCount writes a count with thousands separators ("6,302"), or with two
// decimals below 10.
func fmtCount(x float64) string {
	if x < 10 {
		return fmt.Sprintf("%.2f", x)
	}
	s := fmt.Sprintf("%.0f", x)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// shortPath keeps the last two elements of a path: the library and its directory
// ("openblas-pthread/libblas.so.3"), which tell which BLAS it is.
func shortPath(p string) string {
	parts := strings.Split(p, "/")
	if len(parts) > 2 {
		parts = parts[len(parts)-2:]
	}
	return strings.Join(parts, "/")
}

// WriteBenchfmt writes r in the Go benchmark format that benchstat reads: one line
// per workload, system and round, named BenchmarkGradbench/<workload>/<system>, with
// the round's step count as iterations, its median step time as ns/op, throughput
// (samples/s or GFLOP/s), allocs/op and B/op (Go systems), and peak-RSS-B. The best
// PyTorch configuration of each round is written again as system pytorch-best, so
// that benchstat compares with it; a line before each workload's results, which
// benchstat ignores, names the configuration that won each round.
func (r *Result) WriteBenchfmt(w io.Writer) error {
	ew := &errWriter{w: w}
	ew.printf("goos: %s\ngoarch: %s\npkg: github.com/gradflow/gradflow/bench\ncpu: %s\n", r.Machine.OS, r.Machine.Arch, r.Machine.CPU)
	if r.Machine.SIMD != "" {
		ew.printf("simd: %s\n", r.Machine.SIMD)
	}
	for _, wr := range r.Workloads {
		if wr.BestPyTorch != "" {
			ew.printf("# %s: best pytorch by round: %s\n", wr.Name, strings.Join(dashEmpty(wr.BestPyTorchRounds), ", "))
		}
		for _, s := range wr.Systems {
			writeBenchfmtRounds(ew, &wr, s.System, s.Rounds, s.PeakRSS)
		}
		if wr.BestPyTorch != "" {
			var best []RoundResult
			var rss int64
			for i, name := range wr.BestPyTorchRounds {
				if s := wr.System(name); s != nil && i < len(s.Rounds) {
					best = append(best, s.Rounds[i])
					rss = max(rss, s.PeakRSS)
				}
			}
			writeBenchfmtRounds(ew, &wr, BestPyTorch, best, rss)
		}
	}
	return errors.Wrap(ew.err, "bench: writing benchmark format")
}

// writeBenchfmtRounds writes one benchmark line per round of a system.
func writeBenchfmtRounds(ew *errWriter, wr *WorkloadResult, system string, rounds []RoundResult, peakRSS int64) {
	for _, rr := range rounds {
		if rr.Step.N == 0 {
			continue
		}
		ew.printf("BenchmarkGradbench/%s/%s\t%d\t%.0f ns/op", wr.Name, system, rr.Step.N, rr.Step.Median)
		if wr.Samples > 0 {
			ew.printf("\t%.2f samples/s", float64(wr.Samples)/(rr.Step.Median/1e9))
		}
		if wr.FLOPs > 0 {
			ew.printf("\t%.3f GFLOP/s", wr.FLOPs/rr.Step.Median)
		}
		if rr.AllocsPerStep != nil && rr.BytesPerStep != nil {
			ew.printf("\t%.0f B/op\t%.0f allocs/op", *rr.BytesPerStep, *rr.AllocsPerStep)
		}
		ew.printf("\t%d peak-RSS-B\n", peakRSS)
	}
}

// errWriter remembers the first write error, so that formatting code can ignore it.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(b []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(b)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) { fmt.Fprintf(e, format, args...) }
