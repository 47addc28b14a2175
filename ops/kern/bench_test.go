package kern

import (
	"math/rand/v2"
	"testing"

	"github.com/gradflow/gradflow/ops/blas"
)

// BenchmarkGELU32 times the float32 GELU forward and backward on every path of this
// machine, on the bench transformer's feed-forward activation, (2048, 512), serial.
func BenchmarkGELU32(b *testing.B) {
	n := 2048 * 512
	rng := rand.New(rand.NewPCG(1, 1))
	x, y, dy, dx := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range x {
		x[i], dy[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
	}
	start := blas.Active()
	defer blas.SetPath(start)
	for p := blas.Detected(); p >= blas.PathGeneric; p-- {
		if !blas.Supported(p) { // arm64: NEON and generic only
			continue
		}
		if err := blas.SetPath(p); err != nil {
			b.Fatal(err)
		}
		b.Run("forward/"+p.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				GELU32(x, y)
			}
		})
		b.Run("backward/"+p.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				GELUGrad32(x, dy, dx)
			}
		})
	}
}
