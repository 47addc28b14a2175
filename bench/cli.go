package bench

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"

	"github.com/pkg/errors"
)

// Main is the gradbench command: it parses args (without the program name), runs the
// selected workloads on the selected systems, prints the table, writes the files asked
// for and compares with a baseline. It returns the exit status: 0, 1 when a system
// failed or (with -fail-on-regression) a regression was found, 2 for bad usage.
//
// When the environment holds WorkerEnv, Main is a Go worker instead: the harness
// re-executes its own binary that way to run each Go system in a process of its own.
// A program that registers its own workloads and calls Main gets both for free.
func Main(args []string, stdout, stderr io.Writer) int {
	if spec, ok := os.LookupEnv(WorkerEnv); ok {
		return serveWorkerMain(spec, stderr)
	}
	fs := flag.NewFlagSet("gradbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		workloads  = fs.String("workload", "all", "comma-separated workloads or prefixes (mlp, xor, gemm, gemm-f32, ...), or all")
		systems    = fs.String("systems", "gradflow,gorgonia,pytorch", "comma-separated systems: gradflow, gorgonia, pytorch")
		rounds     = fs.Int("rounds", 3, "rounds; each runs a block of every system, interleaved")
		steps      = fs.Int("steps", 0, "timed steps per block (0: the workload's default)")
		warmup     = fs.Int("warmup", 0, "warm-up steps of the first block (0: the workload's default)")
		scale      = fs.Float64("scale", 1, "multiply the workloads' default steps")
		seed       = fs.Uint64("seed", 1, "seed of weights, data order and matrices")
		mnist      = fs.String("mnist", "", "directory of the MNIST IDX files (default: data.MNISTDir)")
		threads    = fs.String("torch-threads", "1,2", "torch.set_num_threads values to measure, each with every -blas-threads value")
		blasThr    = fs.String("blas-threads", "1,2", "OPENBLAS_NUM_THREADS values to measure PyTorch with")
		python     = fs.String("python", "", "Python interpreter with torch (default /usr/bin/python3)")
		script     = fs.String("reference", "", "PyTorch worker script (default: the bench/reference/worker.py built in)")
		keepBLAS   = fs.Bool("keep-openblas-env", false, "keep OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE for PyTorch")
		blasCore   = fs.String("openblas-core", "auto", "OPENBLAS_CORETYPE for PyTorch: auto (time the detected core and the candidates, take the fastest), detected, or a core name")
		inProc     = fs.Bool("inprocess", false, "run Go systems in this process (peak memory is then shared)")
		jsonOut    = fs.String("json", "", "write the result as JSON to this file")
		benchOut   = fs.String("benchfmt", "", "write the result in Go benchmark format (for benchstat) to this file")
		baseline   = fs.String("baseline", "", "compare with a result saved with -json")
		threshold  = fs.String("threshold", "10%", "slowdown beyond which a change is a regression")
		failOnRegr = fs.Bool("fail-on-regression", false, "exit with status 1 when a regression is found")
		regrSys    = fs.String("regress-systems", Gradflow, "systems whose slowdowns count as regressions (comma-separated; empty: all)")
		list       = fs.Bool("list", false, "list the workloads and exit")
		quiet      = fs.Bool("q", false, "print no progress")
	)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: gradbench [flags]\n\nMeasures gradflow's workloads side by side with raw gorgonia and PyTorch.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *list {
		for _, n := range Names() {
			w := Lookup(n)
			fmt.Fprintf(stdout, "%-14s %s\n", n, w.Description)
		}
		return 0
	}
	usage := func(err error) int {
		fmt.Fprintln(stderr, "gradbench:", err)
		return 2
	}
	thr, err := ParseThreshold(*threshold)
	if err != nil {
		return usage(err)
	}
	ws, err := Select(*workloads)
	if err != nil {
		return usage(err)
	}
	tt, err := parseInts(*threads)
	if err != nil {
		return usage(err)
	}
	bt, err := parseInts(*blasThr)
	if err != nil {
		return usage(err)
	}
	cfg := Config{
		Workloads: ws, Systems: splitList(*systems), Rounds: *rounds, Steps: *steps, Warmup: *warmup,
		Scale: *scale, Seed: *seed, MNISTDir: *mnist, TorchThreads: tt, BLASThreads: bt,
		Peer: PeerConfig{Python: *python, Script: *script, KeepOpenBLASEnv: *keepBLAS, OpenBLASCore: *blasCore},
	}
	if !*quiet {
		cfg.Progress = stderr
	}
	if !*inProc {
		exe, err := os.Executable()
		if err != nil {
			return usage(errors.Wrap(err, "cannot re-execute myself; use -inprocess"))
		}
		cfg.GoWorker = []string{exe}
	}
	var base *Result
	if *baseline != "" {
		if base, err = ReadJSONFile(*baseline); err != nil {
			return usage(err)
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "gradbench:", err)
		if res == nil {
			return 1
		}
	}
	status := 0
	if err != nil {
		status = 1
	}
	if werr := res.WriteTable(stdout); werr != nil {
		fmt.Fprintln(stderr, "gradbench:", werr)
		status = 1
	}
	for _, wr := range res.Workloads {
		for _, s := range wr.Systems {
			if s.Error != "" {
				status = 1
			}
		}
	}
	if *jsonOut != "" {
		if werr := writeFile(*jsonOut, res.WriteJSON); werr != nil {
			fmt.Fprintln(stderr, "gradbench:", werr)
			status = 1
		}
	}
	if *benchOut != "" {
		if werr := writeFile(*benchOut, res.WriteBenchfmt); werr != nil {
			fmt.Fprintln(stderr, "gradbench:", werr)
			status = 1
		}
	}
	if base != nil {
		cmp, cerr := Compare(base, res, thr, splitList(*regrSys))
		if cerr != nil {
			fmt.Fprintln(stderr, "gradbench:", cerr)
			return 1
		}
		fmt.Fprintln(stdout)
		_ = cmp.WriteText(stdout)
		if *failOnRegr && len(cmp.Regressions()) > 0 {
			status = 1
		}
	}
	return status
}

// serveWorkerMain runs a Go worker for the JSON spec on standard input and output.
func serveWorkerMain(specJSON string, stderr io.Writer) int {
	var spec WorkerSpec
	if err := json.Unmarshal([]byte(specJSON), &spec); err != nil {
		fmt.Fprintf(stderr, "gradbench worker: bad %s: %v\n", WorkerEnv, err)
		return 2
	}
	if err := ServeWorker(os.Stdin, os.Stdout, spec, defaultRegistry); err != nil {
		fmt.Fprintln(stderr, "gradbench worker:", err)
		return 1
	}
	return 0
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return errors.Wrap(err, "bench")
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return errors.Wrap(f.Close(), "bench")
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, p := range splitList(s) {
		v, err := strconv.Atoi(p)
		if err != nil || v < 1 {
			return nil, errors.Errorf("bench: %q is not a positive integer", p)
		}
		out = append(out, v)
	}
	return out, nil
}
