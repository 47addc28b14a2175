package bench

import (
	"bufio"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/pkg/errors"
)

// Request asks a worker for one block of steps: Warmup untimed steps, then Steps
// timed ones, then, if Check, the instance's quality check.
type Request struct {
	Warmup int  `json:"warmup"`
	Steps  int  `json:"steps"`
	Check  bool `json:"check,omitempty"`
}

// Block is what a worker measured for one Request. The memory fields are totals over
// the timed steps; Allocs, Bytes and GCs are set by Go workers only (runtime.MemStats
// deltas), nil for peers.
type Block struct {
	StepNS  []int64 `json:"step_ns"`
	Allocs  *uint64 `json:"allocs,omitempty"`
	Bytes   *uint64 `json:"bytes,omitempty"`
	GCs     *uint32 `json:"gcs,omitempty"`
	PeakRSS int64   `json:"peak_rss"` // bytes: VmHWM of the worker process after the block
	Quality Quality `json:"quality,omitempty"`
	Error   string  `json:"error,omitempty"`
}

// Measure runs one block of inst in this process: the warm-up steps, a garbage
// collection (so that every block starts from the same heap state, as go test does),
// the timed steps with runtime.MemStats read before and after, and the check if asked.
// PeakRSS is this process's VmHWM, so it covers everything the process did before.
func Measure(inst *Instance, req Request) (Block, error) {
	if inst == nil || inst.Step == nil {
		return Block{}, errors.New("bench: Measure: instance has no Step")
	}
	if req.Warmup < 0 || req.Steps < 1 {
		return Block{}, errors.Errorf("bench: Measure: warm-up %d, steps %d: want >= 0 and >= 1", req.Warmup, req.Steps)
	}
	for i := 0; i < req.Warmup; i++ {
		if err := inst.Step(); err != nil {
			return Block{}, errors.Wrapf(err, "bench: warm-up step %d", i+1)
		}
	}
	times := make([]int64, req.Steps)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range times {
		t0 := time.Now()
		if err := inst.Step(); err != nil {
			return Block{}, errors.Wrapf(err, "bench: timed step %d", i+1)
		}
		times[i] = int64(time.Since(t0))
	}
	runtime.ReadMemStats(&after)
	allocs := after.Mallocs - before.Mallocs
	bytes := after.TotalAlloc - before.TotalAlloc
	gcs := after.NumGC - before.NumGC
	b := Block{StepNS: times, Allocs: &allocs, Bytes: &bytes, GCs: &gcs}
	if req.Check && inst.Check != nil {
		q, err := inst.Check()
		if err != nil {
			return Block{}, errors.Wrap(err, "bench: quality check")
		}
		b.Quality = q
	}
	b.PeakRSS = PeakRSS()
	return b, nil
}

// PeakRSS returns this process's peak resident set size in bytes (VmHWM in
// /proc/self/status), or 0 where that file does not exist.
func PeakRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	return parseVmHWM(f)
}

// parseVmHWM reads the "VmHWM:   1234 kB" line of a /proc/PID/status file.
func parseVmHWM(r io.Reader) int64 {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "VmHWM:") {
			continue
		}
		fields := strings.Fields(strings.TrimPrefix(line, "VmHWM:"))
		if len(fields) == 0 {
			return 0
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return 0
		}
		return kb * 1024
	}
	return 0
}
