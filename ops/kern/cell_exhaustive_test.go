package kern

import (
	"math"
	"testing"

	"github.com/gradflow/gradflow/ops/blas"
)

// TestCellsExhaustive runs tanh (TanhBias) and sigmoid (the i gate of LSTMCell) on
// every float32 in [-20, 20] at a stride of 4099 bit patterns, on each SIMD path
// against the Go body: within one ulp, and it logs how many arguments differ.
func TestCellsExhaustive(t *testing.T) {
	var x []float32
	for v := float32(-20); v <= 20; v = math.Nextafter32(v, 30) {
		if len(x) == 0 || math.Float32bits(v)%4099 == 0 {
			x = append(x, v)
		}
	}
	x = x[:len(x)&^7]
	H := len(x)
	row := make([]float32, LSTMWidth*H)
	copy(row, x)
	cPrev := make([]float32, H)
	tanh := func() []float32 { out := clone(x); TanhBias(out, nil); return out }
	sig := func() []float32 { out := clone(row); LSTMCell(out, cPrev, nil, H); return out[:H] }
	var wantT, wantS []float32
	on(t, blas.PathGeneric, func() { wantT, wantS = tanh(), sig() })
	simdPaths(t, func(t *testing.T, p blas.Path) {
		var gotT, gotS []float32
		on(t, p, func() { gotT, gotS = tanh(), sig() })
		for _, c := range []struct {
			what      string
			got, want []float32
		}{{"tanh", gotT, wantT}, {"sigmoid", gotS, wantS}} {
			diff := 0
			for i := range c.want {
				if d := ulps(c.got[i], c.want[i]); d > 1 {
					t.Fatalf("%s(%v) = %v, Go body %v (%d ulps)", c.what, x[i], c.got[i], c.want[i], d)
				} else if d == 1 {
					diff++
				}
			}
			t.Logf("%s: %d of %d arguments differ by one ulp", c.what, diff, len(x))
		}
	})
}
