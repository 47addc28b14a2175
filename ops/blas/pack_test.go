package blas

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// packers returns the packing routines of every kernel of T plus the
// zero value (the Go loops).
func packers[T float]() []packer[T] {
	pks := []packer[T]{{}}
	for _, kn := range kernelList[T]() {
		if kn.pk.transpose != nil {
			pks = append(pks, kn.pk)
		}
	}
	return pks
}

// TestGather checks gather, dst[p*w+i] = src[i*ld+p], against its
// definition for ragged sizes, and that it writes nothing else.
func TestGather(t *testing.T) {
	t.Run("float32", testGather[float32])
	t.Run("float64", testGather[float64])
}

func testGather[T float](t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for ti, pk := range packers[T]() {
		for _, w := range []int{1, 4, 6, 8, 14, 16, 28, 32} {
			for _, r := range []int{1, w / 2, w - 1, w} {
				for _, kc := range []int{1, 7, 8, 15, 16, 17, 33, 64} {
					if r < 1 {
						continue
					}
					ld := kc + rng.IntN(5)
					src := make([]T, (r-1)*ld+kc)
					for i := range src {
						src[i] = T(rng.IntN(1000))
					}
					dst := make([]T, kc*w+3)
					for i := range dst {
						dst[i] = -1
					}
					gather(&pk, dst, w, src, ld, r, kc)
					for i, v := range dst {
						want := T(-1)
						if p, q := i/w, i%w; i < kc*w && q < r {
							want = src[q*ld+p]
						}
						if v != want {
							t.Fatalf("packer %d, w=%d r=%d kc=%d ld=%d: dst[%d] = %v, want %v", ti, w, r, kc, ld, i, v, want)
						}
					}
				}
			}
		}
	}
}

// TestCopyRows checks copyRows, dst[q*ldd+i] = src[q*lds+i] for i < r and
// zero up to w, against its definition, and that it writes nothing else.
func TestCopyRows(t *testing.T) {
	t.Run("float32", testCopyRows[float32])
	t.Run("float64", testCopyRows[float64])
}

func testCopyRows[T float](t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for ti, pk := range packers[T]() {
		for _, w := range []int{1, 6, 8, 14, 16, 17, 28, 32} {
			for _, r := range []int{1, w / 2, w - 1, w} {
				for _, rows := range []int{1, 2, 5, 24} {
					if r < 1 {
						continue
					}
					name := fmt.Sprintf("packer %d, w=%d r=%d rows=%d", ti, w, r, rows)
					lds, ldd := r+rng.IntN(40), w+rng.IntN(40)
					src := make([]T, (rows-1)*lds+r)
					for i := range src {
						src[i] = T(rng.IntN(1000))
					}
					dst := make([]T, (rows-1)*ldd+w+3)
					for i := range dst {
						dst[i] = -1
					}
					copyRows(&pk, dst, ldd, w, src, lds, r, rows)
					for i, v := range dst {
						want := T(-1)
						if q, c := i/ldd, i%ldd; q < rows && c < w {
							want = 0
							if c < r {
								want = src[q*lds+c]
							}
						}
						if v != want {
							t.Fatalf("%s: dst[%d] = %v, want %v", name, i, v, want)
						}
					}
				}
			}
		}
	}
}
