package bench

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
	"gorgonia.org/gorgonia"
)

// GEMM workloads: C = A·B for square float32 and float64 matrices. "gradflow" is the
// BLAS that gorgonia (and so gradflow) uses now, gorgonia.WhichBLAS(), which a faster
// implementation installed with gorgonia.Use replaces; "gorgonia" is gonum's pure-Go
// BLAS, gorgonia's default, so that the two part ways once gradflow installs its own.
func init() {
	for _, dt := range []string{"f32", "f64"} {
		for _, n := range []int{256, 512, 1024, 2048} {
			warm, steps := gemmSteps(n)
			MustRegister(Workload{
				Name:        fmt.Sprintf("gemm-%s-%d", dt, n),
				Description: fmt.Sprintf("GEMM %s %dx%d · %dx%d", map[string]string{"f32": "float32", "f64": "float64"}[dt], n, n, n, n),
				FLOPs:       2 * float64(n) * float64(n) * float64(n),
				Warmup:      warm,
				Steps:       steps,
				Setup:       gemmSetup(dt == "f32", n, func() gorgonia.BLAS { return gorgonia.WhichBLAS() }),
				Gorgonia:    gemmSetup(dt == "f32", n, func() gorgonia.BLAS { return gonum.Implementation{} }),
				Reference:   fmt.Sprintf("gemm-%s-%d", dt, n),
			})
		}
	}
}

// gemmSteps returns warm-up and timed steps per round that keep a block of the
// slowest system near a second on a 2-core machine.
func gemmSteps(n int) (warm, steps int) {
	switch {
	case n <= 256:
		return 5, 50
	case n <= 512:
		return 3, 20
	case n <= 1024:
		return 2, 6
	}
	return 1, 3
}

// gemmSetup returns the Setup of an n×n GEMM through the BLAS that impl returns when
// the workload is set up.
func gemmSetup(f32 bool, n int, impl func() gorgonia.BLAS) Setup {
	return func(env *Env) (*Instance, error) {
		r := rand.New(rand.NewPCG(env.Seed, 0x6e33))
		a, b := make([]float64, n*n), make([]float64, n*n)
		for i := range a {
			a[i], b[i] = 2*r.Float64()-1, 2*r.Float64()-1
		}
		bl := impl()
		if f32 {
			a32, b32, c32 := toF32(a), toF32(b), make([]float32, n*n)
			return &Instance{
				Step: func() error {
					bl.Sgemm(blas.NoTrans, blas.NoTrans, n, n, n, 1, a32, n, b32, n, 0, c32, n)
					return nil
				},
				Check: func() (Quality, error) {
					return Quality{"max_rel_err": gemmError(n, a, b, func(i int) float64 { return float64(c32[i]) })}, nil
				},
			}, nil
		}
		c := make([]float64, n*n)
		return &Instance{
			Step: func() error {
				bl.Dgemm(blas.NoTrans, blas.NoTrans, n, n, n, 1, a, n, b, n, 0, c, n)
				return nil
			},
			Check: func() (Quality, error) {
				return Quality{"max_rel_err": gemmError(n, a, b, func(i int) float64 { return c[i] })}, nil
			},
		}, nil
	}
}

func toF32(xs []float64) []float32 {
	out := make([]float32, len(xs))
	for i, x := range xs {
		out[i] = float32(x)
	}
	return out
}

// gemmError returns the largest error of 64 sampled entries of C = A·B against a
// float64 dot product, relative to |row of A|·|column of B|, which bounds the entry
// and scales its rounding error. float32 gives about 1e-7, float64 about 1e-16; a
// wrong kernel gives about 1.
func gemmError(n int, a, b []float64, c func(int) float64) float64 {
	r := rand.New(rand.NewPCG(7, 7))
	worst := 0.0
	for k := 0; k < 64; k++ {
		i, j := r.IntN(n), r.IntN(n)
		var dot, ra, cb float64
		for l := 0; l < n; l++ {
			x, y := a[i*n+l], b[l*n+j]
			dot += x * y
			ra += x * x
			cb += y * y
		}
		scale := math.Sqrt(ra * cb)
		if scale == 0 {
			scale = 1
		}
		worst = max(worst, math.Abs(c(i*n+j)-dot)/scale)
	}
	return worst
}
