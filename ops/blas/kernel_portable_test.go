package blas

import "testing"

// portableTiles returns both generated portable kernels for T, whichever
// addGeneric picked on this architecture, so that each is tested everywhere.
func portableTiles[T float]() []kernel[T] {
	return []kernel[T]{
		{name: "go5x2", mr: 5, nr: 2, mc: 120, kc: 256, nc: 1024, fn: kernelGo5x2[T]},
		{name: "go4x4", mr: 4, nr: 4, mc: 128, kc: 256, nc: 1024, fn: kernelGo4x4[T]},
	}
}

// TestPortableTiles runs the size, transpose, alpha/beta and beta = 0 NaN
// cases on both portable tiles, with the cache blocks also shrunk to a few
// tiles so that the k blocks accumulate into C.
func TestPortableTiles(t *testing.T) {
	setVar(t, &smallWork, 0)
	cases := append(sizeCases(), alphaBetaCases()...)
	for _, tA := range transposes {
		for _, tB := range transposes {
			cases = append(cases, gemmCase{tA: tA, tB: tB, m: 45, n: 70, k: 37, alpha: 2, nanC: true, padC: 1})
		}
	}
	run := func(t *testing.T, f func(c gemmCase)) {
		for _, c := range cases {
			if testing.Short() && c.m*c.n*c.k > 1<<20 {
				continue
			}
			f(c)
		}
	}
	for i, kn32 := range portableTiles[float32]() {
		kn64 := portableTiles[float64]()[i]
		for _, small := range []bool{false, true} {
			name := kn32.name
			if small {
				name += "/small-blocks"
				kn32.mc, kn32.kc, kn32.nc = 2*kn32.mr, 16, 3*kn32.nr
				kn64.mc, kn64.kc, kn64.nc = 2*kn64.mr, 16, 3*kn64.nr
			}
			t.Run(name, func(t *testing.T) {
				t.Run("float32", func(t *testing.T) {
					useKernel(t, &kn32)
					run(t, func(c gemmCase) { runCase[float32](t, Implementation{}, c, 7) })
				})
				t.Run("float64", func(t *testing.T) {
					useKernel(t, &kn64)
					run(t, func(c gemmCase) { runCase[float64](t, Implementation{}, c, 8) })
				})
			})
		}
	}
}
