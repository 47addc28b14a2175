// Command gradbench measures gradflow's workloads side by side with raw gorgonia and
// PyTorch, interleaving their runs, and reports step times, throughput, memory,
// quality and speed ratios.
//
//	go run ./bench/cmd/gradbench -workload mlp,xor,gemm -json out.json -benchfmt out.txt
//	go run ./bench/cmd/gradbench -workload mlp -baseline out.json -threshold 10% -fail-on-regression
//	go run ./bench/cmd/gradbench -list
//
// See docs/benchmarks.md and the package bench for the flags and how to add a workload.
package main

import (
	"os"

	"github.com/gradflow/gradflow/bench"
)

func main() { os.Exit(bench.Main(os.Args[1:], os.Stdout, os.Stderr)) }
