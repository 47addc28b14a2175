package ops

import (
	"runtime"
	"sync"
	"unsafe"

	"github.com/gradflow/gradflow/ops/blas"
	"gorgonia.org/tensor"
)

// The kernels of the convolution op (conv.go): im2col, col2im and the three passes.
// The im2col matrix has one row per kernel tap (c, p, q), row-major like the weight
// (O, C, kH, kW) viewed as (O, C*kH*kW), and one column per output position, so that
// the convolution is the matrix product W · COL.

// convDims are the sizes of one convolution call.
type convDims struct {
	n, c, h, w, o, oh, ow int
	ckk, hw               int // rows of the im2col matrix, and its columns per sample
	chunk                 int // samples per im2col matrix
	ld                    int // its row stride: chunk*hw, one block of hw columns per sample
}

// colBudget caps the elements of one im2col matrix (16 MB in float32): a training
// batch is one GEMM, an evaluation batch of 1000 images a few, never one of hundreds
// of megabytes. (A variable so that tests can force several chunks.)
var colBudget = 1 << 22

func newConvDims(g convGeom, x, w tensor.Shape) convDims {
	d := convDims{n: x[0], c: x[1], h: x[2], w: x[3], o: w[0]}
	d.oh, d.ow = g.outSize(d.h, d.w)
	d.ckk, d.hw = d.c*g.kh*g.kw, d.oh*d.ow
	d.chunk = max(1, min(d.n, colBudget/max(1, d.ckk*d.hw)))
	d.ld = d.chunk * d.hw
	return d
}

// Small samples (MNIST-sized images) go one sample at a time (perSample); larger
// ones in chunks of the batch. In the batched path the three passes work on the im2col matrix of a chunk of the batch, COL (C*kH*kW
// rows, chunk*H'*W' columns, sample n of the chunk in columns [n*H'*W', (n+1)*H'*W')),
// so that each pass is one large GEMM per chunk, which the BLAS runs in parallel and
// near its peak, rather than N small ones. im2col, col2im and the layout changes
// between (N, O, H'*W') and (O, chunk*H'*W') run over samples in parallel.

// sampleColBudget is the largest one-sample im2col matrix (in elements; 1 MiB of
// float32) for which the passes go one sample at a time: each worker writes a sample's
// COL into its own buffer, which stays in its core's cache, and multiplies it on its
// own (a serial GEMM, since the workers already use every core). Larger samples use
// the batched path. (A variable so that tests can run both.)
var sampleColBudget = 1 << 18

// perSample reports whether the passes go one sample at a time.
func (d convDims) perSample() bool { return d.ckk*d.hw <= sampleColBudget }

// sample returns d for one sample's im2col matrix: rows H'*W' apart.
func (d convDims) sample() convDims {
	d.chunk, d.ld = 1, d.hw
	return d
}

// forChunks calls fn(first, count) for consecutive chunks of samples.
func (d convDims) forChunks(fn func(first, count int)) {
	for s0 := 0; s0 < d.n; s0 += d.chunk {
		fn(s0, min(d.chunk, d.n-s0))
	}
}

// fillCol writes the im2col blocks of samples [s0, s0+nc) of x into col.
func fillCol[T float](g convGeom, d convDims, x, col []T, s0, nc int) {
	size := d.c * d.h * d.w
	forSamples[T](nc, 0, func(_ []T, i int) {
		im2col(g, d, x[(s0+i)*size:(s0+i+1)*size], col[i*d.hw:])
	})
}

// convForward writes y = conv(x, w) + b (b may be nil): per chunk, Y' = W · COL, then
// y[n, o] = Y'[o, block n] + b[o].
func convForward[T float](g convGeom, x, w, b, y *tensor.Dense) {
	gemm := gemmOf[T]()
	d := newConvDims(g, x.Shape(), w.Shape())
	xd, wd, yd := x.Data().([]T), w.Data().([]T), y.Data().([]T)
	var bd []T
	if b != nil {
		bd = b.Data().([]T)
	}
	if d.perSample() {
		// The GEMM packs its A operand by transposing unless A is given transposed:
		// Wᵀ once here saves transposing W for every sample.
		wt := getBuf[T](d.ckk * d.o)
		defer putBuf(wt)
		transpose(wd, d.o, d.ckk, wt)
		ds, mul := d.sample(), serialGemm[T]()
		size := d.c * d.h * d.w
		forSamples[T](d.n, d.ckk*d.hw, func(col []T, i int) {
			im2col(g, ds, xd[i*size:(i+1)*size], col)
			yi := yd[i*d.o*d.hw : (i+1)*d.o*d.hw]
			var beta T
			if bd != nil {
				for oc, bv := range bd {
					fill(yi[oc*d.hw:(oc+1)*d.hw], bv)
				}
				beta = 1
			}
			mul(true, false, d.o, d.hw, d.ckk, wt, d.o, col, d.hw, beta, yi, d.hw)
		})
		return
	}
	col, tmp := getBuf[T](d.ckk*d.ld), getBuf[T](d.o*d.ld)
	defer putBuf(col)
	defer putBuf(tmp)
	d.forChunks(func(s0, nc int) {
		fillCol(g, d, xd, col, s0, nc)
		gemm(false, false, d.o, nc*d.hw, d.ckk, wd, d.ckk, col, d.ld, 0, tmp, d.ld)
		forSamples[T](nc, 0, func(_ []T, i int) {
			for oc := 0; oc < d.o; oc++ {
				src := tmp[oc*d.ld+i*d.hw : oc*d.ld+(i+1)*d.hw]
				dst := yd[((s0+i)*d.o+oc)*d.hw : ((s0+i)*d.o+oc+1)*d.hw]
				if bd == nil {
					copy(dst, src)
					continue
				}
				bv := bd[oc]
				for j, v := range src {
					dst[j] = v + bv
				}
			}
		})
	})
}

// batchMajor writes samples [s0, s0+nc) of dy (N, O, H'*W') into t laid out as
// (O, chunk*H'*W').
func batchMajor[T float](d convDims, dy, t []T, s0, nc int) {
	forSamples[T](nc, 0, func(_ []T, i int) {
		for oc := 0; oc < d.o; oc++ {
			copy(t[oc*d.ld+i*d.hw:oc*d.ld+(i+1)*d.hw], dy[((s0+i)*d.o+oc)*d.hw:((s0+i)*d.o+oc+1)*d.hw])
		}
	})
}

// convInputGrad writes dx, the gradient of the convolution with respect to its input,
// from the weight w and the output gradient dy: per chunk, dx = col2im(Wᵀ · dY').
func convInputGrad[T float](g convGeom, w, dy, dx *tensor.Dense) {
	gemm := gemmOf[T]()
	d := newConvDims(g, dx.Shape(), w.Shape())
	wd, dyd, dxd := w.Data().([]T), dy.Data().([]T), dx.Data().([]T)
	size := d.c * d.h * d.w
	if d.perSample() {
		// op(A) = Wᵀ: the GEMM packs a transposed A by copying.
		ds, mul := d.sample(), serialGemm[T]()
		forSamples[T](d.n, d.ckk*d.hw, func(dcol []T, i int) {
			mul(true, false, d.ckk, d.hw, d.o, wd, d.ckk, dyd[i*d.o*d.hw:(i+1)*d.o*d.hw], d.hw, 0, dcol, d.hw)
			dxi := dxd[i*size : (i+1)*size]
			clear(dxi)
			col2im(g, ds, dcol, dxi)
		})
		return
	}
	dyt, dcol := getBuf[T](d.o*d.ld), getBuf[T](d.ckk*d.ld)
	defer putBuf(dyt)
	defer putBuf(dcol)
	clear(dxd)
	d.forChunks(func(s0, nc int) {
		batchMajor(d, dyd, dyt, s0, nc)
		gemm(true, false, d.ckk, nc*d.hw, d.o, wd, d.ckk, dyt, d.ld, 0, dcol, d.ld)
		forSamples[T](nc, 0, func(_ []T, i int) {
			col2im(g, d, dcol[i*d.hw:], dxd[(s0+i)*size:(s0+i+1)*size])
		})
	})
}

// convWeightGrad writes dw = sum over chunks of dY' · COLᵀ.
func convWeightGrad[T float](g convGeom, x, dy, dw *tensor.Dense) {
	gemm := gemmOf[T]()
	d := newConvDims(g, x.Shape(), dw.Shape())
	xd, dyd, dwd := x.Data().([]T), dy.Data().([]T), dw.Data().([]T)
	if d.perSample() {
		convWeightGradSamples(g, d, xd, dyd, dwd)
		return
	}
	col, dyt := getBuf[T](d.ckk*d.ld), getBuf[T](d.o*d.ld)
	defer putBuf(col)
	defer putBuf(dyt)
	var beta T
	d.forChunks(func(s0, nc int) {
		fillCol(g, d, xd, col, s0, nc)
		batchMajor(d, dyd, dyt, s0, nc)
		gemm(false, true, d.o, d.ckk, nc*d.hw, dyt, d.ld, col, d.ld, beta, dwd, d.ckk)
		beta = 1
	})
}

// convWeightGradSamples is convWeightGrad one sample at a time: each worker adds
// dy[i] · COL(x[i])ᵀ for its samples into its own partial sum, in a fixed order, and
// the partial sums are added in worker order, so the result is the same every run.
func convWeightGradSamples[T float](g convGeom, d convDims, xd, dyd, dwd []T) {
	ds, mul := d.sample(), serialGemm[T]()
	size, nw := d.c*d.h*d.w, d.o*d.ckk
	k := workers(d.n)
	parts := getBuf[T](k * nw)
	defer putBuf(parts)
	var wg sync.WaitGroup
	for wk := 0; wk < k; wk++ {
		wg.Add(1)
		go func(wk int) {
			defer wg.Done()
			col := getBuf[T](d.ckk * d.hw)
			defer putBuf(col)
			part := dwd
			if wk > 0 {
				part = parts[wk*nw : (wk+1)*nw]
			}
			var beta T
			for i := wk; i < d.n; i += k {
				im2col(g, ds, xd[i*size:(i+1)*size], col)
				mul(false, true, d.o, d.ckk, d.hw, dyd[i*d.o*d.hw:(i+1)*d.o*d.hw], d.hw, col, d.hw, beta, part, d.ckk)
				beta = 1
			}
		}(wk)
	}
	wg.Wait()
	for wk := 1; wk < k; wk++ {
		for j, v := range parts[wk*nw : (wk+1)*nw] {
			dwd[j] += v
		}
	}
}

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

// workers returns how many goroutines to run n samples on.
func workers(n int) int { return max(1, min(n, runtime.GOMAXPROCS(0))) }

// forSamples calls fn(buf, i) for every sample i < n on parallel workers, each with
// its own scratch buffer of bufSize elements (arbitrary contents, from getBuf).
func forSamples[T float](n, bufSize int, fn func(buf []T, i int)) {
	k := workers(n)
	if k == 1 {
		buf := getBuf[T](bufSize)
		defer putBuf(buf)
		for i := 0; i < n; i++ {
			fn(buf, i)
		}
		return
	}
	var wg sync.WaitGroup
	for wk := 0; wk < k; wk++ {
		wg.Add(1)
		go func(wk int) {
			defer wg.Done()
			buf := getBuf[T](bufSize)
			defer putBuf(buf)
			for i := wk; i < n; i += k {
				fn(buf, i)
			}
		}(wk)
	}
	wg.Wait()
}

// Scratch buffers (the im2col matrices, several MB for a batch) are reused across runs
// instead of being garbage each step.
var (
	pool32 sync.Pool // *[]float32
	pool64 sync.Pool // *[]float64
)

// getBuf returns a scratch slice of n elements with arbitrary contents.
func getBuf[T float](n int) []T {
	var p *sync.Pool
	switch any(T(0)).(type) {
	case float32:
		p = &pool32
	default:
		p = &pool64
	}
	if v, ok := p.Get().(*[]T); ok && cap(*v) >= n {
		return (*v)[:n]
	}
	return make([]T, n)
}

// putBuf returns a slice from getBuf to the pool.
func putBuf[T float](b []T) {
	switch any(b).(type) {
	case []float32:
		pool32.Put(&b)
	default:
		pool64.Put(&b)
	}
}
