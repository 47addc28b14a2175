package ops

import (
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/tensor"
)

// The 2x2 stride-2 fast path must give the general path's outputs and gradients bit for
// bit, with ties (the first maximum gets the gradient), NaN windows and odd sizes.
// Both versions of the fast path run: the AVX-512 one (where the CPU has it) and Go's.
func TestMaxPool2x2MatchesGeneral(t *testing.T) {
	defer func(a bool) { pool2Asm = a }(pool2Asm)
	for _, asm := range []bool{pool2Asm, false} {
		pool2Asm = asm
		name := map[bool]string{true: "asm", false: "go"}[asm]
		t.Run(name+"/float32", func(t *testing.T) { checkMaxPool2x2[float32](t) })
		t.Run(name+"/float64", func(t *testing.T) { checkMaxPool2x2[float64](t) })
	}
}

func checkMaxPool2x2[T float](t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	p := maxPoolParams{Kernel: [2]int{2, 2}, Stride: [2]int{2, 2}}
	// Widths past one and two vectors of outputs, with and without a tail, cover the
	// assembly's full and masked steps.
	for _, shape := range []tensor.Shape{{1, 1, 2, 2}, {2, 3, 5, 7}, {3, 2, 8, 8}, {1, 1, 1, 4},
		{2, 2, 4, 32}, {1, 3, 6, 70}, {2, 1, 3, 33}, {1, 2, 2, 64}} {
		n := shape.TotalSize()
		oh, ow := shape[2]/2, shape[3]/2
		x := make([]T, n)
		for i := range x {
			x[i] = T(r.IntN(5)) // small integers: many ties
		}
		if n > 5 {
			x[1], x[n-2] = T(math.NaN()), T(math.Inf(-1))
		}
		if n > 100 { // a NaN after the first vector, and negative zeros among zeros
			x[77], x[78] = T(math.NaN()), T(math.NaN())
			for i := 3; i < n; i += 11 {
				x[i] = T(math.Copysign(0, -1))
			}
		}
		m := shape[0] * shape[1] * oh * ow
		dy := make([]T, m)
		for i := range dy {
			dy[i] = T(r.NormFloat64())
		}
		y1, y2 := make([]T, m), make([]T, m)
		dx1, dx2 := make([]T, n), make([]T, n)
		maxPool(p, shape, x, y1, nil, nil)
		maxPoolGeneral(p, shape, x, y2, nil, nil)
		maxPool(p, shape, x, y1, dy, dx1)
		maxPoolGeneral(p, shape, x, y2, dy, dx2)
		for i := range y1 {
			if !sameFloat(y1[i], y2[i]) {
				t.Fatalf("%v: y[%d] = %v fast, %v general", shape, i, y1[i], y2[i])
			}
		}
		for i := range dx1 {
			if !sameFloat(dx1[i], dx2[i]) {
				t.Fatalf("%v: dx[%d] = %v fast, %v general", shape, i, dx1[i], dx2[i])
			}
		}
	}
}

func sameFloat[T float](a, b T) bool { return a == b || (a != a && b != b) }
