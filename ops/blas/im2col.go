package blas

import "unsafe"

// Im2col32 writes the im2col matrix of a valid convolution (unit stride and dilation,
// no padding) of the image x, c planes of h x w, with a kh x kw kernel: one row per
// tap (channel, kernel row, kernel column), in that order, each holding the oh x ow
// block of its plane that the tap meets (oh = h-kh+1, ow = w-kw+1), row after row.
// col must hold c*kh*kw*oh*ow values. On the AVX-512 and AVX2 paths the whole
// matrix is written by one assembly loop of masked vector moves; nn's convolution
// uses it for small images, whose rows of a few values make a copy call per row
// slow. It panics if the sizes do not fit.
func Im2col32(x []float32, c, h, w, kh, kw int, col []float32) {
	im2col(&im2colAsm32, x, c, h, w, kh, kw, col)
}

// Im2col64 is Im2col32 for float64.
func Im2col64(x []float64, c, h, w, kh, kw int, col []float64) {
	im2col(&im2colAsm64, x, c, h, w, kh, kw, col)
}

// im2colAsm is an assembly Im2col for vectors of v values (fn nil: none).
type im2colAsm[T float] struct {
	fn func(x, col *T, c, h, w, kh, kw, oh, ow, nv int, tail uint64, tb int)
	v  int
}

// Set by init where the CPU runs them; tests clear them to cover the Go loop.
var (
	im2colAsm32 im2colAsm[float32]
	im2colAsm64 im2colAsm[float64]
)

func im2col[T float](as *im2colAsm[T], x []T, c, h, w, kh, kw int, col []T) {
	oh, ow := h-kh+1, w-kw+1
	if c <= 0 || kh <= 0 || kw <= 0 || oh <= 0 || ow <= 0 {
		panic("blas: Im2col: bad sizes")
	}
	if len(x) < c*h*w || len(col) < c*kh*kw*oh*ow {
		panic("blas: Im2col: slice too short")
	}
	if as.fn != nil {
		tail := ow % as.v
		var zero T
		as.fn(&x[0], &col[0], c, h, w, kh, kw, oh, ow, ow/as.v, laneMask(tail, as.v), tail*int(unsafe.Sizeof(zero)))
		return
	}
	dst := col
	for ch := 0; ch < c; ch++ {
		plane := x[ch*h*w : (ch+1)*h*w]
		for p := 0; p < kh; p++ {
			for q := 0; q < kw; q++ {
				for i := 0; i < oh; i++ {
					copy(dst[:ow], plane[(p+i)*w+q:])
					dst = dst[ow:]
				}
			}
		}
	}
}

// Col2im32 adds the im2col matrix col (laid out as Im2col32 writes it) back into the
// image dx, c planes of h x w: dx[ch][i+p][j+q] += col[(ch, p, q)][i][j], the gradient
// of Im2col32. On the AVX-512 and AVX2 paths, each vector of a dx row gets its kw
// contributions summed in a register (loaded shifted by masked moves) before one add
// to memory: the overlapping adds of neighbouring taps would otherwise wait on each
// other. It panics if the sizes do not fit.
func Col2im32(col []float32, c, h, w, kh, kw int, dx []float32) {
	col2im(&col2imAsm32, col, c, h, w, kh, kw, dx)
}

// Col2im64 is Col2im32 for float64.
func Col2im64(col []float64, c, h, w, kh, kw int, dx []float64) {
	col2im(&col2imAsm64, col, c, h, w, kh, kw, dx)
}

// col2imAsm says whether the assembly Col2im runs here, for vectors of v values. It
// is called directly (col2imS, col2imD), not through a func value, so that the masks
// it reads can stay on the caller's stack.
type col2imAsm[T float] struct {
	ok       bool
	v        int
	vecMasks bool // the AVX2 assembly: lane masks as 32-byte vectors, not bits
}

// Set by init where the CPU runs them; tests clear them to cover the Go loop.
var (
	col2imAsm32 col2imAsm[float32]
	col2imAsm64 col2imAsm[float64]
)

func col2im[T float](as *col2imAsm[T], col []T, c, h, w, kh, kw int, dx []T) {
	oh, ow := h-kh+1, w-kw+1
	if c <= 0 || kh <= 0 || kw <= 0 || oh <= 0 || ow <= 0 {
		panic("blas: Col2im: bad sizes")
	}
	if len(dx) < c*h*w || len(col) < c*kh*kw*oh*ow {
		panic("blas: Col2im: slice too short")
	}
	if as.ok {
		v := as.v
		nchunk := (w + v - 1) / v
		// masks[q*nchunk+k]: the lanes L of dx chunk k (column v*k+L) that tap column
		// q reaches, 0 <= v*k+L-q < ow; then smasks[k]: the lanes inside the row.
		var buf [64]uint16
		masks := buf[:0]
		if n := (kw + 1) * nchunk; n > len(buf) {
			masks = make([]uint16, 0, n)
		}
		for q := 0; q < kw; q++ {
			for k := 0; k < nchunk; k++ {
				lo, hi := q-v*k, ow+q-v*k
				masks = append(masks, uint16(laneMask(hi, v)&^laneMask(lo, v)))
			}
		}
		for k := 0; k < nchunk; k++ {
			masks = append(masks, uint16(laneMask(w-v*k, v)))
		}
		var zero T
		es := int(unsafe.Sizeof(zero))
		mb := 2 // bytes of one chunk's mask: a k-mask word, or on AVX2 a 32-byte vector
		if as.vecMasks {
			mb = 32
		}
		strides := [...]int{w * es, ow * es, (oh*ow - 1) * es, kw * oh * ow * es, h * w * es, (oh - 1) * w * es, mb * nchunk, mb * kw * nchunk}
		cp, dp := unsafe.Pointer(&col[0]), unsafe.Pointer(&dx[0])
		if !as.vecMasks {
			m, sm := &masks[0], &masks[kw*nchunk]
			if es == 4 {
				col2imS((*float32)(cp), (*float32)(dp), c, kh, kw, oh, nchunk, m, sm, strides)
			} else {
				col2imD((*float64)(cp), (*float64)(dp), c, kh, kw, oh, nchunk, m, sm, strides)
			}
			return
		}
		// AVX2: each bit mask as a 32-byte vector, a lane of es bytes being es/4
		// words, all ones where the bit is set.
		var vbuf [64 * 8]uint32
		vm := vbuf[:0]
		if n := len(masks) * 8; n > len(vbuf) {
			vm = make([]uint32, 0, n)
		}
		per := es / 4
		for _, b := range masks {
			for word := 0; word < 8; word++ {
				vm = append(vm, -uint32(b>>(word/per)&1))
			}
		}
		m, sm := &vm[0], &vm[kw*nchunk*8]
		if es == 4 {
			col2imVecS((*float32)(cp), (*float32)(dp), c, kh, kw, oh, nchunk, m, sm, strides)
		} else {
			col2imVecD((*float64)(cp), (*float64)(dp), c, kh, kw, oh, nchunk, m, sm, strides)
		}
		return
	}
	src := col
	for ch := 0; ch < c; ch++ {
		plane := dx[ch*h*w : (ch+1)*h*w]
		for p := 0; p < kh; p++ {
			for q := 0; q < kw; q++ {
				for i := 0; i < oh; i++ {
					row := plane[(p+i)*w+q : (p+i)*w+q+ow]
					for j, v := range src[:ow] {
						row[j] += v
					}
					src = src[ow:]
				}
			}
		}
	}
}
