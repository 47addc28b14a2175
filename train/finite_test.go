package train

import (
	"math"
	"testing"
)

func TestFirstNonFinite(t *testing.T) {
	for _, n := range []int{0, 1, 3, 4, 5, 1023, 1024, 1025, 5000} {
		for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
			for _, at := range []int{0, n / 2, n - 1} {
				if n == 0 {
					continue
				}
				x := make([]float32, n)
				y := make([]float64, n)
				for i := range x {
					x[i] = float32(i%7) - 3e30 // large but finite; x*0 stays 0
					y[i] = float64(i%7) - 1e300
				}
				if i, _ := firstNonFinite(x); i != -1 {
					t.Fatalf("n=%d all finite: got index %d", n, i)
				}
				x[at], y[at] = float32(bad), bad
				if n > 2 && at != n-1 {
					x[n-1], y[n-1] = float32(bad), bad // a later one must not win
				}
				if i, v := firstNonFinite(x); i != at || !(math.IsNaN(v) || math.IsInf(v, 0)) {
					t.Fatalf("float32 n=%d bad %v at %d: got %d, %v", n, bad, at, i, v)
				}
				if i, _ := firstNonFinite(y); i != at {
					t.Fatalf("float64 n=%d bad %v at %d: got %d", n, bad, at, i)
				}
			}
		}
	}
	if i, _ := firstNonFinite([]float64{}); i != -1 {
		t.Fatal("empty slice: want -1")
	}
}

func BenchmarkFirstNonFinite(b *testing.B) {
	x := make([]float32, 1<<19)
	b.SetBytes(int64(4 * len(x)))
	for b.Loop() {
		firstNonFinite(x)
	}
}
