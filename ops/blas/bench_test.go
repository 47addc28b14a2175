package blas

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// benchSizes are the square sizes of the GEMM benchmarks.
var benchSizes = []int{256, 512, 1024, 2048}

// benchImpls are the implementations benchmarked side by side: this
// package with all threads and with one, and gonum's.
var benchImpls = []struct {
	name string
	impl interface {
		blas.Float32Level3
		blas.Float64Level3
	}
}{
	{"gradflow", Implementation{}},
	{"gradflow-1thread", Implementation{Threads: 1}},
	{"gonum", gonum.Implementation{}},
}

// benchGemm times C = A*B (n x n, no transposes) with impl and reports
// GFLOP/s, counting 2n^3 floating-point operations.
func benchGemm[T float](b *testing.B, n int) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := randMatrix[T](rng, n, n, n, 0)
	y := randMatrix[T](rng, n, n, n, 0)
	z := make([]T, n*n)
	c := gemmCase{tA: blas.NoTrans, tB: blas.NoTrans, m: n, n: n, k: n, alpha: 1}
	for _, im := range benchImpls {
		b.Run(fmt.Sprintf("impl=%s/n=%d", im.name, n), func(b *testing.B) {
			gemmCall(im.impl, im.impl, c, x, n, y, n, z, n) // warm up: workers, buffers
			b.ReportAllocs()
			for b.Loop() {
				gemmCall(im.impl, im.impl, c, x, n, y, n, z, n)
			}
			b.ReportMetric(2*float64(n)*float64(n)*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

func BenchmarkSgemm(b *testing.B) {
	for _, n := range benchSizes {
		benchGemm[float32](b, n)
	}
}

func BenchmarkDgemm(b *testing.B) {
	for _, n := range benchSizes {
		benchGemm[float64](b, n)
	}
}

// mlpShapes are the products of one training step of the 784-512-256-10
// MLP of issue 7 at batch 128: forward X*W, backward dY*Wᵀ and Xᵀ*dY.
var mlpShapes = []struct {
	name    string
	tA, tB  blas.Transpose
	m, n, k int
}{
	{"fwd1", blas.NoTrans, blas.NoTrans, 128, 512, 784},
	{"fwd2", blas.NoTrans, blas.NoTrans, 128, 256, 512},
	{"fwd3", blas.NoTrans, blas.NoTrans, 128, 10, 256},
	{"dx1", blas.NoTrans, blas.Trans, 128, 784, 512},
	{"dx2", blas.NoTrans, blas.Trans, 128, 512, 256},
	{"dx3", blas.NoTrans, blas.Trans, 128, 256, 10},
	{"dw1", blas.Trans, blas.NoTrans, 784, 512, 128},
	{"dw2", blas.Trans, blas.NoTrans, 512, 256, 128},
	{"dw3", blas.Trans, blas.NoTrans, 256, 10, 128},
}

// BenchmarkSgemmMLP times the float32 products of an MLP training step.
func BenchmarkSgemmMLP(b *testing.B) {
	for _, s := range mlpShapes {
		for _, im := range benchImpls {
			b.Run(fmt.Sprintf("impl=%s/%s=%dx%dx%d", im.name, s.name, s.m, s.n, s.k), func(b *testing.B) {
				rng := rand.New(rand.NewPCG(1, 2))
				ar, ac := dims(s.tA, s.m, s.k)
				br, bc := dims(s.tB, s.k, s.n)
				x := randMatrix[float32](rng, ar, ac, ac, 0)
				y := randMatrix[float32](rng, br, bc, bc, 0)
				z := make([]float32, s.m*s.n)
				im.impl.Sgemm(s.tA, s.tB, s.m, s.n, s.k, 1, x, ac, y, bc, 0, z, s.n)
				b.ReportAllocs()
				for b.Loop() {
					im.impl.Sgemm(s.tA, s.tB, s.m, s.n, s.k, 1, x, ac, y, bc, 0, z, s.n)
				}
				b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkKernelPeak times the micro-kernels alone on L1-resident panels:
// the ceiling for the whole GEMM on one core.
func BenchmarkKernelPeak(b *testing.B) {
	const k = 256
	for _, kn := range kernelList[float32]() {
		b.Run("float32/"+kn.name, func(b *testing.B) {
			a, bp, c := make([]float32, kn.mr*k), make([]float32, kn.nr*k), make([]float32, kn.mr*kn.nr)
			kn.fn(k, &a[0], &bp[0], &c[0], kn.nr, 1, 1)
			for b.Loop() {
				kn.fn(k, &a[0], &bp[0], &c[0], kn.nr, 1, 1)
			}
			b.ReportMetric(2*float64(kn.mr*kn.nr*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
	for _, kn := range kernelList[float64]() {
		b.Run("float64/"+kn.name, func(b *testing.B) {
			a, bp, c := make([]float64, kn.mr*k), make([]float64, kn.nr*k), make([]float64, kn.mr*kn.nr)
			kn.fn(k, &a[0], &bp[0], &c[0], kn.nr, 1, 1)
			for b.Loop() {
				kn.fn(k, &a[0], &bp[0], &c[0], kn.nr, 1, 1)
			}
			b.ReportMetric(2*float64(kn.mr*kn.nr*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkPack times packing one block, in nanoseconds per value packed.
func BenchmarkPack(b *testing.B) {
	const mc, kc, nc, mr, nr = 336, 384, 512, 14, 32
	src := make([]float32, 2048*2048)
	dst := make([]float32, 2048*2048)
	for _, trans := range []bool{false, true} {
		b.Run(fmt.Sprintf("A/trans=%v", trans), func(b *testing.B) {
			packA(&active32.pk, dst, src, 2048, trans, 0, 0, mc, kc, mr) // touch the pages
			for b.Loop() {
				packA(&active32.pk, dst, src, 2048, trans, 0, 0, mc, kc, mr)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*mc*kc), "ns/value")
		})
		b.Run(fmt.Sprintf("B/trans=%v", trans), func(b *testing.B) {
			packB(&active32.pk, dst, src, 2048, trans, 0, 0, kc, nc, nr)
			for b.Loop() {
				packB(&active32.pk, dst, src, 2048, trans, 0, 0, kc, nc, nr)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*nc*kc), "ns/value")
		})
	}
}
