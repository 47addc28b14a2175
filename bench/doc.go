// Package bench measures gradflow's workloads side by side with peers (PyTorch, raw
// gorgonia), in the same run on the same machine. The command is bench/cmd/gradbench:
//
//	go run ./bench/cmd/gradbench -workload mlp,xor,gemm -json run.json -benchfmt run.txt
//
// # Workloads and systems
//
// A Workload is a named benchmark (its batch size, FLOP count and default step
// counts) with one implementation per system:
//
//   - gradflow: Workload.Setup, built from gradflow's packages (graph, nn, train);
//   - gorgonia: Workload.Gorgonia, the same model written directly with gorgonia's
//     API and solvers (package rawgorgonia imports no gradflow package), which shows
//     the cost or gain of gradflow's layer;
//   - pytorch-1t, pytorch-1t-ob2, pytorch-2t, pytorch-2t-ob2: the reference in
//     bench/reference/worker.py named by Workload.Reference, run by Debian's python3
//     in every TorchConfig: torch.set_num_threads(1) and (2), each with OpenBLAS on one
//     and on two threads (OPENBLAS_NUM_THREADS; "-ob2" in the name, see PeerConfig).
//     Ratios compare against the fastest configuration of each round (BestPyTorch).
//
// A Setup returns an Instance: the Step to time, and optionally a Check that reports
// the Quality of the results (accuracy, final loss, numeric error) after the timed
// steps, so that speed is never bought with wrong results. The built-in workloads are
// GEMM (float32 and float64, 256 to 2048 square, through gorgonia.WhichBLAS and gonum),
// an MLP 784-512-256-10 on MNIST with Adam and batch 128 (float32 and float64), XOR
// 2-8-1 with batch 4 (per-step overhead), a LeNet CNN on MNIST with batch 64
// (workloads_cnn.go), and an LSTM text classifier and a Transformer encoder block on
// synthetic data that the Go side and worker.py generate identically (workloads_seq.go,
// synth.go).
//
// Adding a workload takes a few lines: register it in an init function of a program
// that calls Main (see Example_customWorkload):
//
//	bench.MustRegister(bench.Workload{
//		Name: "my-model", Description: "...", Samples: 64,
//		Setup: func(env *bench.Env) (*bench.Instance, error) {
//			// build the model, load data (env.MNIST), return its Step and Check
//		},
//	})
//
// # Measurement
//
// Run executes a Schedule: for each workload, Config.Rounds rounds, and in each round
// one block of every system, in turn (A B C, A B C, ...), so that a slow moment of a
// shared machine hits all systems alike. A block is warm-up steps (the workload's in
// the first round, a quarter of them later, to refill caches), a garbage collection,
// then timed steps, each timed alone. Per system the harness reports the median, min
// and max step time over all timed steps, samples/s (or GFLOP/s) from the median,
// allocations and bytes per step and the GC count (runtime.MemStats deltas over the
// timed steps, Go systems only), peak resident memory (VmHWM of the worker process),
// and the quality check after the last round. A Ratio divides the peer's median step
// time by the system's in each round and summarises the rounds: it is a throughput
// ratio, > 1 when the system is faster.
//
// Every system runs in a worker process of its own, so that peak memory is its own:
// gradbench re-executes itself with WorkerEnv set for Go systems (ServeWorker), and
// starts worker.py for PyTorch. Workers speak JSON lines: a hello, then one Block per
// Request. Config.GoWorker nil (gradbench -inprocess, and the tests) runs the Go
// systems in the harness's own process instead.
//
// # Output and baselines
//
// Result.WriteTable prints the table, Result.WriteJSON the full result (ReadJSON reads
// it back), Result.WriteBenchfmt the Go benchmark format that benchstat reads, one line
// per round. Compare checks a new Result against a saved one: a system whose median
// step time grew by more than the threshold is a regression, and gradbench
// -fail-on-regression exits with status 1.
//
// The workloads' single steps are also Go benchmarks (go test -bench Step ./bench).
package bench
