package bench

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func ptr[T any](v T) *T { return &v }

// sampleResult is a small Result with every kind of field set.
func sampleResult() *Result {
	return &Result{
		Date:    time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Machine: Machine{CPU: "Test CPU (AVX2)", Cores: 2, GOMAXPROCS: 2, GoVersion: "go1.26", OS: "linux", Arch: "amd64", BLAS: "gonum.Implementation", SIMD: "avx2", LoadStart: [3]float64{1.5, 1, 0.5}, LoadEnd: [3]float64{2, 1, 0.5}},
		Rounds:  2,
		Seed:    1,
		Notes:   []string{"a note"},
		Workloads: []WorkloadResult{{
			Name: "mlp-f32", Description: "an MLP", Samples: 128, FLOPs: 3e8,
			Systems: []SystemResult{
				{
					System: Gradflow, Info: map[string]string{"go": "go1.26"},
					Step:          Stats{N: 4, Median: 2e7, Min: 1.9e7, Max: 2.5e7, Mean: 2.1e7},
					Rounds:        []RoundResult{{Step: Stats{N: 2, Median: 2e7, Min: 1.9e7, Max: 2.1e7, Mean: 2e7}, AllocsPerStep: ptr(851.0), BytesPerStep: ptr(2.5e6), GCs: ptr(uint32(3))}, {Step: Stats{N: 2, Median: 2.2e7, Min: 2e7, Max: 2.5e7, Mean: 2.25e7}, AllocsPerStep: ptr(851.0), BytesPerStep: ptr(2.5e6), GCs: ptr(uint32(4))}},
					SamplesPerSec: 6400, GFLOPS: 15, AllocsPerStep: ptr(851.0), BytesPerStep: ptr(2.5e6), GCs: ptr(uint64(7)),
					PeakRSS: 500 << 20, Quality: Quality{"accuracy": 0.97, "loss": math.NaN()}, TrainedSteps: 30,
				},
				{
					System: "pytorch-1t", Info: map[string]string{"torch": "1.13", "threads": "1"},
					Step:          Stats{N: 4, Median: 3e6, Min: 2.9e6, Max: 4e6, Mean: 3.2e6},
					Rounds:        []RoundResult{{Step: Stats{N: 2, Median: 3e6, Min: 2.9e6, Max: 3.1e6, Mean: 3e6}}, {Step: Stats{N: 2, Median: 3.3e6, Min: 3e6, Max: 4e6, Mean: 3.5e6}}},
					SamplesPerSec: 42000, GFLOPS: 100, PeakRSS: 400 << 20, Quality: Quality{"accuracy": 0.97}, TrainedSteps: 30,
				},
				{
					System: "pytorch-1t-ob2", Info: map[string]string{"torch": "1.13", "threads": "1", "openblas_threads": "2"},
					Step:          Stats{N: 4, Median: 2.9e6, Min: 2.4e6, Max: 4e6, Mean: 3e6},
					Rounds:        []RoundResult{{Step: Stats{N: 2, Median: 2.5e6, Min: 2.4e6, Max: 2.6e6, Mean: 2.5e6}}, {Step: Stats{N: 2, Median: 3.5e6, Min: 3e6, Max: 4e6, Mean: 3.5e6}}},
					SamplesPerSec: 44138, GFLOPS: 103, PeakRSS: 410 << 20, Quality: Quality{"accuracy": 0.97}, TrainedSteps: 30,
				},
				{System: Gorgonia, Error: "it broke\nbadly"},
			},
			// Round 1 won by pytorch-1t-ob2 (2.5 ms), round 2 by pytorch-1t (3.3 ms);
			// the tie goes to the lower overall median.
			BestPyTorchRounds: []string{"pytorch-1t-ob2", "pytorch-1t"},
			BestPyTorch:       "pytorch-1t-ob2",
			Ratios: []Ratio{
				{System: Gradflow, Versus: BestPyTorch, Rounds: 2, Median: 0.1375, Min: 0.125, Max: 0.15}, // 2.5/20, 3.3/22
				{System: "pytorch-1t", Versus: BestPyTorch, Rounds: 2, Median: 2.5/3/2 + 0.5, Min: 2.5 / 3, Max: 1},
			},
			Notes: []string{"workload note"},
		}},
	}
}

func TestJSONRoundTrip(t *testing.T) {
	r := sampleResult()
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"loss": "NaN"`) {
		t.Errorf("JSON does not hold the NaN loss as a string:\n%s", buf.String())
	}
	got, err := ReadJSON(&buf)
	if err != nil {
		t.Fatal(err)
	}
	// NaN != NaN: compare the NaN apart, then the rest.
	gq := got.Workloads[0].Systems[0].Quality
	if !math.IsNaN(gq["loss"]) {
		t.Errorf("loss read back as %v, want NaN", gq["loss"])
	}
	delete(gq, "loss")
	delete(r.Workloads[0].Systems[0].Quality, "loss")
	if !reflect.DeepEqual(got, r) {
		t.Errorf("JSON round trip changed the result:\ngot  %+v\nwant %+v", got, r)
	}
}

func TestQualityJSON(t *testing.T) {
	var q Quality
	if err := q.UnmarshalJSON([]byte(`{"a": 1.5, "b": "+Inf", "c": "-Inf"}`)); err != nil {
		t.Fatal(err)
	}
	if q["a"] != 1.5 || !math.IsInf(q["b"], 1) || !math.IsInf(q["c"], -1) {
		t.Errorf("Quality = %v, want a 1.5, b +Inf, c -Inf", q)
	}
	if err := q.UnmarshalJSON([]byte(`{"a": "many"}`)); err == nil {
		t.Error(`Quality {"a": "many"}: no error`)
	}
}

func TestWriteBenchfmt(t *testing.T) {
	var buf bytes.Buffer
	if err := sampleResult().WriteBenchfmt(&buf); err != nil {
		t.Fatal(err)
	}
	// benchstat reads "Benchmark<name> <iterations> <value> <unit> ..." lines, and
	// key: value lines as configuration. One line per round; the failed system has
	// none. 128 samples in 20 ms is 6400 samples/s; 3e8 FLOP in 2e7 ns is 15 GFLOP/s.
	want := `goos: linux
goarch: amd64
pkg: github.com/gradflow/gradflow/bench
cpu: Test CPU (AVX2)
simd: avx2
# mlp-f32: best pytorch by round: pytorch-1t-ob2, pytorch-1t
BenchmarkGradbench/mlp-f32/gradflow	2	20000000 ns/op	6400.00 samples/s	15.000 GFLOP/s	2500000 B/op	851 allocs/op	524288000 peak-RSS-B
BenchmarkGradbench/mlp-f32/gradflow	2	22000000 ns/op	5818.18 samples/s	13.636 GFLOP/s	2500000 B/op	851 allocs/op	524288000 peak-RSS-B
BenchmarkGradbench/mlp-f32/pytorch-1t	2	3000000 ns/op	42666.67 samples/s	100.000 GFLOP/s	419430400 peak-RSS-B
BenchmarkGradbench/mlp-f32/pytorch-1t	2	3300000 ns/op	38787.88 samples/s	90.909 GFLOP/s	419430400 peak-RSS-B
BenchmarkGradbench/mlp-f32/pytorch-1t-ob2	2	2500000 ns/op	51200.00 samples/s	120.000 GFLOP/s	429916160 peak-RSS-B
BenchmarkGradbench/mlp-f32/pytorch-1t-ob2	2	3500000 ns/op	36571.43 samples/s	85.714 GFLOP/s	429916160 peak-RSS-B
BenchmarkGradbench/mlp-f32/pytorch-best	2	2500000 ns/op	51200.00 samples/s	120.000 GFLOP/s	429916160 peak-RSS-B
BenchmarkGradbench/mlp-f32/pytorch-best	2	3300000 ns/op	38787.88 samples/s	90.909 GFLOP/s	429916160 peak-RSS-B
`
	if got := buf.String(); got != want {
		t.Errorf("WriteBenchfmt =\n%s\nwant\n%s", got, want)
	}
}

func TestWriteTable(t *testing.T) {
	var buf bytes.Buffer
	if err := sampleResult().WriteTable(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"gradbench 2026-01-02 03:04 UTC", "Test CPU (AVX2), 2 cores", "gorgonia BLAS gonum.Implementation, gradflow SIMD path avx2", "load average 1.50 at the start, 2.00 at the end",
		"note: a note", "mlp-f32: an MLP", "vs best pytorch", "samples/s",
		"20.0ms", "6,400", "851", "2.38MiB", "500MiB", "acc 97.00% loss NaN", "0.14x (0.12-0.15)",
		"0.92x (0.83-1.00), best in 1/2", "-, best in 1/2", "best pytorch by round: pytorch-1t-ob2, pytorch-1t",
		"failed: it broke", "pytorch-1t: torch 1.13, BLAS -", "pytorch-1t-ob2: torch 1.13, BLAS -, OpenBLAS core -, OpenBLAS threads 2",
		"note: workload note",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "badly") {
		t.Errorf("table shows more than the first line of an error:\n%s", out)
	}
}

func TestFormatters(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{fmtDuration(812), "812ns"},
		{fmtDuration(20_300), "20.3µs"},
		{fmtDuration(1_250_000), "1.25ms"},
		{fmtDuration(2_040_000_000), "2.04s"},
		{fmtDuration(math.NaN()), "-"},
		{fmtBytes(512), "512B"},
		{fmtBytes(2.5 * 1024), "2.50KiB"},
		{fmtBytes(536 << 20), "536MiB"},
		{fmtBytes(3 << 30), "3.00GiB"},
		{fmtCount(6302.4), "6,302"},
		{fmtCount(1234567), "1,234,567"},
		{fmtCount(999), "999"},
		{fmtCount(2.5), "2.50"},
		{Quality{"max_rel_err": 1.5e-7, "accuracy": 0.5, "zeta": 2}.String(), "acc 50.00% err 1.5e-07 zeta 2"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestParseVmHWM(t *testing.T) {
	status := "Name:\tgradbench\nVmPeak:\t  999 kB\nVmHWM:\t   2048 kB\nVmRSS:\t 1000 kB\n"
	if got := parseVmHWM(strings.NewReader(status)); got != 2048*1024 {
		t.Errorf("parseVmHWM = %d, want %d", got, 2048*1024)
	}
	if got := parseVmHWM(strings.NewReader("Name: x\n")); got != 0 {
		t.Errorf("parseVmHWM without the line = %d, want 0", got)
	}
	if PeakRSS() <= 0 {
		t.Error("PeakRSS() <= 0 on this machine")
	}
}
