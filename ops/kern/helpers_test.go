package kern

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gradflow/gradflow/ops/blas"
)

// specials are the values every kernel test includes: NaN of both signs, ±Inf, ±0,
// float32 and float64 denormals, huge values, and the ends of the kernels' ranges
// (GELU's 13√2 and 18.4, exp's -745 and -1000).
var specials = []float64{math.NaN(), -math.NaN(), math.Inf(1), math.Inf(-1), 0, math.Copysign(0, -1),
	1e-45, -1e-45, 1e-40, -1e-40, 1e-310, -1e-310, math.MaxFloat32, -math.MaxFloat32, 1e30, -1e30,
	1e300, -1e300, 1, -1, 0.5, -0.5, 18.3, -18.3, 18.4, -18.4, 13 * math.Sqrt2, -13 * math.Sqrt2,
	700, -700, 745.2, -745.2, 1000, -1000, 1e-8, -1e-8}

// lengths cover every tail of 8- and 16-lane vectors, and a few long slices.
var lengths = func() []int {
	var l []int
	for n := 0; n <= 40; n++ {
		l = append(l, n)
	}
	return append(l, 63, 64, 65, 1001)
}()

// values returns n test values: specials, arbitrary bit patterns and normals of
// several scales, mixed.
func values(r *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		switch r.IntN(4) {
		case 0:
			v[i] = specials[r.IntN(len(specials))]
		case 1:
			v[i] = math.Float64frombits(r.Uint64())
		case 2:
			v[i] = float64(math.Float32frombits(r.Uint32()))
		default:
			v[i] = r.NormFloat64() * math.Pow(10, float64(r.IntN(6)-2))
		}
	}
	return v
}

func to32(v []float64) []float32 {
	s := make([]float32, len(v))
	for i, x := range v {
		s[i] = float32(x)
	}
	return s
}

func clone[T any](s []T) []T { return append([]T(nil), s...) }

// simdPaths runs f on every path above Generic that this machine has; f compares
// the path's result with the Go body's, computed by goBody (which runs f's callback
// with the Generic path forced).
func simdPaths(t *testing.T, f func(t *testing.T, p blas.Path)) {
	t.Helper()
	start := blas.Active()
	t.Cleanup(func() { setPath(t, start) })
	ran := false
	for p := blas.Detected(); p > blas.PathGeneric; p-- {
		if !blas.Supported(p) { // arm64: NEON and generic only
			continue
		}
		ran = true
		t.Run(p.String(), func(t *testing.T) { f(t, p) })
	}
	if !ran {
		t.Log("no SIMD path on this machine (or build): only the Go bodies run")
		t.Run("generic", func(t *testing.T) { f(t, blas.PathGeneric) })
	}
}

func setPath(t *testing.T, p blas.Path) {
	t.Helper()
	if err := blas.SetPath(p); err != nil {
		t.Fatal(err)
	}
}

// on runs fn with path p forced.
func on(t *testing.T, p blas.Path, fn func()) {
	t.Helper()
	start := blas.Active()
	setPath(t, p)
	fn()
	setPath(t, start)
}

// ulps returns the distance in float32 steps between a and b (0 for equal values,
// both NaN, or ±0; a large number for a NaN against a number).
func ulps(a, b float32) int64 {
	if a == b || (a != a && b != b) {
		return 0
	}
	if a != a || b != b {
		return 1 << 40
	}
	ia, ib := int64(math.Float32bits(a)), int64(math.Float32bits(b))
	if ia < 0x80000000 == (ib < 0x80000000) {
		return max(ia-ib, ib-ia)
	}
	// opposite signs: distance through zero
	return (ia &^ 0x80000000) + (ib &^ 0x80000000)
}

// sameBits32 and sameBits64 report bit-identical slices (NaN payloads included),
// naming the first difference.
func sameBits32(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: element %d of %d = %v (%#x), Go body %v (%#x)", what, i, len(want), got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

func sameBits64(t *testing.T, what string, got, want []float64) {
	t.Helper()
	for i := range want {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			t.Fatalf("%s: element %d of %d = %v, Go body %v", what, i, len(want), got[i], want[i])
		}
	}
}

// within32 checks got against the Go body's want to maxULP float32 steps (NaN
// matching NaN), and that at most a fraction frac of the elements differ at all.
func within32(t *testing.T, what string, got, want []float32, maxULP int64, frac float64) {
	t.Helper()
	diff := 0
	for i := range want {
		d := ulps(got[i], want[i])
		if d > maxULP {
			t.Fatalf("%s: element %d of %d = %v, Go body %v: %d ulps, want <= %d", what, i, len(want), got[i], want[i], d, maxULP)
		}
		if d != 0 {
			diff++
		}
	}
	if float64(diff) > frac*float64(len(want))+1 {
		t.Errorf("%s: %d of %d elements differ from the Go body, want <= %.0f", what, diff, len(want), frac*float64(len(want))+1)
	}
}

// sameValues32 and sameValues64 are sameBits32 and sameBits64 with any NaN equal to
// any NaN (the payload of a NaN input may be quieted on one path and not the other).
func sameValues32(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
			t.Fatalf("%s: element %d of %d = %v (%#x), Go body %v (%#x)", what, i, len(want), got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

func sameValues64(t *testing.T, what string, got, want []float64) {
	t.Helper()
	for i := range want {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
			t.Fatalf("%s: element %d of %d = %v, Go body %v", what, i, len(want), got[i], want[i])
		}
	}
}
