package blas

import (
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// sizes are the edge lengths tested: around every tile (4, 6, 14, 16, 32)
// and blocking boundary, and both sides of powers of two.
var sizes = []int{1, 2, 3, 7, 15, 17, 31, 33, 63, 65, 127, 129, 257}

// rectangles mix short, long and odd dimensions (m, n, k).
var rectangles = [][3]int{
	{1, 300, 7}, {300, 1, 9}, {5, 3, 400}, {129, 17, 2}, {17, 129, 65},
	{64, 10, 784}, {128, 512, 33}, {33, 65, 129}, {200, 7, 31}, {2, 257, 63},
}

// testBothTypes runs f for float32 and float64 with every kernel.
func testBothTypes(t *testing.T, f32 func(t *testing.T), f64 func(t *testing.T)) {
	t.Run("float32", func(t *testing.T) { forEachKernel[float32](t, f32) })
	t.Run("float64", func(t *testing.T) { forEachKernel[float64](t, f64) })
}

// sizeCases are all transpose combinations over sizes and rectangles, with
// padded leading dimensions on every other case.
func sizeCases() []gemmCase {
	var shapes [][3]int
	for _, s := range sizes {
		shapes = append(shapes, [3]int{s, s, s})
	}
	shapes = append(shapes, rectangles...)
	var cases []gemmCase
	for i, s := range shapes {
		for _, tA := range transposes {
			for _, tB := range transposes {
				pad := (i % 2) * 3
				cases = append(cases, gemmCase{tA: tA, tB: tB, m: s[0], n: s[1], k: s[2],
					alpha: 1.5, beta: -0.5, padA: pad, padB: 2 * pad, padC: pad + 1})
			}
		}
	}
	return cases
}

func TestGemmSizes(t *testing.T) {
	setVar(t, &smallWork, 0) // every size through the packed kernels
	cases := sizeCases()
	run := func(t *testing.T, f func(t *testing.T, c gemmCase)) {
		for _, c := range cases {
			if testing.Short() && c.m*c.n*c.k > 1<<20 {
				continue
			}
			f(t, c)
		}
	}
	testBothTypes(t,
		func(t *testing.T) {
			run(t, func(t *testing.T, c gemmCase) { runCase[float32](t, Implementation{}, c, 1) })
		},
		func(t *testing.T) {
			run(t, func(t *testing.T, c gemmCase) { runCase[float64](t, Implementation{}, c, 2) })
		})
}

// alphaBetaCases cover alpha and beta in {0, 1, -0.5, 2} for every
// transpose combination, on a shape with full and edge tiles.
func alphaBetaCases() []gemmCase {
	scalars := []float64{0, 1, -0.5, 2}
	var cases []gemmCase
	for _, tA := range transposes {
		for _, tB := range transposes {
			for _, alpha := range scalars {
				for _, beta := range scalars {
					cases = append(cases, gemmCase{tA: tA, tB: tB, m: 45, n: 70, k: 37, alpha: alpha, beta: beta, padC: 2})
				}
			}
		}
	}
	return cases
}

func TestGemmAlphaBeta(t *testing.T) {
	for _, small := range []int{0, 1 << 30} { // packed and triple-loop paths
		setVar(t, &smallWork, small)
		testBothTypes(t,
			func(t *testing.T) {
				for _, c := range alphaBetaCases() {
					runCase[float32](t, Implementation{}, c, 3)
				}
			},
			func(t *testing.T) {
				for _, c := range alphaBetaCases() {
					runCase[float64](t, Implementation{}, c, 4)
				}
			})
	}
}

// TestGemmBetaZeroNaN checks that beta = 0 overwrites C without reading it,
// as gonum does: NaNs already in C must not leak into the result.
func TestGemmBetaZeroNaN(t *testing.T) {
	for _, small := range []int{0, 1 << 30} {
		setVar(t, &smallWork, small)
		var cases []gemmCase
		for _, tA := range transposes {
			for _, tB := range transposes {
				for _, alpha := range []float64{0, 1, 2} {
					for _, s := range [][3]int{{45, 70, 37}, {1, 1, 1}, {14, 32, 5}, {3, 5, 0}} {
						cases = append(cases, gemmCase{tA: tA, tB: tB, m: s[0], n: s[1], k: s[2], alpha: alpha, nanC: true, padC: 1})
					}
				}
			}
		}
		testBothTypes(t,
			func(t *testing.T) {
				for _, c := range cases {
					runCase[float32](t, Implementation{}, c, 5)
				}
			},
			func(t *testing.T) {
				for _, c := range cases {
					runCase[float64](t, Implementation{}, c, 6)
				}
			})
	}
}

// TestGemmBlocking shrinks the cache blocks to a few tiles so that small
// problems cross every mc, kc and nc boundary, with and without threads.
func TestGemmBlocking(t *testing.T) {
	setVar(t, &smallWork, 0)
	setVar(t, &minWorkPerThread, 1)
	shapes := [][3]int{{61, 75, 29}, {100, 33, 50}, {9, 140, 17}}
	var cases []gemmCase
	for _, s := range shapes {
		for _, tA := range transposes {
			for _, tB := range transposes {
				cases = append(cases, gemmCase{tA: tA, tB: tB, m: s[0], n: s[1], k: s[2], alpha: 2, beta: -0.5, padA: 1, padB: 2, padC: 3})
			}
		}
	}
	for _, threads := range []int{1, 2, 3} {
		impl := Implementation{Threads: threads}
		t.Run("float32", func(t *testing.T) {
			for _, kn := range kernelList[float32]() {
				kn.mc, kn.kc, kn.nc = 2*kn.mr, 7, 2*kn.nr
				useKernel(t, &kn)
				for _, c := range cases {
					runCase[float32](t, impl, c, 7)
				}
			}
		})
		t.Run("float64", func(t *testing.T) {
			for _, kn := range kernelList[float64]() {
				kn.mc, kn.kc, kn.nc = 2*kn.mr, 7, 2*kn.nr
				useKernel(t, &kn)
				for _, c := range cases {
					runCase[float64](t, impl, c, 8)
				}
			}
		})
	}
}

// TestGemmParallel checks the split of large problems across goroutines,
// along m and along n, and concurrent calls that find the workers busy.
func TestGemmParallel(t *testing.T) {
	cases := []gemmCase{
		{tA: blas.NoTrans, tB: blas.NoTrans, m: 300, n: 130, k: 200, alpha: 1, beta: 0.5, padA: 1},
		{tA: blas.Trans, tB: blas.NoTrans, m: 130, n: 301, k: 200, alpha: 1, beta: 0, padB: 1},
		{tA: blas.NoTrans, tB: blas.Trans, m: 257, n: 255, k: 129, alpha: -0.5, beta: 1, padC: 5},
		{tA: blas.Trans, tB: blas.Trans, m: 100, n: 400, k: 70, alpha: 2, beta: 2, padA: 3, padB: 3},
	}
	for _, threads := range []int{0, 2, 4} {
		impl := Implementation{Threads: threads}
		testBothTypes(t,
			func(t *testing.T) {
				for _, c := range cases {
					runCase[float32](t, impl, c, 9)
				}
			},
			func(t *testing.T) {
				for _, c := range cases {
					runCase[float64](t, impl, c, 10)
				}
			})
	}
	t.Run("concurrent", func(t *testing.T) {
		done := make(chan bool)
		for g := 0; g < 4; g++ {
			go func() {
				defer func() { done <- true }()
				for _, c := range cases {
					runCase[float32](t, Implementation{}, c, 11)
					runCase[float64](t, Implementation{}, c, 12)
				}
			}()
		}
		for g := 0; g < 4; g++ {
			<-done
		}
	})
}

// TestGemmGonumFallback checks the path taken on amd64 CPUs without AVX2,
// which calls gonum: results must be gonum's, bit for bit.
func TestGemmGonumFallback(t *testing.T) {
	old := useGonum
	useGonum = true
	defer func() { useGonum = old }()
	if got := kernelName(); got != "gonum" {
		t.Errorf("kernelName() = %q, want gonum", got)
	}
	a := []float64{1, 2, 3, 4, 5, 6}
	got, want := make([]float64, 4), make([]float64, 4)
	Implementation{}.Dgemm(blas.NoTrans, blas.Trans, 2, 2, 3, 0.3, a, 3, a, 3, 0, got, 2)
	gonum.Implementation{}.Dgemm(blas.NoTrans, blas.Trans, 2, 2, 3, 0.3, a, 3, a, 3, 0, want, 2)
	a32 := []float32{1, 2, 3, 4, 5, 6}
	got32, want32 := make([]float32, 4), make([]float32, 4)
	Implementation{}.Sgemm(blas.Trans, blas.NoTrans, 2, 2, 3, 0.3, a32, 2, a32, 2, 0, got32, 2)
	gonum.Implementation{}.Sgemm(blas.Trans, blas.NoTrans, 2, 2, 3, 0.3, a32, 2, a32, 2, 0, want32, 2)
	for i := range got {
		if got[i] != want[i] || got32[i] != want32[i] {
			t.Errorf("C[%d] = %v, %v; want gonum's %v, %v", i, got[i], got32[i], want[i], want32[i])
		}
	}
}
