package blas

import "testing"

// TestCopyBlock compares CopyBlock with a loop for every kernel's packer, widths
// around the vector sizes, and strides larger than the block.
func TestCopyBlock(t *testing.T) {
	for _, kn := range kernels32 {
		for _, cols := range []int{1, 7, 8, 15, 16, 17, 33, 64, 65, 100} {
			for _, rows := range []int{1, 3, 8} {
				lds, ldd := cols+5, cols+2
				src := make([]float32, rows*lds)
				for i := range src {
					src[i] = float32(i + 1)
				}
				dst := make([]float32, rows*ldd)
				for i := range dst {
					dst[i] = -1
				}
				copyBlock(&kn.pk, dst, ldd, src, lds, rows, cols)
				for q := 0; q < rows; q++ {
					for i := 0; i < ldd; i++ {
						want := float32(-1)
						if i < cols {
							want = src[q*lds+i]
						}
						if got := dst[q*ldd+i]; got != want {
							t.Fatalf("%s: cols %d rows %d: dst[%d][%d] = %v, want %v", kn.name, cols, rows, q, i, got, want)
						}
					}
				}
			}
		}
	}
	for _, kn := range kernels64 {
		src := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
		dst := make([]float64, 6)
		copyBlock(&kn.pk, dst, 2, src, 4, 3, 2) // columns 0-1 of a 3x4 matrix
		if want := []float64{1, 2, 5, 6, 9, 10}; !equal(dst, want) {
			t.Errorf("%s: got %v, want %v", kn.name, dst, want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("CopyBlock32 with a short dst did not panic")
		}
	}()
	CopyBlock32(make([]float32, 5), 3, make([]float32, 6), 3, 2, 3)
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestAddBlock compares AddBlock with a loop, with and without the assembly, for
// widths around the vector sizes.
func TestAddBlock(t *testing.T) {
	for _, asm := range []bool{true, false} {
		save32, save64 := addAsm32, addAsm64
		if !asm {
			addAsm32, addAsm64 = addAsm[float32]{}, addAsm[float64]{}
		}
		for _, cols := range []int{1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 100} {
			for _, rows := range []int{1, 3, 8} {
				lds, ldd := cols+5, cols+2
				src32 := make([]float32, rows*lds)
				src64 := make([]float64, rows*lds)
				for i := range src32 {
					src32[i], src64[i] = float32(i+1), float64(i+1)
				}
				dst32 := make([]float32, rows*ldd)
				dst64 := make([]float64, rows*ldd)
				for i := range dst32 {
					dst32[i], dst64[i] = 0.5, 0.5
				}
				AddBlock32(dst32, ldd, src32, lds, rows, cols)
				AddBlock64(dst64, ldd, src64, lds, rows, cols)
				for q := 0; q < rows; q++ {
					for i := 0; i < ldd; i++ {
						want := 0.5
						if i < cols {
							want += float64(q*lds + i + 1)
						}
						if got := dst32[q*ldd+i]; float64(got) != want {
							t.Fatalf("asm %t: float32 cols %d rows %d: dst[%d][%d] = %v, want %v", asm, cols, rows, q, i, got, want)
						}
						if got := dst64[q*ldd+i]; got != want {
							t.Fatalf("asm %t: float64 cols %d rows %d: dst[%d][%d] = %v, want %v", asm, cols, rows, q, i, got, want)
						}
					}
				}
			}
		}
		addAsm32, addAsm64 = save32, save64
	}
	defer func() {
		if recover() == nil {
			t.Error("AddBlock64 with a short src did not panic")
		}
	}()
	AddBlock64(make([]float64, 9), 3, make([]float64, 8), 3, 3, 3)
}

// TestIm2col compares Im2col with a direct definition, on every path this CPU
// supports and without the assembly, for widths around the vector sizes.
func TestIm2col(t *testing.T) {
	forEachPath(t, func(p Path) { testIm2col(t, p) })
}

func testIm2col(t *testing.T, path Path) {
	for _, asm := range []bool{true, false} {
		save32, save64 := im2colAsm32, im2colAsm64
		if !asm {
			im2colAsm32, im2colAsm64 = im2colAsm[float32]{}, im2colAsm[float64]{}
		}
		for _, sz := range [][5]int{{1, 28, 28, 5, 5}, {20, 12, 12, 5, 5}, {3, 7, 20, 3, 2}, {2, 5, 40, 1, 3}, {1, 3, 3, 3, 3}, {2, 9, 25, 2, 9}} {
			c, h, w, kh, kw := sz[0], sz[1], sz[2], sz[3], sz[4]
			oh, ow := h-kh+1, w-kw+1
			x32 := make([]float32, c*h*w)
			x64 := make([]float64, c*h*w)
			for i := range x32 {
				x32[i], x64[i] = float32(i+1), float64(i+1)
			}
			n := c * kh * kw * oh * ow
			col32 := make([]float32, n+1)
			col64 := make([]float64, n+1)
			col32[n], col64[n] = -7, -7
			Im2col32(x32, c, h, w, kh, kw, col32[:n])
			Im2col64(x64, c, h, w, kh, kw, col64[:n])
			if col32[n] != -7 || col64[n] != -7 {
				t.Fatalf("%v asm %t %v: wrote past the matrix", path, asm, sz)
			}
			for ch := 0; ch < c; ch++ {
				for p := 0; p < kh; p++ {
					for q := 0; q < kw; q++ {
						row := (ch*kh+p)*kw + q
						for i := 0; i < oh; i++ {
							for j := 0; j < ow; j++ {
								want := float64(ch*h*w + (i+p)*w + j + q + 1)
								k := row*oh*ow + i*ow + j
								if float64(col32[k]) != want || col64[k] != want {
									t.Fatalf("%v asm %t %v: tap (%d,%d,%d) at (%d,%d): %v, %v, want %v", path, asm, sz, ch, p, q, i, j, col32[k], col64[k], want)
								}
							}
						}
					}
				}
			}
		}
		im2colAsm32, im2colAsm64 = save32, save64
	}
}

// TestCol2im compares Col2im with a direct definition (dx starts non-zero: it adds),
// on every path this CPU supports and without the assembly, for widths around the vector sizes.
func TestCol2im(t *testing.T) {
	forEachPath(t, func(p Path) { testCol2im(t, p) })
}

func testCol2im(t *testing.T, path Path) {
	for _, asm := range []bool{true, false} {
		save32, save64 := col2imAsm32, col2imAsm64
		if !asm {
			col2imAsm32, col2imAsm64 = col2imAsm[float32]{}, col2imAsm[float64]{}
		}
		for _, sz := range [][5]int{{1, 28, 28, 5, 5}, {20, 12, 12, 5, 5}, {3, 7, 20, 3, 2}, {2, 5, 40, 1, 3}, {1, 3, 3, 3, 3}, {2, 9, 25, 2, 9}, {1, 4, 17, 2, 2}, {2, 3, 16, 1, 1}} {
			c, h, w, kh, kw := sz[0], sz[1], sz[2], sz[3], sz[4]
			oh, ow := h-kh+1, w-kw+1
			n := c * kh * kw * oh * ow
			col32 := make([]float32, n)
			col64 := make([]float64, n)
			for i := range col32 {
				// Small integers: every sum is exact in float32, whatever the order.
				col32[i], col64[i] = float32(i%7+1), float64(i%7+1)
			}
			want := make([]float64, c*h*w+1)
			for i := range want {
				want[i] = 0.5
			}
			for ch := 0; ch < c; ch++ {
				for p := 0; p < kh; p++ {
					for q := 0; q < kw; q++ {
						for i := 0; i < oh; i++ {
							for j := 0; j < ow; j++ {
								want[ch*h*w+(i+p)*w+j+q] += col64[(((ch*kh+p)*kw+q)*oh+i)*ow+j]
							}
						}
					}
				}
			}
			dx32 := make([]float32, len(want))
			dx64 := make([]float64, len(want))
			for i := range dx32 {
				dx32[i], dx64[i] = 0.5, 0.5
			}
			Col2im32(col32, c, h, w, kh, kw, dx32[:c*h*w])
			Col2im64(col64, c, h, w, kh, kw, dx64[:c*h*w])
			for i, wv := range want {
				if float64(dx32[i]) != wv || dx64[i] != wv {
					t.Fatalf("%v asm %t %v: dx[%d] = %v, %v, want %v", path, asm, sz, i, dx32[i], dx64[i], wv)
				}
			}
		}
		col2imAsm32, col2imAsm64 = save32, save64
	}
}

// forEachPath runs f with each path this CPU and build support made active, then
// restores the path that was active.
func forEachPath(t *testing.T, f func(p Path)) {
	start := Active()
	defer func() {
		if err := SetPath(start); err != nil {
			t.Fatal(err)
		}
	}()
	for p := PathGeneric; p <= lastPath; p++ {
		if !Supported(p) {
			continue
		}
		if err := SetPath(p); err != nil {
			t.Fatal(err)
		}
		f(p)
	}
}
