package ops

import (
	"unsafe"

	"github.com/gradflow/gradflow/ops/blas"
)

// im2col and col2im, the layout kernels of the convolution passes (conv_kernel.go),
// and their block helpers.

// transpose writes the transpose of the r x c row-major matrix a into t (c x r).
func transpose[T float](a []T, r, c int, t []T) {
	for i := 0; i < r; i++ {
		for j, v := range a[i*c : (i+1)*c] {
			t[j*r+i] = v
		}
	}
}

// fill sets every element of s to v.
func fill[T float](s []T, v T) {
	for i := range s {
		s[i] = v
	}
}

// im2col fills one sample's block of COL from x (c, h, w): col starts at the block's
// first column; rows are d.ld apart.
func im2col[T float](g convGeom, d convDims, x, col []T) {
	if g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 {
		im2colS1(g, d, x, col)
		return
	}
	for ch := 0; ch < d.c; ch++ {
		xc := x[ch*d.h*d.w : (ch+1)*d.h*d.w]
		for p := 0; p < g.kh; p++ {
			for q := 0; q < g.kw; q++ {
				row := col[((ch*g.kh+p)*g.kw+q)*d.ld:][:d.hw]
				w0 := q*g.dw - g.pw
				lo, hi := validRange(w0, g.sw, d.w, d.ow)
				for i := 0; i < d.oh; i++ {
					dst := row[i*d.ow : (i+1)*d.ow]
					hIn := i*g.sh - g.ph + p*g.dh
					if hIn < 0 || hIn >= d.h || lo >= hi {
						clear(dst)
						continue
					}
					src := xc[hIn*d.w : (hIn+1)*d.w]
					clear(dst[:lo])
					clear(dst[hi:])
					if g.sw == 1 {
						copy(dst[lo:hi], src[w0+lo:w0+hi])
						continue
					}
					for j := lo; j < hi; j++ {
						dst[j] = src[w0+j*g.sw]
					}
				}
			}
		}
	}
}

// im2colS1 is im2col for unit stride and dilation, the common case: the rows of a
// tap's block are runs of the input rows, copied (and in col2im added) as one block
// with vector instructions.
func im2colS1[T float](g convGeom, d convDims, x, col []T) {
	if d.ld == d.hw {
		// One sample: ops/blas writes the whole matrix of a valid convolution; with
		// padding, of the valid convolution of a zero-padded copy of the sample.
		c, h, w := d.c, d.h, d.w
		if g.ph > 0 || g.pw > 0 {
			h, w = d.h+2*g.ph, d.w+2*g.pw
			padded := getBuf[T](c * h * w)
			defer putBuf(padded)
			pad(x, d.c, d.h, d.w, g.ph, g.pw, padded)
			x = padded
		}
		if is32[T]() {
			blas.Im2col32(as32(x), c, h, w, g.kh, g.kw, as32(col))
		} else {
			blas.Im2col64(as64(x), c, h, w, g.kh, g.kw, as64(col))
		}
		return
	}
	for ch := 0; ch < d.c; ch++ {
		xc := x[ch*d.h*d.w : (ch+1)*d.h*d.w]
		for p := 0; p < g.kh; p++ {
			h0 := p - g.ph
			ilo, ihi := validRange(h0, 1, d.h, d.oh)
			for q := 0; q < g.kw; q++ {
				row := col[((ch*g.kh+p)*g.kw+q)*d.ld:][:d.hw]
				w0 := q - g.pw
				lo, hi := validRange(w0, 1, d.w, d.ow)
				if lo >= hi || ilo >= ihi {
					clear(row)
					continue
				}
				clear(row[:ilo*d.ow])
				clear(row[ihi*d.ow:])
				if lo > 0 || hi < d.ow {
					for i := ilo; i < ihi; i++ {
						clear(row[i*d.ow : i*d.ow+lo])
						clear(row[i*d.ow+hi : (i+1)*d.ow])
					}
				}
				copyBlock(row[ilo*d.ow+lo:], d.ow, xc[(ilo+h0)*d.w+w0+lo:], d.w, ihi-ilo, hi-lo)
			}
		}
	}
}

// col2imS1 is col2im for unit stride and dilation (see im2colS1).
func col2imS1[T float](g convGeom, d convDims, col, dx []T) {
	if d.ld == d.hw {
		// One sample: ops/blas adds the whole matrix of a valid convolution; with
		// padding, into a zeroed padded gradient whose interior is then added to dx.
		c, h, w := d.c, d.h, d.w
		out := dx
		if g.ph > 0 || g.pw > 0 {
			h, w = d.h+2*g.ph, d.w+2*g.pw
			out = getBuf[T](c * h * w)
			defer putBuf(out)
			clear(out)
		}
		if is32[T]() {
			blas.Col2im32(as32(col), c, h, w, g.kh, g.kw, as32(out))
		} else {
			blas.Col2im64(as64(col), c, h, w, g.kh, g.kw, as64(out))
		}
		if g.ph > 0 || g.pw > 0 {
			unpadAdd(out, d.c, d.h, d.w, g.ph, g.pw, dx)
		}
		return
	}
	for ch := 0; ch < d.c; ch++ {
		xc := dx[ch*d.h*d.w : (ch+1)*d.h*d.w]
		for p := 0; p < g.kh; p++ {
			h0 := p - g.ph
			ilo, ihi := validRange(h0, 1, d.h, d.oh)
			for q := 0; q < g.kw; q++ {
				row := col[((ch*g.kh+p)*g.kw+q)*d.ld:][:d.hw]
				w0 := q - g.pw
				lo, hi := validRange(w0, 1, d.w, d.ow)
				if lo >= hi {
					continue
				}
				if ilo < ihi {
					addBlock(xc[(ilo+h0)*d.w+w0+lo:], d.w, row[ilo*d.ow+lo:], d.ow, ihi-ilo, hi-lo)
				}
			}
		}
	}
}

// pad writes x, c planes of h x w, into dst with ph zero rows above and below and pw
// zero columns left and right of each plane.
func pad[T float](x []T, c, h, w, ph, pw int, dst []T) {
	hp, wp := h+2*ph, w+2*pw
	for ch := 0; ch < c; ch++ {
		plane := dst[ch*hp*wp : (ch+1)*hp*wp]
		clear(plane[:ph*wp])
		clear(plane[(ph+h)*wp:])
		for i := 0; i < h; i++ {
			row := plane[(ph+i)*wp : (ph+i+1)*wp]
			clear(row[:pw])
			copy(row[pw:pw+w], x[(ch*h+i)*w:(ch*h+i+1)*w])
			clear(row[pw+w:])
		}
	}
}

// unpadAdd adds the interior of src, c planes padded as pad writes them, into dx.
func unpadAdd[T float](src []T, c, h, w, ph, pw int, dx []T) {
	hp, wp := h+2*ph, w+2*pw
	for ch := 0; ch < c; ch++ {
		for i := 0; i < h; i++ {
			s := src[(ch*hp+ph+i)*wp+pw : (ch*hp+ph+i)*wp+pw+w]
			d := dx[(ch*h+i)*w : (ch*h+i+1)*w]
			for j, v := range s {
				d[j] += v
			}
		}
	}
}

// copyBlock copies the rows x cols block of src (row stride lds) into dst (row stride
// ldd) with ops/blas's vector moves (a copy call per row of a few values costs more
// than the copy).
func copyBlock[T float](dst []T, ldd int, src []T, lds, rows, cols int) {
	if rows <= 0 || cols <= 0 {
		return
	}
	if is32[T]() {
		blas.CopyBlock32(as32(dst), ldd, as32(src), lds, rows, cols)
	} else {
		blas.CopyBlock64(as64(dst), ldd, as64(src), lds, rows, cols)
	}
}

// addBlock adds the rows x cols block of src (row stride lds) into dst (row stride
// ldd) with ops/blas's vector adds.
func addBlock[T float](dst []T, ldd int, src []T, lds, rows, cols int) {
	if rows <= 0 || cols <= 0 {
		return
	}
	if is32[T]() {
		blas.AddBlock32(as32(dst), ldd, as32(src), lds, rows, cols)
	} else {
		blas.AddBlock64(as64(dst), ldd, as64(src), lds, rows, cols)
	}
}

// is32 reports whether T is a float32 type (else it is a float64 one).
func is32[T float]() bool {
	var zero T
	return unsafe.Sizeof(zero) == 4
}

// as32 and as64 view s as the slice type that T is: for calls into ops/blas, whose
// routines are not generic.
func as32[T float](s []T) []float32 {
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

func as64[T float](s []T) []float64 {
	return unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

// col2im adds one sample's block of COL (laid out as for im2col) into the sample's
// gradient dx (c, h, w): the transpose of im2col.
func col2im[T float](g convGeom, d convDims, col, dx []T) {
	if g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 {
		col2imS1(g, d, col, dx)
		return
	}
	for ch := 0; ch < d.c; ch++ {
		xc := dx[ch*d.h*d.w : (ch+1)*d.h*d.w]
		for p := 0; p < g.kh; p++ {
			for q := 0; q < g.kw; q++ {
				row := col[((ch*g.kh+p)*g.kw+q)*d.ld:][:d.hw]
				w0 := q*g.dw - g.pw
				lo, hi := validRange(w0, g.sw, d.w, d.ow)
				if lo >= hi {
					continue
				}
				for i := 0; i < d.oh; i++ {
					hIn := i*g.sh - g.ph + p*g.dh
					if hIn < 0 || hIn >= d.h {
						continue
					}
					src := row[i*d.ow : (i+1)*d.ow]
					dst := xc[hIn*d.w : (hIn+1)*d.w]
					for j := lo; j < hi; j++ {
						dst[w0+j*g.sw] += src[j]
					}
				}
			}
		}
	}
}

// validRange returns the output columns [lo, hi) whose input column w0 + j*stride lies
// in [0, w).
func validRange(w0, stride, w, ow int) (lo, hi int) {
	if w0 < 0 {
		lo = (-w0 + stride - 1) / stride
	}
	if w0 >= w {
		return 0, 0
	}
	hi = min(ow, (w-w0+stride-1)/stride)
	return min(lo, hi), hi
}
