package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// OpenBLAS picks its kernels ("core") from CPUID when it loads. A release older than
// the CPU does not know it and falls back to its oldest x86-64 kernels: Debian's
// OpenBLAS 0.3.21 takes an Intel Xeon of family 6 model 207 (Emerald Rapids, AVX-512)
// for a "Prescott" (SSE3) and multiplies at a quarter of the speed it reaches with
// OPENBLAS_CORETYPE=Cooperlake. PyTorch at its best on such a machine has the core
// set, so before the first PyTorch worker the harness times one float32 product with
// the detected core and with each candidate core (each in its own Python process with
// one thread; a core the CPU cannot run dies with SIGILL and drops out) and gives
// every PyTorch worker the fastest.

// openBLASCandidates are the cores tried besides the detected one, newest first. A
// candidate is kept only if it is faster than the detected core by more than
// coreMargin, so that noise does not override OpenBLAS's own choice.
var openBLASCandidates = map[string][]string{
	"amd64": {"Cooperlake", "SkylakeX", "Haswell", "Zen"},
}

const coreMargin = 1.05

// coreProbeScript times an n x n float32 product (best of five after two warm-ups)
// and prints the core OpenBLAS loaded and the GFLOP/s as one JSON line.
const coreProbeScript = `
import ctypes, json, sys, time
import torch
torch.set_num_threads(1)
n = 1024
a, b = torch.randn(n, n), torch.randn(n, n)
for _ in range(2):
    torch.mm(a, b)
best = float("inf")
for _ in range(5):
    t = time.perf_counter()
    torch.mm(a, b)
    best = min(best, time.perf_counter() - t)
core = ""
with open("/proc/self/maps") as f:
    libs = sorted({l.split()[-1] for l in f if "blas" in l.lower() and "/" in l})
for lib in libs:
    try:
        dll = ctypes.CDLL(lib)
        dll.openblas_get_corename.restype = ctypes.c_char_p
        core = dll.openblas_get_corename().decode()
        break
    except (AttributeError, OSError):
        pass
print(json.dumps({"core": core, "gflops": 2 * n ** 3 / best / 1e9}))
`

// coreProbe is one core's measurement.
type coreProbe struct {
	Set    string  // the OPENBLAS_CORETYPE it ran with ("" for OpenBLAS's own choice)
	Core   string  `json:"core"` // the core OpenBLAS reported
	GFLOPs float64 `json:"gflops"`
}

// probeCore runs coreProbeScript with OPENBLAS_CORETYPE set to set ("" leaves it
// unset).
func (p PeerConfig) probeCore(ctx context.Context, set string) (coreProbe, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, p.python(), "-c", coreProbeScript)
	env := p.peerEnv(TorchConfig{Threads: 1, BLASThreads: 1})
	env = withoutKeys(env, "OPENBLAS_CORETYPE")
	if set != "" {
		env = append(env, "OPENBLAS_CORETYPE="+set)
	}
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		return coreProbe{}, err
	}
	r := coreProbe{Set: set}
	if err := json.Unmarshal(out, &r); err != nil || r.Core == "" || !(r.GFLOPs > 0) {
		return coreProbe{}, fmt.Errorf("bad probe output %q", strings.TrimSpace(string(out)))
	}
	return r, nil
}

// pickCore chooses among probes (probes[0] is the detected core): the fastest
// candidate if it beats the detected core by more than coreMargin, else the detected
// one. It returns the OPENBLAS_CORETYPE to set ("" for none) and a note.
func pickCore(probes []coreProbe) (string, string) {
	if len(probes) == 0 {
		return "", ""
	}
	det, best := probes[0], probes[0]
	for _, p := range probes[1:] {
		if p.GFLOPs > best.GFLOPs {
			best = p
		}
	}
	var tried []string
	for _, p := range probes {
		tried = append(tried, fmt.Sprintf("%s %.1f", p.Core, p.GFLOPs))
	}
	list := strings.Join(tried, ", ")
	if best.Set == "" || best.GFLOPs <= det.GFLOPs*coreMargin || best.Core == det.Core {
		return "", fmt.Sprintf("OpenBLAS core: %s, the one OpenBLAS detected (float32 1024 product on one thread, GFLOP/s: %s)", det.Core, list)
	}
	return best.Set, fmt.Sprintf("OpenBLAS core: OPENBLAS_CORETYPE=%s for PyTorch: %.1f GFLOP/s against %.1f for the %s OpenBLAS detected (float32 1024 product on one thread, GFLOP/s: %s)",
		best.Set, best.GFLOPs, det.GFLOPs, det.Core, list)
}

// ChooseOpenBLASCore sets p.OpenBLASCore for the PyTorch workers and returns a note
// saying what was measured. It measures only when p.OpenBLASCore is "auto" (or "")
// and the core is not kept from the environment (KeepOpenBLASEnv with
// OPENBLAS_CORETYPE set); "detected" keeps OpenBLAS's choice; any other value is
// used as it is. If PyTorch cannot run, it leaves the choice to OpenBLAS and says
// nothing: the workers then report that PyTorch is unavailable.
func (p *PeerConfig) ChooseOpenBLASCore(ctx context.Context) string {
	switch p.OpenBLASCore {
	case "", "auto":
	case "detected":
		p.OpenBLASCore = "detected"
		return "OpenBLAS core: the one OpenBLAS detects (-openblas-core detected)"
	default:
		return "OpenBLAS core: OPENBLAS_CORETYPE=" + p.OpenBLASCore + " (-openblas-core)"
	}
	if v, ok := os.LookupEnv("OPENBLAS_CORETYPE"); ok && p.KeepOpenBLASEnv {
		p.OpenBLASCore = "detected"
		return "OpenBLAS core: OPENBLAS_CORETYPE=" + v + " kept from the environment"
	}
	p.OpenBLASCore = "detected"
	det, err := p.probeCore(ctx, "")
	if err != nil {
		return ""
	}
	probes := []coreProbe{det}
	for _, c := range openBLASCandidates[runtime.GOARCH] {
		if r, err := p.probeCore(ctx, c); err == nil {
			probes = append(probes, r)
		}
	}
	set, note := pickCore(probes)
	if set != "" {
		p.OpenBLASCore = set
	}
	return note
}

// withoutKeys returns env without the variables named.
func withoutKeys(env []string, keys ...string) []string {
	out := env[:0:0]
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		keep := true
		for _, d := range keys {
			keep = keep && k != d
		}
		if keep {
			out = append(out, kv)
		}
	}
	return out
}
