package bench_test

import (
	"context"
	"fmt"

	"github.com/gradflow/gradflow/bench"
)

// A workload is a name, a Setup that returns the step to time, the samples per step
// and, optionally, a quality check. Register it (bench.Register, in an init function
// of your own gradbench main) to run it with the others; here it runs directly.
func Example_customWorkload() {
	dot := bench.Workload{
		Name:        "dot-1k",
		Description: "dot product of two 1024-vectors",
		FLOPs:       2 * 1024,
		Setup: func(env *bench.Env) (*bench.Instance, error) {
			x, y := make([]float64, 1024), make([]float64, 1024)
			for i := range x {
				x[i], y[i] = 1, 0.5
			}
			var sum float64
			return &bench.Instance{
				Step: func() error {
					sum = 0
					for i := range x {
						sum += x[i] * y[i]
					}
					return nil
				},
				Check: func() (bench.Quality, error) { return bench.Quality{"sum": sum}, nil },
			}, nil
		},
	}
	res, err := bench.Run(context.Background(), bench.Config{
		Workloads: []*bench.Workload{&dot},
		Systems:   []string{bench.Gradflow},
		Rounds:    2, Warmup: 1, Steps: 10,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	s := res.Workload("dot-1k").System(bench.Gradflow)
	fmt.Println(s.System, s.Step.N, "steps in", len(s.Rounds), "rounds;", s.Quality)
	// Output: gradflow 20 steps in 2 rounds; sum 512
}

// Ratios are throughput ratios computed round by round: > 1 means the system is
// faster than the one it is compared with.
func ExamplePairedRatio() {
	gradflow := []float64{20e6, 22e6, 21e6} // median step time per round, ns
	pytorch := []float64{3e6, 3.3e6, 3.2e6}
	r, _ := bench.PairedRatio("gradflow", "pytorch-1t", gradflow, pytorch)
	fmt.Printf("%.3fx (%.3f-%.3f) over %d rounds\n", r.Median, r.Min, r.Max, r.Rounds)
	// Output: 0.150x (0.150-0.152) over 3 rounds
}

func ExampleSelect() {
	ws, _ := bench.Select("mlp,gemm-f32")
	for _, w := range ws {
		fmt.Println(w.Name)
	}
	// Output:
	// gemm-f32-256
	// gemm-f32-512
	// gemm-f32-1024
	// gemm-f32-2048
	// mlp-f32
	// mlp-f64
}
