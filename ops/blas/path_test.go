package blas

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/blas"
)

// Every path the CPU supports can be forced, the GEMM follows it and gives a
// correct product; any other path is refused.
func TestSetPath(t *testing.T) {
	start := Active()
	t.Cleanup(func() {
		if err := SetPath(start); err != nil {
			t.Fatal(err)
		}
	})
	want := map[Path]string{PathGeneric: "generic", PathAVX2: "avx2", PathAVX512: "avx512", PathNEON: "neon"}
	for p := PathGeneric; p <= lastPath; p++ {
		err := SetPath(p)
		if !Supported(p) {
			if err == nil {
				t.Errorf("SetPath(%v) on a %v CPU = nil, want an error", p, Detected())
			}
			continue
		}
		if err != nil {
			t.Fatalf("SetPath(%v) = %v", p, err)
		}
		if Active() != p {
			t.Errorf("after SetPath(%v) Active() = %v", p, Active())
		}
		if k := kernelName(); k != want[p] && k != "gonum" {
			t.Errorf("path %v: kernelName() = %q, want %q", p, k, want[p])
		}
		const n = 37
		a, b, c := make([]float64, n*n), make([]float64, n*n), make([]float64, n*n)
		for i := range a {
			a[i], b[i] = float64(i%7)-3, float64(i%5)-2
		}
		Implementation{}.Dgemm(blas.NoTrans, blas.NoTrans, n, n, n, 1, a, n, b, n, 0, c, n)
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				var s float64
				for k := 0; k < n; k++ {
					s += a[i*n+k] * b[k*n+j]
				}
				if math.Abs(c[i*n+j]-s) > 1e-9 {
					t.Fatalf("path %v: C[%d,%d] = %v, want %v", p, i, j, c[i*n+j], s)
				}
			}
		}
	}
	if err := SetPath(Path(7)); err == nil {
		t.Error("SetPath(7) = nil, want an error")
	}
}

func TestParsePath(t *testing.T) {
	for p := PathGeneric; p <= PathAVX512; p++ {
		if q, err := ParsePath(p.String()); err != nil || q != p {
			t.Errorf("ParsePath(%q) = %v, %v; want %v", p.String(), q, err, p)
		}
	}
	if q, err := ParsePath("AVX2"); err != nil || q != PathAVX2 {
		t.Errorf("ParsePath(AVX2) = %v, %v", q, err)
	}
	if _, err := ParsePath("sse"); err == nil {
		t.Error("ParsePath(sse) = nil error")
	}
}

// GRADFLOW_SIMD picks the start-up path: a lower one is taken, an unknown or
// unsupported one leaves the detected path.
func TestEnvSIMD(t *testing.T) {
	d, start := Detected(), Active()
	avx512 := d // what GRADFLOW_SIMD=avx512 gives: avx512 where supported, else the detected path
	if Supported(PathAVX512) {
		avx512 = PathAVX512
	}
	t.Cleanup(func() {
		startPath(d)
		if err := SetPath(start); err != nil {
			t.Fatal(err)
		}
	})
	for _, c := range []struct {
		env  string
		want Path
	}{{"generic", PathGeneric}, {"GENERIC", PathGeneric}, {"sse9", d}, {"", d}, {"avx512", avx512}} {
		t.Setenv(EnvSIMD, c.env)
		startPath(d)
		if Active() != c.want || Detected() != d {
			t.Errorf("%s=%q: Active() = %v, Detected() = %v; want %v, %v", EnvSIMD, c.env, Active(), Detected(), c.want, d)
		}
	}
}

// TestSupported checks the paths each build accepts: the generic one always, on amd64
// every path up to the detected one and never NEON, on arm64 NEON and generic only.
func TestSupported(t *testing.T) {
	d := Detected()
	for p := PathGeneric; p <= lastPath; p++ {
		var want bool
		switch {
		case p == PathGeneric || p == d:
			want = true
		case d == PathNEON || p == PathNEON:
			want = false
		default:
			want = p < d
		}
		if got := Supported(p); got != want {
			t.Errorf("Supported(%v) = %v with %v detected, want %v", p, got, d, want)
		}
		err := SetPath(p)
		if (err == nil) != want {
			t.Errorf("SetPath(%v) = %v with %v detected, want success %v", p, err, d, want)
		}
	}
	if err := SetPath(d); err != nil {
		t.Fatal(err)
	}
	if Supported(lastPath+1) || Supported(-1) {
		t.Error("Supported accepts a path that does not exist")
	}
}
