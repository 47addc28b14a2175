//go:build amd64 && !purego

package kern

import (
	"unsafe"

	"github.com/gradflow/gradflow/ops/blas"
)

// The assembly (generated *_amd64.s) and the functions that call it for the whole
// vectors of a slice where the active path allows it; each returns how many elements
// (or columns) it did, the Go body doing the rest.

//go:noescape
func reluAVX2S(x, y *float32, n int)

//go:noescape
func reluAVX2D(x, y *float64, n int)

//go:noescape
func reluMaskAVX2S(y, dy, dx *float32, n int)

//go:noescape
func reluMaskAVX2D(y, dy, dx *float64, n int)

//go:noescape
func addAVX2S(dst, src *float32, n int)

//go:noescape
func addAVX2D(dst, src *float64, n int)

//go:noescape
func adamAVX2S(wp, gp, mp, vp *float32, n int, c *[9]float32)

//go:noescape
func adamAVX2D(wp, gp, mp, vp *float64, n int, c *[9]float64)

//go:noescape
func geluAVX512(x, y *float32, n int)

//go:noescape
func geluGradAVX512(x, dy, dx *float32, n int)

//go:noescape
func geluAVX2(x, y *float32, n int)

//go:noescape
func geluGradAVX2(x, dy, dx *float32, n int)

//go:noescape
func softmaxExpAVX512(x *float32, n int, scale, m float64) (sum float64)

//go:noescape
func softmaxExpAVX2(x *float32, n int, scale, m float64) (sum float64)

//go:noescape
func lstmCellAVX512(row, cPrev, bias *float32, h, n int)

//go:noescape
func lstmCellGradAVX512(row, drow, cPrev, dh, dc, dg *float32, h, n int)

//go:noescape
func gruCellAVX512(row, hp, hPrev, bih, bhh *float32, h, n int)

//go:noescape
func tanhBiasAVX512(x, bias *float32, n int)

//go:noescape
func lstmCellAVX2(row, cPrev, bias *float32, h, n int)

//go:noescape
func lstmCellGradAVX2(row, drow, cPrev, dh, dc, dg *float32, h, n int)

//go:noescape
func gruCellAVX2(row, hp, hPrev, bih, bhh *float32, h, n int)

//go:noescape
func tanhBiasAVX2(x, bias *float32, n int)

//go:noescape
func maxPool2FwdAVX2S(x, y *float32, rows, wB, yB, nfull int)

//go:noescape
func maxPool2FwdAVX2D(x, y *float64, rows, wB, yB, nfull int)

//go:noescape
func maxPool2BwdAVX2S(x, y, dy, dx *float32, rows, wB, yB, nfull int)

//go:noescape
func maxPool2BwdAVX2D(x, y, dy, dx *float64, rows, wB, yB, nfull int)

//go:noescape
func maxPool2FwdAVX512S(x, y *float32, rows, wB, yB, nfull int, tail uint64)

//go:noescape
func maxPool2FwdAVX512D(x, y *float64, rows, wB, yB, nfull int, tail uint64)

//go:noescape
func maxPool2BwdAVX512S(x, y, dy, dx *float32, rows, wB, yB, nfull int, tail uint64)

//go:noescape
func maxPool2BwdAVX512D(x, y, dy, dx *float64, rows, wB, yB, nfull int, tail uint64)

// avx2 reports whether the AVX2 kernels may run (also on the AVX512 path); onlyAVX2
// whether the path is exactly AVX2: the AVX2 versions of the AVX-512 kernels run there
// only, so that the AVX512 path keeps its Go bodies on short slices and tails.
func avx2() bool     { return blas.Active() >= blas.PathAVX2 }
func onlyAVX2() bool { return blas.Active() == blas.PathAVX2 }
func avx512() bool   { return blas.Active() >= blas.PathAVX512 }

func reluAsm[F Float](x, y []F) int {
	if !avx2() {
		return 0
	}
	if is32[F]() && len(x) >= 8 {
		n := len(x) &^ 7
		reluAVX2S(&f32(x)[0], &f32(y)[0], n)
		return n
	}
	if !is32[F]() && len(x) >= 4 {
		n := len(x) &^ 3
		reluAVX2D(&f64(x)[0], &f64(y)[0], n)
		return n
	}
	return 0
}

func reluGradAsm[F Float](y, dy, dx []F) int {
	if !avx2() {
		return 0
	}
	if is32[F]() && len(y) >= 8 {
		n := len(y) &^ 7
		reluMaskAVX2S(&f32(y)[0], &f32(dy)[0], &f32(dx)[0], n)
		return n
	}
	if !is32[F]() && len(y) >= 4 {
		n := len(y) &^ 3
		reluMaskAVX2D(&f64(y)[0], &f64(dy)[0], &f64(dx)[0], n)
		return n
	}
	return 0
}

func addAsm[F Float](dst, src []F) int {
	if !avx2() {
		return 0
	}
	if is32[F]() && len(dst) >= 8 {
		n := len(dst) &^ 7
		addAVX2S(&f32(dst)[0], &f32(src)[0], n)
		return n
	}
	if !is32[F]() && len(dst) >= 4 {
		n := len(dst) &^ 3
		addAVX2D(&f64(dst)[0], &f64(src)[0], n)
		return n
	}
	return 0
}

func adamAsm[F Float](w, g, m, v []F, a AdamArgs[F]) int {
	if !avx2() || len(w) < 8 {
		return 0
	}
	c := [9]F{a.Beta1, a.Beta2, a.OneMinusBeta1, a.OneMinusBeta2, 0, a.Decay, a.StepSize, a.BC2Sqrt, a.Eps}
	if is32[F]() {
		n := len(w) &^ 7
		adamAVX2S(&f32(w)[0], &f32(g)[0], &f32(m)[0], &f32(v)[0], n, (*[9]float32)(unsafe.Pointer(&c)))
		return n
	}
	n := len(w) &^ 3
	adamAVX2D(&f64(w)[0], &f64(g)[0], &f64(m)[0], &f64(v)[0], n, (*[9]float64)(unsafe.Pointer(&c)))
	return n
}

func geluAsm(x, y []float32) int {
	if n := len(x) &^ 7; avx512() && n > 0 {
		geluAVX512(&x[0], &y[0], n)
		return n
	}
	if n := len(x) &^ 3; onlyAVX2() && n > 0 {
		geluAVX2(&x[0], &y[0], n)
		return n
	}
	return 0
}

func geluGradAsm(x, dy, dx []float32) int {
	if n := len(x) &^ 7; avx512() && n > 0 {
		geluGradAVX512(&x[0], &dy[0], &dx[0], n)
		return n
	}
	if n := len(x) &^ 3; onlyAVX2() && n > 0 {
		geluGradAVX2(&x[0], &dy[0], &dx[0], n)
		return n
	}
	return 0
}

func expShiftedAsm(x []float32, scale, m float64) (int, float64) {
	if n := len(x) &^ 7; avx512() && n > 0 {
		return n, softmaxExpAVX512(&x[0], n, scale, m)
	}
	if n := len(x) &^ 3; onlyAVX2() && n > 0 {
		return n, softmaxExpAVX2(&x[0], n, scale, m)
	}
	return 0, 0
}

// ptr32 returns the address of s's first element as a *float32, nil for a nil s.
func ptr32[F Float](s []F) *float32 {
	if s == nil {
		return nil
	}
	return &f32(s)[0]
}

func lstmCellAsm[F Float](row, cPrev, bias []F, H int) int {
	switch {
	case !is32[F]():
		return 0
	case avx512() && H >= 8:
		n := H &^ 7
		lstmCellAVX512(ptr32(row), ptr32(cPrev), ptr32(bias), H, n)
		return n
	case onlyAVX2() && H >= 4:
		n := H &^ 3
		lstmCellAVX2(ptr32(row), ptr32(cPrev), ptr32(bias), H, n)
		return n
	}
	return 0
}

func lstmCellGradAsm[F Float](row, drow, cPrev, dh, dc, dg []F, H int) int {
	switch {
	case !is32[F]():
		return 0
	case avx512() && H >= 8:
		n := H &^ 7
		lstmCellGradAVX512(ptr32(row), ptr32(drow), ptr32(cPrev), ptr32(dh), ptr32(dc), ptr32(dg), H, n)
		return n
	case onlyAVX2() && H >= 4:
		n := H &^ 3
		lstmCellGradAVX2(ptr32(row), ptr32(drow), ptr32(cPrev), ptr32(dh), ptr32(dc), ptr32(dg), H, n)
		return n
	}
	return 0
}

func gruCellAsm[F Float](row, hp, hPrev, bih, bhh []F, H int) int {
	switch {
	case !is32[F]():
		return 0
	case avx512() && H >= 8:
		n := H &^ 7
		gruCellAVX512(ptr32(row), ptr32(hp), ptr32(hPrev), ptr32(bih), ptr32(bhh), H, n)
		return n
	case onlyAVX2() && H >= 4:
		n := H &^ 3
		gruCellAVX2(ptr32(row), ptr32(hp), ptr32(hPrev), ptr32(bih), ptr32(bhh), H, n)
		return n
	}
	return 0
}

func tanhBiasAsm[F Float](x, bias []F) int {
	switch {
	case !is32[F]():
		return 0
	case avx512() && len(x) >= 8:
		n := len(x) &^ 7
		tanhBiasAVX512(ptr32(x), ptr32(bias), n)
		return n
	case onlyAVX2() && len(x) >= 4:
		n := len(x) &^ 3
		tanhBiasAVX2(ptr32(x), ptr32(bias), n)
		return n
	}
	return 0
}

// maxPool2Asm runs MaxPool2x2 (dx nil) or MaxPool2x2Grad in assembly, one call per
// run of evenly spaced row pairs: all the planes when h is even (their row pairs are
// then evenly spaced across planes), else each plane. It returns how many columns of
// each output row it did: all of them on the AVX512 path (the last chunk under
// masks), the whole chunks of 8 (float32) or 4 (float64) on the AVX2 path, none
// elsewhere; the Go body does the rest. The caller has checked the bounds.
func maxPool2Asm[F Float](x, y, dy, dx []F, planes, h, w int) int {
	oh, ow := h/2, w/2
	if onlyAVX2() {
		return maxPool2AVX2(x, y, dy, dx, planes, h, w)
	}
	if !avx512() {
		return 0
	}
	lanes, es := 16, 4
	if !is32[F]() {
		lanes, es = 8, 8
	}
	nfull, tail := pool2Tail(ow, lanes)
	call := func(plane, nplanes int) {
		r0, o, rows := plane*h*w, plane*oh*ow, nplanes*oh
		if is32[F]() {
			xs, ys := f32(x), f32(y)
			if dx == nil {
				maxPool2FwdAVX512S(&xs[r0], &ys[o], rows, w*es, ow*es, nfull, tail)
				return
			}
			maxPool2BwdAVX512S(&xs[r0], &ys[o], &f32(dy)[o], &f32(dx)[r0], rows, w*es, ow*es, nfull, tail)
			return
		}
		xs, ys := f64(x), f64(y)
		if dx == nil {
			maxPool2FwdAVX512D(&xs[r0], &ys[o], rows, w*es, ow*es, nfull, tail)
			return
		}
		maxPool2BwdAVX512D(&xs[r0], &ys[o], &f64(dy)[o], &f64(dx)[r0], rows, w*es, ow*es, nfull, tail)
	}
	evenlySpaced(planes, h, call)
	return ow
}

// evenlySpaced calls call once for all the planes when h is even, else once per plane.
func evenlySpaced(planes, h int, call func(plane, nplanes int)) {
	if h%2 == 0 {
		call(0, planes)
		return
	}
	for plane := 0; plane < planes; plane++ {
		call(plane, 1)
	}
}

// maxPool2AVX2 is maxPool2Asm's AVX2 path: whole chunks of each output row.
func maxPool2AVX2[F Float](x, y, dy, dx []F, planes, h, w int) int {
	oh, ow := h/2, w/2
	lanes, es := 8, 4
	if !is32[F]() {
		lanes, es = 4, 8
	}
	nfull := ow / lanes
	if nfull == 0 {
		return 0
	}
	evenlySpaced(planes, h, func(plane, nplanes int) {
		r0, o, rows := plane*h*w, plane*oh*ow, nplanes*oh
		if is32[F]() {
			xs, ys := f32(x), f32(y)
			if dx == nil {
				maxPool2FwdAVX2S(&xs[r0], &ys[o], rows, w*es, ow*es, nfull)
				return
			}
			maxPool2BwdAVX2S(&xs[r0], &ys[o], &f32(dy)[o], &f32(dx)[r0], rows, w*es, ow*es, nfull)
			return
		}
		xs, ys := f64(x), f64(y)
		if dx == nil {
			maxPool2FwdAVX2D(&xs[r0], &ys[o], rows, w*es, ow*es, nfull)
			return
		}
		maxPool2BwdAVX2D(&xs[r0], &ys[o], &f64(dy)[o], &f64(dx)[r0], rows, w*es, ow*es, nfull)
	})
	return nfull * lanes
}
