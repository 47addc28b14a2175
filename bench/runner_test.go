package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pkg/errors"
)

// TestMain makes the test binary a Go worker when the harness re-executes it, as
// gradbench re-executes itself (see TestRunGoWorkerProcess).
func TestMain(m *testing.M) {
	if _, ok := os.LookupEnv(WorkerEnv); ok {
		os.Exit(Main(nil, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// sink keeps testAlloc's allocations alive past the compiler's escape analysis.
var sink []byte

func init() {
	// A workload for the tests that run the harness: each step sleeps briefly and
	// makes exactly one 1 KiB allocation.
	MustRegister(Workload{
		Name:        "testonly-alloc",
		Description: "test workload: one 1 KiB allocation per step",
		Samples:     8,
		Warmup:      2,
		Steps:       5,
		Setup: func(*Env) (*Instance, error) {
			return &Instance{
				Step: func() error {
					time.Sleep(50 * time.Microsecond)
					sink = make([]byte, 1024)
					return nil
				},
				Check: func() (Quality, error) { return Quality{"accuracy": 1}, nil },
			}, nil
		},
	})
}

func TestSchedule(t *testing.T) {
	got := Schedule([]string{"mlp", "xor"}, []string{"A", "B"}, 2)
	var s []string
	for _, sl := range got {
		s = append(s, fmt.Sprintf("%s/%d/%s", sl.Workload, sl.Round, sl.System))
	}
	want := []string{
		"mlp/0/A", "mlp/0/B", "mlp/1/A", "mlp/1/B",
		"xor/0/A", "xor/0/B", "xor/1/A", "xor/1/B",
	}
	if !slices.Equal(s, want) {
		t.Errorf("Schedule = %v, want %v", s, want)
	}
}

func TestExpandSystems(t *testing.T) {
	got, err := ExpandSystems([]string{Gradflow, PyTorch, Gorgonia, Gradflow}, TorchConfigs([]int{1, 2}, []int{1, 2}))
	want := []string{"gradflow", "pytorch-1t", "pytorch-1t-ob2", "pytorch-2t", "pytorch-2t-ob2", "gorgonia"}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("ExpandSystems = %v, %v, want %v", got, err, want)
	}
	if _, err := ExpandSystems([]string{"tensorflow"}, nil); err == nil {
		t.Error("ExpandSystems(tensorflow): no error")
	}
}

// recordingWorkload logs which system ran each step, and counts quality checks.
func recordingWorkload(log *[]string, checks *int, failAt map[string]int) *Workload {
	mk := func(name string) Setup {
		return func(*Env) (*Instance, error) {
			n := 0
			return &Instance{
				Step: func() error {
					n++
					if n == failAt[name] {
						return errors.New("boom")
					}
					*log = append(*log, name)
					return nil
				},
				Check: func() (Quality, error) { *checks++; return Quality{"loss": 0.5}, nil },
			}, nil
		}
	}
	return &Workload{Name: "rec", Samples: 2, Setup: mk(Gradflow), Gorgonia: mk(Gorgonia)}
}

// compress turns runs of equal entries into one.
func compress(xs []string) []string {
	var out []string
	for _, x := range xs {
		if len(out) == 0 || out[len(out)-1] != x {
			out = append(out, x)
		}
	}
	return out
}

func TestRunInterleaves(t *testing.T) {
	var log []string
	checks := 0
	w := recordingWorkload(&log, &checks, nil)
	res, err := Run(context.Background(), Config{Workloads: []*Workload{w}, Systems: []string{Gradflow, Gorgonia},
		Rounds: 3, Steps: 4, Warmup: 8})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"gradflow", "gorgonia", "gradflow", "gorgonia", "gradflow", "gorgonia"}
	if got := compress(log); !slices.Equal(got, want) {
		t.Errorf("order of steps = %v, want %v (A B A B ...)", got, want)
	}
	// 8 warm-up steps in round 1, laterWarmup(8) = 2 in rounds 2 and 3, 4 timed each.
	if n, want := len(log), 2*(8+4+2*(2+4)); n != want {
		t.Errorf("%d steps ran, want %d", n, want)
	}
	if checks != 2 {
		t.Errorf("%d quality checks, want 2 (one per system, after the last round)", checks)
	}
	wr := res.Workload("rec")
	if wr == nil || len(wr.Systems) != 2 {
		t.Fatalf("result = %+v, want 2 systems", res)
	}
	for _, s := range wr.Systems {
		if len(s.Rounds) != 3 || s.Step.N != 12 || s.TrainedSteps != 24 || s.Quality["loss"] != 0.5 {
			t.Errorf("%s: %d rounds, %d steps, %d trained, quality %v; want 3, 12, 24, loss 0.5",
				s.System, len(s.Rounds), s.Step.N, s.TrainedSteps, s.Quality)
		}
		if s.AllocsPerStep == nil || s.GCs == nil || s.PeakRSS <= 0 || s.SamplesPerSec <= 0 {
			t.Errorf("%s: allocs %v, GCs %v, peak RSS %d, samples/s %g: want all measured",
				s.System, s.AllocsPerStep, s.GCs, s.PeakRSS, s.SamplesPerSec)
		}
	}
	if r := wr.Ratio(Gradflow, Gorgonia); r == nil || r.Rounds != 3 {
		t.Errorf("gradflow vs gorgonia ratio = %+v, want one over 3 rounds", r)
	}
}

func TestRunRecordsFailures(t *testing.T) {
	var log []string
	checks := 0
	// gorgonia fails in its 5th step: the second round (warm-up 1 and 3 steps each).
	w := recordingWorkload(&log, &checks, map[string]int{Gorgonia: 5})
	res, err := Run(context.Background(), Config{Workloads: []*Workload{w}, Systems: []string{Gradflow, Gorgonia},
		Rounds: 3, Steps: 3, Warmup: 1})
	if err != nil {
		t.Fatal(err)
	}
	wr := res.Workload("rec")
	g, r := wr.System(Gradflow), wr.System(Gorgonia)
	if g == nil || g.Error != "" || len(g.Rounds) != 3 {
		t.Errorf("gradflow = %+v, want 3 clean rounds", g)
	}
	if r == nil || !strings.Contains(r.Error, "boom") || len(r.Rounds) != 1 {
		t.Errorf("gorgonia = %+v, want its error and its one good round", r)
	}
	if rt := wr.Ratio(Gradflow, Gorgonia); rt == nil || rt.Rounds != 1 {
		t.Errorf("ratio = %+v, want one over the round both finished", rt)
	}
}

func TestRunSkipsMissingPeer(t *testing.T) {
	var log []string
	checks := 0
	w := recordingWorkload(&log, &checks, nil)
	w.Reference = "rec"
	res, err := Run(context.Background(), Config{Workloads: []*Workload{w}, Systems: []string{Gradflow, PyTorch},
		Rounds: 2, Steps: 2, Peer: PeerConfig{Python: "/nonexistent/python3"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "PyTorch skipped") {
		t.Errorf("notes = %q, want one saying PyTorch was skipped", res.Notes)
	}
	wr := res.Workload("rec")
	if len(wr.Systems) != 1 || wr.Systems[0].System != Gradflow || wr.BestPyTorch != "" {
		t.Errorf("systems = %+v, best %q: want gradflow alone", wr.Systems, wr.BestPyTorch)
	}
}

func approxEq(a, b float64) bool { return a-b < 1e-12 && b-a < 1e-12 }

// TestRunGoWorkerProcess runs a Go system in a child process (this test binary,
// re-executed with WorkerEnv set, as gradbench re-executes itself).
func TestRunGoWorkerProcess(t *testing.T) {
	res, err := Run(context.Background(), Config{Workloads: []*Workload{Lookup("testonly-alloc")},
		Systems: []string{Gradflow}, Rounds: 2, GoWorker: []string{os.Args[0]}})
	if err != nil {
		t.Fatal(err)
	}
	s := res.Workloads[0].System(Gradflow)
	if s == nil || s.Error != "" {
		t.Fatalf("gradflow = %+v", s)
	}
	if s.Step.N != 10 || len(s.Rounds) != 2 {
		t.Errorf("%d steps in %d rounds, want 10 in 2", s.Step.N, len(s.Rounds))
	}
	// One allocation of 1 KiB per step; time.Sleep may add a timer now and then.
	if s.AllocsPerStep == nil || *s.AllocsPerStep < 1 || *s.AllocsPerStep > 3 || *s.BytesPerStep < 1024 {
		t.Errorf("allocs/step %v, B/step %v: want about 1 and 1 KiB", deref(s.AllocsPerStep), deref(s.BytesPerStep))
	}
	if s.PeakRSS <= 0 || s.Info["go"] == "" || s.Quality["accuracy"] != 1 {
		t.Errorf("peak RSS %d, info %v, quality %v: want them from the worker", s.PeakRSS, s.Info, s.Quality)
	}
}

func deref(p *float64) float64 {
	if p == nil {
		return -1
	}
	return *p
}

func TestPeerEnvAndCommand(t *testing.T) {
	t.Setenv("OPENBLAS_CORETYPE", "Haswell")
	t.Setenv("OPENBLAS_NUM_THREADS", "8")
	env := PeerConfig{}.peerEnv(TorchConfig{Threads: 2, BLASThreads: 1})
	has := func(env []string, kv string) bool { return slices.Contains(env, kv) }
	if !has(env, "OPENBLAS_NUM_THREADS=1") || !has(env, "OMP_NUM_THREADS=2") || has(env, "OPENBLAS_NUM_THREADS=8") {
		t.Errorf("peer env lacks OPENBLAS_NUM_THREADS=1 and OMP_NUM_THREADS=2, or keeps 8 threads")
	}
	env = PeerConfig{}.peerEnv(TorchConfig{Threads: 1, BLASThreads: 2})
	if !has(env, "OPENBLAS_NUM_THREADS=2") || !has(env, "MKL_NUM_THREADS=2") || !has(env, "OMP_NUM_THREADS=1") || has(env, "OPENBLAS_NUM_THREADS=1") {
		t.Errorf("peer env of pytorch-1t-ob2 = %q, want OPENBLAS_NUM_THREADS=2, MKL_NUM_THREADS=2, OMP_NUM_THREADS=1", env)
	}
	if has(env, "OPENBLAS_CORETYPE=Haswell") {
		t.Error("peer env keeps OPENBLAS_CORETYPE by default")
	}
	if !has(PeerConfig{KeepOpenBLASEnv: true}.peerEnv(TorchConfig{Threads: 1, BLASThreads: 1}), "OPENBLAS_CORETYPE=Haswell") {
		t.Error("KeepOpenBLASEnv dropped OPENBLAS_CORETYPE")
	}
	argv := PeerConfig{Python: "py"}.peerCommand("mlp-f32", TorchConfig{Threads: 2, BLASThreads: 1}, &Env{Seed: 3, MNISTDir: "/d"})
	want := []string{"py", "-c", referenceWorker, "--workload", "mlp-f32", "--threads", "2", "--blas-threads", "1", "--seed", "3", "--mnist", "/d"}
	if !slices.Equal(argv, want) {
		t.Errorf("peer command = %q..., want %q...", argv[:2], want[:2])
	}
	if !strings.Contains(referenceWorker, "def main()") {
		t.Error("the embedded reference worker is not worker.py")
	}
}

// TestReferenceWorkerParses checks that worker.py is valid Python where an
// interpreter exists (it never imports torch here); the tests need no Python
// otherwise.
func TestReferenceWorkerParses(t *testing.T) {
	py := PeerConfig{}.python()
	if _, err := exec.LookPath(py); err != nil {
		t.Skip("no python3")
	}
	cmd := exec.Command(py, "-c", "import ast, sys; ast.parse(sys.stdin.read(), 'worker.py')")
	cmd.Stdin = strings.NewReader(referenceWorker)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("worker.py does not parse: %v\n%s", err, out)
	}
}
