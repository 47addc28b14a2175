package bench

import (
	"testing"

	"github.com/gradflow/gradflow/train/data"
)

// benchEnv is shared by the benchmarks so that MNIST is loaded once.
var benchEnv = &Env{Seed: 1}

// BenchmarkStep times single steps of the workloads on the Go systems with go test:
//
//	go test -run '^$' -bench Step ./bench
//
// It covers the workloads whose steps take at most tens of milliseconds (the larger
// GEMMs are left to gradbench), so that a step can be profiled with -cpuprofile. The
// MLP and the CNN need the MNIST files and are skipped without them.
func BenchmarkStep(b *testing.B) {
	for _, name := range []string{"xor", "mlp-f32", "mlp-f64", "gemm-f32-256", "gemm-f64-256", "gemm-f32-512", "gemm-f64-512", "cnn", "lstm", "transformer"} {
		w := Lookup(name)
		for _, sys := range []string{Gradflow, Gorgonia} {
			if sys == Gorgonia && w.Gorgonia == nil {
				continue
			}
			b.Run(name+"/"+sys, func(b *testing.B) {
				if usesMNIST(name) {
					if _, err := data.MNISTDir(); err != nil {
						b.Skip(err)
					}
				}
				inst, err := w.setupFor(sys)(benchEnv)
				if err != nil {
					b.Fatal(err)
				}
				if inst.Close != nil {
					defer inst.Close()
				}
				b.ReportAllocs()
				for b.Loop() {
					if err := inst.Step(); err != nil {
						b.Fatal(err)
					}
				}
				if w.Samples > 0 {
					b.ReportMetric(float64(w.Samples)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
				}
				if w.FLOPs > 0 {
					b.ReportMetric(w.FLOPs*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				}
			})
		}
	}
}
