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
// for a "Prescott" (SSE3) and multiplies at about a fifth of the speed it reaches
// with OPENBLAS_CORETYPE=Cooperlake or SkylakeX. PyTorch at its best on such a machine has the core
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

// coreProbe is one core's measurement.
type coreProbe struct {
	Set    string  // the OPENBLAS_CORETYPE it ran with ("" for OpenBLAS's own choice)
	Core   string  `json:"core"` // the core OpenBLAS reported
	GFLOPs float64 `json:"gflops"`
}

// probeCore runs the worker's --probe-core (worker.py times a float32 1024 product
// on one thread and reports the core OpenBLAS loaded) with OPENBLAS_CORETYPE set to
// set ("" leaves it unset).
func (p PeerConfig) probeCore(ctx context.Context, set string) (coreProbe, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	q := p
	q.OpenBLASCore = set
	if set == "" {
		q.OpenBLASCore, q.KeepOpenBLASEnv = "detected", false
	}
	argv := append(p.workerArgv(), "--probe-core")
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = q.peerEnv(TorchConfig{Threads: 1, BLASThreads: 1})
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
		// OpenBLAS ignores a name it does not know and detects the core: say which
		// core the name gave.
		r, err := p.probeCore(ctx, p.OpenBLASCore)
		if err != nil {
			return "OpenBLAS core: OPENBLAS_CORETYPE=" + p.OpenBLASCore + " (-openblas-core; not probed: " + err.Error() + ")"
		}
		if !strings.EqualFold(r.Core, p.OpenBLASCore) {
			return fmt.Sprintf("OpenBLAS core: OPENBLAS_CORETYPE=%s (-openblas-core) loaded OpenBLAS's %s kernels (%.1f GFLOP/s, float32 1024 product on one thread)", p.OpenBLASCore, r.Core, r.GFLOPs)
		}
		return fmt.Sprintf("OpenBLAS core: OPENBLAS_CORETYPE=%s (-openblas-core), %.1f GFLOP/s (float32 1024 product on one thread)", p.OpenBLASCore, r.GFLOPs)
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
