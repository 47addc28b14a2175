package bench

import (
	"encoding/json"
	"io"
	"os"
	"strings"
	"time"

	"github.com/pkg/errors"
)

// Result is everything one run of the harness measured. It is what -json writes and
// what -baseline reads back.
type Result struct {
	Date      time.Time        `json:"date"`
	Machine   Machine          `json:"machine"`
	Rounds    int              `json:"rounds"`
	Seed      uint64           `json:"seed"`
	Notes     []string         `json:"notes,omitempty"`
	Workloads []WorkloadResult `json:"workloads"`
}

// Machine describes where a Result was measured.
type Machine struct {
	CPU        string     `json:"cpu"`
	Cores      int        `json:"cores"`
	GOMAXPROCS int        `json:"gomaxprocs"`
	GoVersion  string     `json:"go_version"`
	OS         string     `json:"os"`
	Arch       string     `json:"arch"`
	BLAS       string     `json:"blas"`                 // the BLAS gorgonia uses (gorgonia.WhichBLAS)
	SIMD       string     `json:"simd,omitempty"`       // gradflow's kernel path (blas.Active: avx512, avx2, neon, generic)
	LoadStart  [3]float64 `json:"load_start,omitempty"` // /proc/loadavg when the run started
	LoadEnd    [3]float64 `json:"load_end,omitempty"`   // and when it ended
}

// WorkloadResult holds one workload's measurements on every system that ran it.
type WorkloadResult struct {
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Samples     int            `json:"samples,omitempty"`
	FLOPs       float64        `json:"flops,omitempty"`
	Systems     []SystemResult `json:"systems"`
	// BestPyTorchRounds is, for each round, the PyTorch configuration with the
	// lowest median step time in that round ("" where none ran), and BestPyTorch
	// the one that won the most rounds (a tie goes to the lower median over all
	// rounds); both are empty if PyTorch did not run.
	BestPyTorchRounds []string `json:"best_pytorch_rounds,omitempty"`
	BestPyTorch       string   `json:"best_pytorch,omitempty"`
	// Ratios compare systems round by round: every system against the best
	// PyTorch configuration of each round (Versus is the BestPyTorch constant,
	// "pytorch-best"), the Go systems against each PyTorch configuration, and
	// gradflow against gorgonia.
	Ratios []Ratio  `json:"ratios,omitempty"`
	Notes  []string `json:"notes,omitempty"`
}

// SystemResult is one system's measurements of one workload over all rounds.
type SystemResult struct {
	System string            `json:"system"`
	Info   map[string]string `json:"info,omitempty"`
	Error  string            `json:"error,omitempty"`
	// Step is over every timed step of every round; Rounds has one entry per round.
	Step   Stats         `json:"step"`
	Rounds []RoundResult `json:"rounds"`
	// SamplesPerSec and GFLOPS are computed from the median step time (0 when the
	// workload has no samples or FLOP count).
	SamplesPerSec float64 `json:"samples_per_sec,omitempty"`
	GFLOPS        float64 `json:"gflops,omitempty"`
	// AllocsPerStep, BytesPerStep (means over the timed steps) and GCs (total over
	// them) are measured for Go systems only.
	AllocsPerStep *float64 `json:"allocs_per_step,omitempty"`
	BytesPerStep  *float64 `json:"bytes_per_step,omitempty"`
	GCs           *uint64  `json:"gcs,omitempty"`
	// PeakRSS is the worker process's peak resident memory (VmHWM) in bytes.
	PeakRSS int64 `json:"peak_rss"`
	// Quality is the check after the last round; TrainedSteps counts every step
	// run before it, warm-up included.
	Quality      Quality `json:"quality,omitempty"`
	TrainedSteps int     `json:"trained_steps"`
}

// RoundResult is one block of steps of one system.
type RoundResult struct {
	Step          Stats    `json:"step"`
	AllocsPerStep *float64 `json:"allocs_per_step,omitempty"`
	BytesPerStep  *float64 `json:"bytes_per_step,omitempty"`
	GCs           *uint32  `json:"gcs,omitempty"`
}

// System returns the result of the named system, or nil.
func (w *WorkloadResult) System(name string) *SystemResult {
	for i := range w.Systems {
		if w.Systems[i].System == name {
			return &w.Systems[i]
		}
	}
	return nil
}

// Ratio returns the ratio of system versus another, or nil.
func (w *WorkloadResult) Ratio(system, versus string) *Ratio {
	for i := range w.Ratios {
		if w.Ratios[i].System == system && w.Ratios[i].Versus == versus {
			return &w.Ratios[i]
		}
	}
	return nil
}

// Workload returns the result of the named workload, or nil.
func (r *Result) Workload(name string) *WorkloadResult {
	for i := range r.Workloads {
		if r.Workloads[i].Name == name {
			return &r.Workloads[i]
		}
	}
	return nil
}

// WriteJSON writes r as indented JSON.
func (r *Result) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return errors.Wrap(enc.Encode(r), "bench: writing JSON")
}

// ReadJSON reads a Result written by WriteJSON.
func ReadJSON(rd io.Reader) (*Result, error) {
	var r Result
	if err := json.NewDecoder(rd).Decode(&r); err != nil {
		return nil, errors.Wrap(err, "bench: reading JSON result")
	}
	return &r, nil
}

// ReadJSONFile reads a Result from a file written with -json.
func ReadJSONFile(path string) (*Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errors.Wrap(err, "bench")
	}
	defer f.Close()
	r, err := ReadJSON(f)
	return r, errors.Wrap(err, path)
}

// isPyTorch reports whether a system name is a PyTorch configuration.
func isPyTorch(system string) bool { return strings.HasPrefix(system, PyTorch+"-") }
