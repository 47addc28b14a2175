package ops

import (
	"math"
	"math/rand/v2"
	"testing"
)

// rowMax agrees with folding the max builtin from -Inf on every length up to 40, with
// NaNs, infinities and signed zeros mixed in (a zero tie may differ in sign only).
func TestRowMax(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	specials := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, math.Copysign(0, -1), -1e30}
	for trial := 0; trial < 2000; trial++ {
		n := r.IntN(41)
		v64 := make([]float64, n)
		for i := range v64 {
			v64[i] = r.NormFloat64() * 10
			if r.IntN(8) == 0 {
				v64[i] = specials[r.IntN(len(specials))]
			}
		}
		v32 := make([]float32, n)
		for i, x := range v64 {
			v32[i] = float32(x)
		}
		want64, want32 := math.Inf(-1), float32(math.Inf(-1))
		for i := range v64 {
			want64, want32 = max(want64, v64[i]), max(want32, v32[i])
		}
		if got := rowMax(v64); got != want64 && !(math.IsNaN(got) && math.IsNaN(want64)) {
			t.Fatalf("rowMax(%v) = %v, want %v", v64, got, want64)
		}
		if got := rowMax(v32); got != want32 && !(got != got && want32 != want32) {
			t.Fatalf("rowMax(%v) = %v, want %v", v32, got, want32)
		}
	}
}
