package kern

import "unsafe"

// ReLU writes max(x, 0) into y as PyTorch computes it: x < 0 ? 0 : x, so NaN and -0
// pass through. len(y) >= len(x); x and y may be the same slice.
//
// The Go body works on the bits of the floats: a branch on the sign of random data is
// mispredicted half the time, which made a branching loop 4 to 5 times slower.
func ReLU[F Float](x, y []F) {
	y = y[:len(x)]
	n := reluAsm(x, y)
	if is32[F]() {
		reluGo32(f32(x[n:]), f32(y[n:]))
	} else {
		reluGo64(f64(x[n:]), f64(y[n:]))
	}
}

// ReLUGrad writes dy where !(y <= 0) and 0 elsewhere into dx: PyTorch's
// threshold_backward, which passes the gradient at a NaN output. len(dy) and
// len(dx) >= len(y).
func ReLUGrad[F Float](y, dy, dx []F) {
	dy, dx = dy[:len(y)], dx[:len(y)]
	n := reluGradAsm(y, dy, dx)
	if is32[F]() {
		reluGradGo32(f32(y[n:]), f32(dy[n:]), f32(dx[n:]))
	} else {
		reluGradGo64(f64(y[n:]), f64(dy[n:]), f64(dx[n:]))
	}
}

// Add adds src to dst element by element (the same IEEE additions on every path).
// len(src) >= len(dst).
func Add[F Float](dst, src []F) {
	src = src[:len(dst)]
	for j := addAsm(dst, src); j < len(dst); j++ {
		dst[j] += src[j]
	}
}

// is32 reports whether F is 4 bytes wide.
func is32[F Float]() bool {
	var z F
	return unsafe.Sizeof(z) == 4
}

// f32 and f64 view a slice of F as its underlying float type.
func f32[F Float](s []F) []float32 {
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

func f64[F Float](s []F) []float64 {
	return unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

// reluGo32 zeroes the elements whose sign bit is set unless they are NaN or -0.
func reluGo32(x, y []float32) {
	y = y[:len(x)]
	xs := unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(x))), len(x))
	ys := unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(y))), len(y))
	for i, u := range xs {
		a := u & 0x7fffffff
		neg := uint32(int32(u) >> 31)            // all ones if the sign bit is set
		nonzero := uint32(int32(a|-a) >> 31)     // all ones unless ±0
		nan := uint32(int32(0x7f800000-a) >> 31) // all ones if NaN
		ys[i] = u &^ (neg & nonzero &^ nan)
	}
}

func reluGo64(x, y []float64) {
	y = y[:len(x)]
	xs := unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(x))), len(x))
	ys := unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(y))), len(y))
	for i, u := range xs {
		a := u & 0x7fffffffffffffff
		neg := uint64(int64(u) >> 63)
		nonzero := uint64(int64(a|-a) >> 63)
		nan := uint64(int64(0x7ff0000000000000-a) >> 63)
		ys[i] = u &^ (neg & nonzero &^ nan)
	}
}

func reluGradGo32(y, dy, dx []float32) {
	dy, dx = dy[:len(y)], dx[:len(y)]
	ys := unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(y))), len(y))
	ds := unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(dy))), len(y))
	xs := unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(dx))), len(y))
	for i, u := range ys {
		a := u & 0x7fffffff
		nonzero := uint32(int32(a|-a) >> 31)
		neg := uint32(int32(u) >> 31)
		nan := uint32(int32(0x7f800000-a) >> 31)
		xs[i] = ds[i] & (nonzero &^ (neg &^ nan))
	}
}

func reluGradGo64(y, dy, dx []float64) {
	dy, dx = dy[:len(y)], dx[:len(y)]
	ys := unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(y))), len(y))
	ds := unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(dy))), len(y))
	xs := unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(dx))), len(y))
	for i, u := range ys {
		a := u & 0x7fffffffffffffff
		nonzero := uint64(int64(a|-a) >> 63)
		neg := uint64(int64(u) >> 63)
		nan := uint64(int64(0x7ff0000000000000-a) >> 63)
		xs[i] = ds[i] & (nonzero &^ (neg &^ nan))
	}
}
