package ops

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkGELUKernel times the float32 kernels (AVX-512 where the CPU has it, and Go)
// against the float64 path rounded to float32, on the bench transformer's
// feed-forward activation, (2048, 512), serial.
func BenchmarkGELUKernel(b *testing.B) {
	n := 2048 * 512
	rng := rand.New(rand.NewPCG(1, 1))
	x, y, dy, dx := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range x {
		x[i], dy[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
	}
	saved := useAVX512
	defer func() { useAVX512 = saved }()
	for _, simd := range []bool{saved, false} {
		kernel := "go"
		if simd {
			kernel = "avx512"
		}
		useAVX512 = simd
		b.Run("forward/"+kernel, func(b *testing.B) {
			for b.Loop() {
				geluF32(x, y)
			}
		})
		b.Run("backward/"+kernel, func(b *testing.B) {
			for b.Loop() {
				geluGradF32(x, dy, dx)
			}
		})
	}
	b.Run("float64-reference", func(b *testing.B) {
		for b.Loop() {
			for i, v := range x {
				y[i] = float32(gelu(float64(v)))
			}
		}
	})
}
