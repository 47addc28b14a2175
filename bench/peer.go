package bench

import (
	"bufio"
	"context"
	_ "embed" // the PyTorch worker script travels inside the binary
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/gradflow/gradflow/ops/blas"
	"github.com/gradflow/gradflow/train/data"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
)

// referenceWorker is bench/reference/worker.py, the PyTorch implementations of the
// workloads. It is embedded so that gradbench runs from any directory.
//
//go:embed reference/worker.py
var referenceWorker string

// PeerConfig says how to run the PyTorch peer.
type PeerConfig struct {
	// Python is the interpreter; "" means /usr/bin/python3 (Debian's, which has
	// python3-torch) if it exists, else python3 from PATH.
	Python string
	// Script is a worker.py to run instead of the copy embedded in the binary.
	Script string
	// KeepOpenBLASEnv keeps OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE from the
	// environment. By default they are removed for the peer, so that OpenBLAS picks
	// the kernels of the CPU it runs on (some machines set them to an older core for
	// safety, which makes OpenBLAS several times slower); the GEMM and MLP checks
	// still verify the results.
	KeepOpenBLASEnv bool
	// OpenBLASCore is the OPENBLAS_CORETYPE of every PyTorch worker: "auto" (or "")
	// lets Run measure the detected core against the candidates and take the
	// fastest (ChooseOpenBLASCore), "detected" leaves the choice to OpenBLAS, and
	// any other value is set as it is (Cooperlake, SkylakeX, Haswell, ...).
	OpenBLASCore string
}

func (p PeerConfig) python() string {
	if p.Python != "" {
		return p.Python
	}
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		return "/usr/bin/python3"
	}
	return "python3"
}

// peerEnv returns the environment of a PyTorch worker of configuration tc: torch's
// own threads (OMP_NUM_THREADS) set to tc.Threads, OpenBLAS's (OPENBLAS_NUM_THREADS,
// and MKL_NUM_THREADS for a torch built with MKL) to tc.BLASThreads. Debian's torch
// uses OpenBLAS's pthreads build, whose threads run only inside a BLAS call: with one
// torch thread they do not compete with torch's own.
func (p PeerConfig) peerEnv(tc TorchConfig) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS":
			continue
		case "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE":
			if !p.KeepOpenBLASEnv || (k == "OPENBLAS_CORETYPE" && p.namedCore() != "") {
				continue
			}
		}
		env = append(env, kv)
	}
	if c := p.namedCore(); c != "" {
		env = append(env, "OPENBLAS_CORETYPE="+c)
	}
	blas := strconv.Itoa(tc.BLASThreads)
	return append(env, "OPENBLAS_NUM_THREADS="+blas, "MKL_NUM_THREADS="+blas,
		"OMP_NUM_THREADS="+strconv.Itoa(tc.Threads))
}

// namedCore is the OPENBLAS_CORETYPE the workers get, "" for none ("auto" before it
// is chosen, or "detected").
func (p PeerConfig) namedCore() string {
	if c := p.OpenBLASCore; c != "auto" && c != "detected" {
		return c
	}
	return ""
}

// workerArgv returns the interpreter and the worker script (the embedded one or
// p.Script), without the worker's flags.
func (p PeerConfig) workerArgv() []string {
	if p.Script != "" {
		return []string{p.python(), p.Script}
	}
	return []string{p.python(), "-c", referenceWorker}
}

// peerCommand returns the argv of a PyTorch worker of configuration tc for workload
// ref.
func (p PeerConfig) peerCommand(ref string, tc TorchConfig, env *Env) []string {
	argv := append(p.workerArgv(), "--workload", ref, "--threads", strconv.Itoa(tc.Threads),
		"--blas-threads", strconv.Itoa(tc.BLASThreads), "--seed", strconv.FormatUint(env.Seed, 10))
	if env.MNISTDir != "" {
		argv = append(argv, "--mnist", env.MNISTDir)
	}
	return argv
}

// usesMNIST reports whether the workload (or PyTorch reference) of that name trains
// on MNIST: the MLPs and the CNN.
func usesMNIST(name string) bool { return strings.HasPrefix(name, "mlp") || name == "cnn" }

// startPeer starts a PyTorch worker. MNIST-based references need the data directory,
// which is resolved here (data.MNISTDir) when the Env has none.
func startPeer(ctx context.Context, p PeerConfig, ref string, tc TorchConfig, env *Env) (worker, error) {
	if usesMNIST(ref) && env.MNISTDir == "" {
		dir, err := data.MNISTDir()
		if err != nil {
			return nil, errors.Wrap(err, "bench")
		}
		env.MNISTDir = dir
	}
	name := fmt.Sprintf("%s/%s", ref, tc.System())
	return startProcess(ctx, name, p.peerCommand(ref, tc, env), p.peerEnv(tc))
}

// goWorkerCommand returns the argv and environment of a Go worker for spec.
func goWorkerCommand(base []string, spec WorkerSpec) ([]string, []string, error) {
	js, err := json.Marshal(spec)
	if err != nil {
		return nil, nil, err
	}
	return base, append(os.Environ(), WorkerEnv+"="+string(js)), nil
}

// goInfo describes the Go side for a SystemResult.
func goInfo() map[string]string {
	return map[string]string{
		"go":         runtime.Version(),
		"gomaxprocs": strconv.Itoa(runtime.GOMAXPROCS(0)),
		"blas":       fmt.Sprintf("%T", gorgonia.WhichBLAS()),
		"simd":       blas.Active().String(),
	}
}

// probeMachine describes this machine.
func probeMachine() Machine {
	return Machine{
		CPU:        cpuModel(),
		Cores:      runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		GoVersion:  runtime.Version(),
		OS:         runtime.GOOS,
		Arch:       runtime.GOARCH,
		BLAS:       fmt.Sprintf("%T", gorgonia.WhichBLAS()),
		SIMD:       blas.Active().String(),
		LoadStart:  loadAvg(),
	}
}

// cpuModel returns the "model name" of /proc/cpuinfo, with the widest vector
// extension the CPU reports, or "unknown".
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	var model, flags string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() && (model == "" || flags == "") {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "model name":
			model = strings.TrimSpace(v)
		case "flags":
			flags = " " + v + " "
		}
	}
	if model == "" {
		model = "unknown"
	}
	switch {
	case strings.Contains(flags, " avx512f "):
		model += " (AVX-512)"
	case strings.Contains(flags, " avx2 "):
		model += " (AVX2)"
	}
	return model
}

// loadAvg returns the 1, 5 and 15 minute load averages of /proc/loadavg (zeros
// where it does not exist).
func loadAvg() [3]float64 {
	var l [3]float64
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return l
	}
	f := strings.Fields(string(b))
	for i := 0; i < 3 && i < len(f); i++ {
		l[i], _ = strconv.ParseFloat(f[i], 64)
	}
	return l
}
