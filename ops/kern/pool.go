package kern

// MaxPool2x2 writes the 2x2 stride-2 max pooling of planes planes of h x w (x, row
// major) into y (planes of h/2 x w/2): y[j] = max of its window, NaN propagating. An
// odd last row or column is in no window. Where a window's maximum is zero of both
// signs, the Go body (the builtin max) gives +0 and the AVX-512 body may give -0;
// where several elements are NaN, either may give any of them.
func MaxPool2x2[F Float](x, y []F, planes, h, w int) {
	oh, ow := h/2, w/2
	if planes <= 0 || oh == 0 || ow == 0 {
		return
	}
	_, _ = x[planes*h*w-1], y[planes*oh*ow-1]
	from := maxPool2Asm(x, y, nil, nil, planes, h, w) // the columns of each output row done
	for plane := 0; plane < planes; plane++ {
		xp := x[plane*h*w : (plane+1)*h*w]
		yp := y[plane*oh*ow : (plane+1)*oh*ow]
		for i := 0; i < oh; i++ {
			r0 := xp[2*i*w : 2*i*w+2*ow]
			r1 := xp[(2*i+1)*w : (2*i+1)*w+2*ow]
			yr := yp[i*ow : (i+1)*ow]
			for j := from; j < ow; j++ {
				// The builtin max is branch-free and propagates NaN.
				yr[j] = max(max(r0[2*j], r0[2*j+1]), max(r1[2*j], r1[2*j+1]))
			}
		}
	}
}

// MaxPool2x2Grad routes the gradient dy of MaxPool2x2's output y to its input x: in
// each window the first element equal to y (the first NaN when y is NaN, the last
// element when none is) gets dy, in dx laid out as x. dx must hold zeros on entry:
// the Go body adds dy to it, the AVX-512 body stores dy and the window's three other
// zeros (the same values, except that a -0 gradient stays -0 there and becomes +0
// in the Go body). Elements in no window are left as they are.
func MaxPool2x2Grad[F Float](x, y, dy, dx []F, planes, h, w int) {
	oh, ow := h/2, w/2
	if planes <= 0 || oh == 0 || ow == 0 {
		return
	}
	_, _, _, _ = x[planes*h*w-1], y[planes*oh*ow-1], dy[planes*oh*ow-1], dx[planes*h*w-1]
	from := maxPool2Asm(x, y, dy, dx, planes, h, w)
	for plane := 0; plane < planes; plane++ {
		xp := x[plane*h*w : (plane+1)*h*w]
		yp := y[plane*oh*ow : (plane+1)*oh*ow]
		dyp := dy[plane*oh*ow : (plane+1)*oh*ow]
		dxp := dx[plane*h*w : (plane+1)*h*w]
		for i := 0; i < oh; i++ {
			r0 := xp[2*i*w : 2*i*w+2*ow]
			r1 := xp[(2*i+1)*w : (2*i+1)*w+2*ow]
			yr := yp[i*ow : (i+1)*ow]
			dyr := dyp[i*ow : (i+1)*ow]
			for j := from; j < ow; j++ {
				t := yr[j]
				k := firstOf(r0[2*j], r0[2*j+1], r1[2*j], t)
				dxp[(2*i+k>>1)*w+2*j+k&1] += dyr[j]
			}
		}
	}
}

// firstOf returns the index in its window (0-3) of the first of a, b, c and the
// fourth element equal to the maximum t: the first NaN when t is NaN, else the last
// element when none of a, b, c is t.
func firstOf[F Float](a, b, c, t F) int {
	if t != t {
		return firstNaN(a, b, c)
	}
	k := 3
	if c == t {
		k = 2
	}
	if b == t {
		k = 1
	}
	if a == t {
		k = 0
	}
	return k
}

// firstNaN returns the index of the first NaN among a, b, c, and 3 (the window's last
// element) when none is.
func firstNaN[F Float](a, b, c F) int {
	switch {
	case a != a:
		return 0
	case b != b:
		return 1
	case c != c:
		return 2
	}
	return 3
}

// laneBits returns a mask of the n lowest bits (0 for n <= 0).
func laneBits(n int) uint64 {
	if n <= 0 {
		return 0
	}
	return 1<<n - 1
}

// pool2Tail returns the masks of the assembly's last, partial chunk of a row of ow
// outputs with lanes outputs a chunk, and the number of whole chunks.
func pool2Tail(ow, lanes int) (nfull int, tail uint64) {
	nfull, rem := ow/lanes, ow%lanes
	if rem > 0 {
		m0 := laneBits(min(2*rem, lanes))
		m1 := laneBits(2*rem - lanes)
		tail = m0 | m1<<16 | laneBits(rem)<<32
	}
	return nfull, tail
}
