//go:build amd64 && !purego

package optim

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The AVX2 Adam kernel must give exactly what the scalar loop gives, for every length
// (tails included), with and without AdamW's decay, on ordinary and extreme values.
func TestAdamAVX2MatchesScalar(t *testing.T) {
	if !haveAVX2 {
		t.Skip("no AVX2")
	}
	t.Run("float32", func(t *testing.T) {
		checkAdamAVX2[float32](t, func(x float32) uint64 { return uint64(math.Float32bits(x)) })
	})
	t.Run("float64", func(t *testing.T) { checkAdamAVX2[float64](t, math.Float64bits) })
}

func checkAdamAVX2[T optimFloat](t *testing.T, bits func(T) uint64) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 64, 1000, 4099} {
		for _, decay := range []T{1, 0.999} {
			for step := 1; step <= 3; step++ {
				w := make([]T, n)
				g := make([]T, n)
				m := make([]T, n)
				v := make([]T, n)
				for i := range w {
					w[i] = T(r.NormFloat64())
					g[i] = T(r.NormFloat64() * math.Pow(10, float64(r.IntN(12)-6)))
					m[i] = T(r.NormFloat64() * 0.1)
					v[i] = T(r.Float64() * 0.01)
				}
				g[0], v[0] = 0, 0 // zero gradient on zero moment: sqrt(0)
				c := adamCoeffs[T]{
					beta1: 0.9, beta2: 0.999, oneMinusBeta1: T(1 - 0.9), oneMinusBeta2: T(1 - 0.999),
					decay: decay, stepSize: T(1e-3 / (1 - math.Pow(0.9, float64(step)))),
					bc2Sqrt: T(math.Sqrt(1 - math.Pow(0.999, float64(step)))), eps: 1e-8,
				}
				w2, g2 := append([]T(nil), w...), append([]T(nil), g...)
				m2, v2 := append([]T(nil), m...), append([]T(nil), v...)
				adamUpdate(w, g, [][]T{m, v}, c)
				haveAVX2 = false
				adamUpdate(w2, g2, [][]T{m2, v2}, c)
				haveAVX2 = true
				for i := range w {
					if bits(w[i]) != bits(w2[i]) || bits(m[i]) != bits(m2[i]) || bits(v[i]) != bits(v2[i]) {
						t.Fatalf("n=%d decay=%v step %d element %d: avx2 w,m,v = %v,%v,%v; scalar %v,%v,%v",
							n, decay, step, i, w[i], m[i], v[i], w2[i], m2[i], v2[i])
					}
				}
			}
		}
	}
}

func BenchmarkAdamUpdateF32(b *testing.B) {
	const n = 1 << 19
	w, g := make([]float32, n), make([]float32, n)
	bufs := [][]float32{make([]float32, n), make([]float32, n)}
	for i := range g {
		g[i] = float32(i%13) * 1e-3
	}
	c := adamCoeffs[float32]{beta1: 0.9, beta2: 0.999, oneMinusBeta1: 0.1, oneMinusBeta2: 0.001,
		decay: 1, stepSize: 1e-3, bc2Sqrt: 0.03, eps: 1e-8}
	for _, fast := range []bool{true, false} {
		name := "scalar"
		if fast {
			name = "avx2"
		}
		b.Run(name, func(b *testing.B) {
			saved := haveAVX2
			haveAVX2 = haveAVX2 && fast
			defer func() { haveAVX2 = saved }()
			b.SetBytes(4 * 4 * n)
			for b.Loop() {
				adamUpdate(w, g, bufs, c)
			}
		})
	}
}
