package ops

import (
	"runtime"
	"sync"

	"gorgonia.org/tensor"
)

// The kernels of the convolution op (conv.go): the three passes (im2col and col2im are
// in conv_im2col.go).
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
