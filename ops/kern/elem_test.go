package kern

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gradflow/gradflow/ops/blas"
)

// The AVX2 ReLU, ReLU mask and Add give exactly the Go bodies' bits on every length
// and special value; and the Go bodies are PyTorch's definitions.
func TestElem(t *testing.T) {
	simdPaths(t, func(t *testing.T, p blas.Path) {
		r := rand.New(rand.NewPCG(1, 2))
		for _, n := range lengths {
			x, dy := values(r, n), values(r, n)
			x32, dy32 := to32(x), to32(dy)
			var want32, wantG32, wantA32 []float32
			var want64, wantG64, wantA64 []float64
			on(t, blas.PathGeneric, func() {
				want32, wantG32, wantA32 = make([]float32, n), make([]float32, n), clone(x32)
				ReLU(x32, want32)
				ReLUGrad(x32, dy32, wantG32)
				Add(wantA32, dy32)
				want64, wantG64, wantA64 = make([]float64, n), make([]float64, n), clone(x)
				ReLU(x, want64)
				ReLUGrad(x, dy, wantG64)
				Add(wantA64, dy)
			})
			on(t, p, func() {
				got32, gotG32, gotA32 := make([]float32, n), make([]float32, n), clone(x32)
				ReLU(x32, got32)
				ReLUGrad(x32, dy32, gotG32)
				Add(gotA32, dy32)
				sameBits32(t, "ReLU float32", got32, want32)
				sameBits32(t, "ReLUGrad float32", gotG32, wantG32)
				sameBits32(t, "Add float32", gotA32, wantA32)
				got64, gotG64, gotA64 := make([]float64, n), make([]float64, n), clone(x)
				ReLU(x, got64)
				ReLUGrad(x, dy, gotG64)
				Add(gotA64, dy)
				sameBits64(t, "ReLU float64", got64, want64)
				sameBits64(t, "ReLUGrad float64", gotG64, wantG64)
				sameBits64(t, "Add float64", gotA64, wantA64)
				inPlace := clone(x32)
				ReLU(inPlace, inPlace)
				sameBits32(t, "ReLU in place", inPlace, want32)
			})
			for i := range x {
				wantY := x[i]
				if x[i] < 0 {
					wantY = 0
				}
				if math.Float64bits(want64[i]) != math.Float64bits(wantY) && !(math.IsNaN(wantY) && math.IsNaN(want64[i])) {
					t.Fatalf("Go ReLU(%v) = %v, want %v", x[i], want64[i], wantY)
				}
				wantD := dy[i]
				if want64[i] <= 0 {
					wantD = 0
				}
				if math.Float64bits(wantG64[i]) != math.Float64bits(wantD) && !(math.IsNaN(wantD) && math.IsNaN(wantG64[i])) {
					t.Fatalf("Go ReLUGrad(%v, %v) = %v, want %v", want64[i], dy[i], wantG64[i], wantD)
				}
				if s := x[i] + dy[i]; math.Float64bits(wantA64[i]) != math.Float64bits(s) && !(math.IsNaN(s) && math.IsNaN(wantA64[i])) {
					t.Fatalf("Go Add: %v + %v = %v, want %v", x[i], dy[i], wantA64[i], s)
				}
			}
		}
	})
}

// The AVX2 Adam gives exactly the Go body's values (bits, except the payload of a NaN
// made from a signalling NaN input: the AVX2 body always multiplies by Decay), with
// and without AdamW's decay, on ordinary and extreme values and every tail.
func TestAdam(t *testing.T) {
	simdPaths(t, func(t *testing.T, p blas.Path) {
		r := rand.New(rand.NewPCG(3, 4))
		for _, n := range lengths {
			for _, decay := range []float64{1, 0.999} {
				for step := 1; step <= 3; step++ {
					w, g, m := values(r, n), values(r, n), values(r, n)
					v := make([]float64, n)
					for i := range v {
						v[i] = math.Abs(r.NormFloat64()) * 0.01
					}
					if n > 0 {
						g[0], v[0] = 0, 0 // sqrt(0)
					}
					a := AdamArgs[float64]{Beta1: 0.9, Beta2: 0.999, OneMinusBeta1: 1 - 0.9, OneMinusBeta2: 1 - 0.999,
						Decay: decay, StepSize: 1e-3 / (1 - math.Pow(0.9, float64(step))),
						BC2Sqrt: math.Sqrt(1 - math.Pow(0.999, float64(step))), Eps: 1e-8}
					a32 := AdamArgs[float32]{Beta1: 0.9, Beta2: 0.999, OneMinusBeta1: float32(1 - 0.9), OneMinusBeta2: float32(1 - 0.999),
						Decay: float32(a.Decay), StepSize: float32(a.StepSize), BC2Sqrt: float32(a.BC2Sqrt), Eps: 1e-8}
					ww, mw, vw := clone(w), clone(m), clone(v)
					w32, g32, m32, v32 := to32(w), to32(g), to32(m), to32(v)
					ww32, mw32, vw32 := clone(w32), clone(m32), clone(v32)
					on(t, blas.PathGeneric, func() {
						Adam(ww, g, mw, vw, a)
						Adam(ww32, g32, mw32, vw32, a32)
					})
					on(t, p, func() {
						Adam(w, g, m, v, a)
						Adam(w32, g32, m32, v32, a32)
					})
					sameValues64(t, "Adam w", w, ww)
					sameValues64(t, "Adam m", m, mw)
					sameValues64(t, "Adam v", v, vw)
					sameValues32(t, "Adam float32 w", w32, ww32)
					sameValues32(t, "Adam float32 m", m32, mw32)
					sameValues32(t, "Adam float32 v", v32, vw32)
				}
			}
		}
	})
}
