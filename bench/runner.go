package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/pkg/errors"
)

// Config configures Run. Zero values are the documented defaults.
type Config struct {
	Workloads []*Workload // required
	// Systems lists Gradflow, Gorgonia and PyTorch (all three by default). PyTorch
	// expands to one system per TorchConfig of TorchThreads and BLASThreads
	// ("pytorch-1t", "pytorch-1t-ob2", "pytorch-2t", "pytorch-2t-ob2").
	Systems []string
	Rounds  int // rounds of interleaved blocks; default 3
	// Warmup and Steps override every workload's own counts per block when > 0.
	// Scale multiplies the workloads' own Steps (default 1); it leaves overrides alone.
	Warmup, Steps int
	Scale         float64
	Seed          uint64 // default 1
	MNISTDir      string // "" means data.MNISTDir()

	// TorchThreads are the torch.set_num_threads values to measure (default 1 and
	// 2), each with every OPENBLAS_NUM_THREADS value of BLASThreads (default 1
	// and 2). Ratios compare with the fastest configuration of each round.
	TorchThreads []int
	BLASThreads  []int
	Peer         PeerConfig

	// GoWorker is the command that starts this binary as a Go worker (Main passes
	// os.Executable with WorkerEnv set): each Go system then runs in its own
	// process, so that peak memory is its own. Nil runs Go systems in this process.
	GoWorker []string
	Progress io.Writer // progress lines; nil prints none
}

func (c *Config) defaults() error {
	if len(c.Workloads) == 0 {
		return errors.New("bench: no workloads")
	}
	if len(c.Systems) == 0 {
		c.Systems = []string{Gradflow, Gorgonia, PyTorch}
	}
	if c.Rounds == 0 {
		c.Rounds = 3
	}
	if c.Scale == 0 {
		c.Scale = 1
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if len(c.TorchThreads) == 0 {
		c.TorchThreads = []int{1, 2}
	}
	if c.Rounds < 1 || c.Warmup < 0 || c.Steps < 0 || !(c.Scale > 0) {
		return errors.Errorf("bench: rounds %d, warm-up %d, steps %d, scale %g: want >= 1, >= 0, >= 0, > 0",
			c.Rounds, c.Warmup, c.Steps, c.Scale)
	}
	if len(c.BLASThreads) == 0 {
		c.BLASThreads = []int{1, 2}
	}
	for _, t := range c.TorchThreads {
		if t < 1 {
			return errors.Errorf("bench: torch threads %d, want >= 1", t)
		}
	}
	for _, t := range c.BLASThreads {
		if t < 1 {
			return errors.Errorf("bench: OpenBLAS threads %d, want >= 1", t)
		}
	}
	if c.Progress == nil {
		c.Progress = io.Discard
	}
	return nil
}

// ExpandSystems turns the system list of a Config into the names that run: PyTorch
// becomes one system per configuration (TorchConfig.System). Unknown names are an
// error.
func ExpandSystems(systems []string, torch []TorchConfig) ([]string, error) {
	var out []string
	add := func(s string) {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, s := range systems {
		switch {
		case s == Gradflow || s == Gorgonia:
			add(s)
		case s == PyTorch:
			for _, tc := range torch {
				add(tc.System())
			}
		default:
			return nil, errors.Errorf("bench: unknown system %q, want %s, %s or %s", s, Gradflow, Gorgonia, PyTorch)
		}
	}
	return out, nil
}

// Slot is one block in a run's schedule.
type Slot struct {
	Workload string
	Round    int // from 0
	System   string
}

// Schedule returns the order in which Run measures blocks: workload by workload, and
// for each, round by round, every system once per round in the given order
// (A B C, A B C, ...). The systems of a round run close together in time, so that a
// slow moment of a shared machine hits them alike and the per-round ratios stay fair.
func Schedule(workloads, systems []string, rounds int) []Slot {
	var s []Slot
	for _, w := range workloads {
		for r := 0; r < rounds; r++ {
			for _, sys := range systems {
				s = append(s, Slot{Workload: w, Round: r, System: sys})
			}
		}
	}
	return s
}

// Run measures cfg's workloads on its systems, interleaved as Schedule says, and
// returns the result. A system that fails records its error in the result and the
// run goes on; a peer that cannot run here (no PyTorch) is skipped with a note.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	systems, err := ExpandSystems(cfg.Systems, TorchConfigs(cfg.TorchThreads, cfg.BLASThreads))
	if err != nil {
		return nil, err
	}
	res := &Result{Date: time.Now().UTC(), Machine: probeMachine(), Rounds: cfg.Rounds, Seed: cfg.Seed}
	env := &Env{Seed: cfg.Seed, MNISTDir: cfg.MNISTDir}
	peerGone := "" // why PyTorch cannot run here, once known
	if slices.ContainsFunc(systems, isPyTorch) {
		fmt.Fprintln(cfg.Progress, "choosing the OpenBLAS core for PyTorch ...")
		if note := cfg.Peer.ChooseOpenBLASCore(ctx); note != "" {
			fmt.Fprintln(cfg.Progress, note)
			res.Notes = append(res.Notes, note)
		}
	}
	for _, w := range cfg.Workloads {
		wr, err := runWorkload(ctx, &cfg, env, w, systems, &peerGone)
		if err != nil {
			return res, err
		}
		res.Workloads = append(res.Workloads, wr)
	}
	if peerGone != "" {
		res.Notes = append(res.Notes, "PyTorch skipped: "+peerGone)
	}
	res.Machine.LoadEnd = loadAvg()
	return res, nil
}

// runWorkload runs every round of one workload.
func runWorkload(ctx context.Context, cfg *Config, env *Env, w *Workload, systems []string, peerGone *string) (WorkloadResult, error) {
	wr := WorkloadResult{Name: w.Name, Description: w.Description, Samples: w.Samples, FLOPs: w.FLOPs}
	warm, steps := cfg.Warmup, cfg.Steps
	if warm == 0 {
		warm = w.warmup()
	}
	if steps == 0 {
		steps = max(1, int(math.Round(float64(w.steps())*cfg.Scale)))
	}
	workers := map[string]worker{}
	blocks := map[string][]Block{}
	failed := map[string]string{}
	defer func() {
		for _, wk := range workers {
			_ = wk.Close()
		}
	}()
	var active []string
	for _, s := range systems {
		switch {
		case isPyTorch(s) && w.Reference == "":
			wr.Notes = appendOnce(wr.Notes, "no PyTorch reference")
		case isPyTorch(s) && *peerGone != "":
		case !isPyTorch(s) && w.setupFor(s) == nil:
			wr.Notes = append(wr.Notes, "no "+s+" implementation")
		default:
			active = append(active, s)
		}
	}
	for _, slot := range Schedule([]string{w.Name}, active, cfg.Rounds) {
		if err := ctx.Err(); err != nil {
			return wr, err
		}
		sys := slot.System
		if _, bad := failed[sys]; bad || (isPyTorch(sys) && *peerGone != "") {
			continue
		}
		wk, ok := workers[sys]
		if !ok {
			var err error
			wk, err = startWorker(ctx, cfg, env, w, sys)
			var un errUnavailable
			if errors.As(err, &un) {
				*peerGone = un.Error()
				fmt.Fprintf(cfg.Progress, "%s: skipping PyTorch: %v\n", w.Name, un)
				continue
			}
			if err != nil {
				failed[sys] = err.Error()
				fmt.Fprintf(cfg.Progress, "%s/%s: %v\n", w.Name, sys, err)
				continue
			}
			workers[sys] = wk
		}
		req := Request{Warmup: warm, Steps: steps, Check: slot.Round == cfg.Rounds-1}
		if slot.Round > 0 {
			req.Warmup = laterWarmup(warm)
		}
		b, err := wk.Run(ctx, req)
		if err != nil {
			if ctx.Err() != nil {
				return wr, ctx.Err()
			}
			failed[sys] = err.Error()
			fmt.Fprintf(cfg.Progress, "%s/%s round %d: %v\n", w.Name, sys, slot.Round+1, err)
			continue
		}
		blocks[sys] = append(blocks[sys], b)
		fmt.Fprintf(cfg.Progress, "%-14s round %d  %-11s median %s\n", w.Name, slot.Round+1, sys,
			fmtDuration(Summarize(stepTimes(b)).Median))
	}
	for _, s := range active {
		sr := summarizeSystem(w, s, blocks[s], warm)
		if wk, ok := workers[s]; ok {
			sr.Info = wk.Info()
		}
		sr.Error = failed[s]
		if sr.Error == "" && len(blocks[s]) == 0 {
			continue // a skipped peer
		}
		wr.Systems = append(wr.Systems, sr)
	}
	computeRatios(&wr)
	return wr, nil
}

// laterWarmup is the warm-up of every round after the first: a quarter of the first
// round's, enough to refill the caches that the other systems' blocks evicted.
func laterWarmup(warm int) int { return (warm + 3) / 4 }

func appendOnce(xs []string, s string) []string {
	if slices.Contains(xs, s) {
		return xs
	}
	return append(xs, s)
}

// startWorker starts the worker of one system.
func startWorker(ctx context.Context, cfg *Config, env *Env, w *Workload, sys string) (worker, error) {
	if isPyTorch(sys) {
		tc, err := ParseTorchSystem(sys)
		if err != nil {
			return nil, err
		}
		return startPeer(ctx, cfg.Peer, w.Reference, tc, env)
	}
	if cfg.GoWorker == nil {
		return startInProcess(w, sys, env)
	}
	argv, penv, err := goWorkerCommand(cfg.GoWorker, WorkerSpec{Workload: w.Name, System: sys, Seed: env.Seed, MNISTDir: env.MNISTDir})
	if err != nil {
		return nil, err
	}
	return startProcess(ctx, w.Name+"/"+sys, argv, penv)
}

// stepTimes returns a block's step times as float64 nanoseconds.
func stepTimes(b Block) []float64 {
	xs := make([]float64, len(b.StepNS))
	for i, t := range b.StepNS {
		xs[i] = float64(t)
	}
	return xs
}

// summarizeSystem pools a system's blocks into its result.
func summarizeSystem(w *Workload, sys string, blocks []Block, warm int) SystemResult {
	sr := SystemResult{System: sys}
	var all []float64
	var allocs, bytes, gcs uint64
	haveMem := len(blocks) > 0
	for i, b := range blocks {
		ts := stepTimes(b)
		all = append(all, ts...)
		rr := RoundResult{Step: Summarize(ts), GCs: b.GCs}
		n := float64(len(ts))
		if b.Allocs != nil && b.Bytes != nil && b.GCs != nil {
			a, by := float64(*b.Allocs)/n, float64(*b.Bytes)/n
			rr.AllocsPerStep, rr.BytesPerStep = &a, &by
			allocs += *b.Allocs
			bytes += *b.Bytes
			gcs += uint64(*b.GCs)
		} else {
			haveMem = false
		}
		sr.Rounds = append(sr.Rounds, rr)
		sr.PeakRSS = max(sr.PeakRSS, b.PeakRSS)
		if b.Quality != nil {
			sr.Quality = b.Quality
		}
		if i == 0 {
			sr.TrainedSteps += len(ts) + warm
		} else {
			sr.TrainedSteps += len(ts) + laterWarmup(warm)
		}
	}
	sr.Step = Summarize(all)
	if haveMem {
		n := float64(len(all))
		a, by := float64(allocs)/n, float64(bytes)/n
		sr.AllocsPerStep, sr.BytesPerStep, sr.GCs = &a, &by, &gcs
	}
	if sr.Step.N > 0 && sr.Step.Median > 0 {
		if w.Samples > 0 {
			sr.SamplesPerSec = float64(w.Samples) / (sr.Step.Median / 1e9)
		}
		if w.FLOPs > 0 {
			sr.GFLOPS = w.FLOPs / sr.Step.Median // FLOP per ns is GFLOP/s
		}
	}
	return sr
}
