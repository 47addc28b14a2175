package kern

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gradflow/gradflow/ops/blas"
)

// The AVX-512 GELU runs the Go body's arithmetic with fused multiply-adds: within one
// float32 ulp of it, nearly always equal, on specials (NaN in, NaN out; ±Inf to their
// limits), a dense grid and every tail.
func TestGELU32(t *testing.T) {
	simdPaths(t, func(t *testing.T, p blas.Path) {
		r := rand.New(rand.NewPCG(5, 6))
		var grid []float32
		for v := -20.0; v <= 20; v += 1.0 / 256 {
			grid = append(grid, float32(v))
		}
		inputs := [][]float32{grid, to32(specials)}
		for _, n := range lengths {
			inputs = append(inputs, to32(values(r, n)))
		}
		for _, x := range inputs {
			dy := to32(values(r, len(x)))
			for i := range dy {
				if i%2 == 0 {
					dy[i] = 1
				}
			}
			var wantY, wantD []float32
			on(t, blas.PathGeneric, func() {
				wantY, wantD = make([]float32, len(x)), make([]float32, len(x))
				GELU32(x, wantY)
				GELUGrad32(x, dy, wantD)
			})
			gotY, gotD := make([]float32, len(x)), make([]float32, len(x))
			on(t, p, func() {
				GELU32(x, gotY)
				GELUGrad32(x, dy, gotD)
			})
			within32(t, "GELU32", gotY, wantY, 1, 0.002)
			within32(t, "GELUGrad32", gotD, wantD, 1, 0.002)
		}
		// The Go body's limits and NaN.
		y, d := make([]float32, 4), make([]float32, 4)
		x := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), -30}
		on(t, blas.PathGeneric, func() {
			GELU32(x, y)
			GELUGrad32(x, []float32{1, 1, 1, 1}, d)
		})
		if y[0] == y[0] || d[0] == d[0] || y[1] != x[1] || y[2] != 0 || y[3] != 0 || d[1] != 1 || d[2] != 0 || d[3] != 0 {
			t.Errorf("GELU32(%v) = %v, GELUGrad32 = %v; want [NaN +Inf 0 0], [NaN 1 0 0]", x, y, d)
		}
	})
}

// The AVX-512 exponentials use the shared polynomial instead of math.Exp: within one
// float32 ulp, and the float64 sum within 1e-12 relative.
func TestExpShifted32(t *testing.T) {
	simdPaths(t, func(t *testing.T, p blas.Path) {
		r := rand.New(rand.NewPCG(7, 8))
		for _, n := range lengths {
			for _, scale := range []float64{1, 0.125} {
				x := make([]float32, n)
				for i := range x {
					x[i] = float32(r.NormFloat64() * 20)
				}
				if n > 3 {
					x[1], x[2], x[3] = float32(math.Inf(-1)), -3e38, float32(math.NaN())
				}
				m := 0.0
				for _, v := range x {
					if f := float64(v) * scale; f > m {
						m = f
					}
				}
				want, got := clone(x), clone(x)
				var ws, gs float64
				on(t, blas.PathGeneric, func() { ws = ExpShifted32(want, scale, m) })
				on(t, p, func() { gs = ExpShifted32(got, scale, m) })
				within32(t, "ExpShifted32", got, want, 1, 0.01)
				if ws != gs && !(ws != ws && gs != gs) && math.Abs(gs-ws) > 1e-12*math.Abs(ws) {
					t.Fatalf("n %d: sum %v, Go body %v", n, gs, ws)
				}
			}
		}
	})
}

// The AVX-512 cell kernels differ from the Go bodies only by their exp and tanh: at
// most two float32 ulps on every output, with and without biases, every tail of H,
// and saturating and NaN pre-activations. float64 always runs the Go body.
func TestCells(t *testing.T) {
	simdPaths(t, func(t *testing.T, p blas.Path) {
		r := rand.New(rand.NewPCG(9, 10))
		gen := func(n int, scale float64) []float32 {
			v := make([]float32, n)
			for i := range v {
				v[i] = float32(r.NormFloat64() * scale)
			}
			if n > 9 {
				v[3], v[7], v[9] = float32(math.NaN()), 1e30, -1e30
			}
			return v
		}
		for H := 1; H <= 41; H += 1 + H/10 {
			for _, scale := range []float64{0.5, 3, 40} {
				row, cPrev, bias := gen(LSTMWidth*H, scale), gen(H, 1), gen(4*H, 0.1)
				drow, dh, dc := gen(LSTMWidth*H, 1), gen(H, 1), gen(H, 1)
				grow, hp, hPrev, bih, bhh := gen(GRUWidth*H, scale), gen(3*H, scale), gen(H, 1), gen(3*H, 0.1), gen(3*H, 0.1)
				x, xb := gen(H, scale), gen(H, 0.1)
				for _, withBias := range []bool{false, true} {
					b, bi, bh, tb := []float32(nil), []float32(nil), []float32(nil), []float32(nil)
					if withBias {
						b, bi, bh, tb = bias, bih, bhh, xb
					}
					run := func() (l, dg, dcOut, g, th []float32) {
						l = clone(row)
						LSTMCell(l, cPrev, b, H)
						dg, dcOut = make([]float32, 4*H), clone(dc)
						LSTMCellGrad(l, drow, cPrev, dh, dcOut, dg, H)
						g = clone(grow)
						GRUCell(g, hp, hPrev, bi, bh, H)
						th = clone(x)
						TanhBias(th, tb)
						return
					}
					var w [5][]float32
					on(t, blas.PathGeneric, func() { w[0], w[1], w[2], w[3], w[4] = run() })
					var g [5][]float32
					on(t, p, func() { g[0], g[1], g[2], g[3], g[4] = run() })
					for i, name := range []string{"LSTMCell", "LSTMCellGrad dg", "LSTMCellGrad dc", "GRUCell", "TanhBias"} {
						// The gradient reads the forward's outputs, so it inherits their
						// differences; two ulps each bound what the exp and tanh change.
						within32(t, name, g[i], w[i], 2, 0.05)
					}
				}
			}
			row64 := make([]float64, LSTMWidth*H)
			for i := range row64 {
				row64[i] = r.NormFloat64()
			}
			want, got := clone(row64), clone(row64)
			on(t, blas.PathGeneric, func() { LSTMCell(want, row64[:H], nil, H) })
			on(t, p, func() { LSTMCell(got, row64[:H], nil, H) })
			sameBits64(t, "LSTMCell float64", got, want)
		}
	})
}

// The AVX-512 max pool gives the Go body's values (bits, but for NaN payloads): NaN propagating, the gradient at the
// first maximum (ties, NaNs), every width tail, odd sizes, several planes.
func TestMaxPool2x2(t *testing.T) {
	simdPaths(t, func(t *testing.T, p blas.Path) {
		r := rand.New(rand.NewPCG(11, 12))
		for _, planes := range []int{1, 3} {
			for h := 1; h <= 7; h++ {
				for w := 1; w <= 70; w += 1 + w/6 {
					x := values(r, planes*h*w)
					for i := range x {
						if i%3 == 0 {
							x[i] = float64(r.IntN(3)) // ties
						}
					}
					oh, ow := h/2, w/2
					dy := values(r, planes*oh*ow)
					for i := range dy {
						if float32(dy[i]) == 0 || dy[i] != dy[i] {
							dy[i] = 1 // the Go body adds to zeros: -0 would become +0
						}
					}
					x32, dy32 := to32(x), to32(dy)
					run := func() (y, dx []float64, y32, dx32 []float32) {
						y, dx = make([]float64, len(dy)), make([]float64, len(x))
						MaxPool2x2(x, y, planes, h, w)
						MaxPool2x2Grad(x, y, dy, dx, planes, h, w)
						y32, dx32 = make([]float32, len(dy)), make([]float32, len(x))
						MaxPool2x2(x32, y32, planes, h, w)
						MaxPool2x2Grad(x32, y32, dy32, dx32, planes, h, w)
						return
					}
					var wy, wdx, gy, gdx []float64
					var wy32, wdx32, gy32, gdx32 []float32
					on(t, blas.PathGeneric, func() { wy, wdx, wy32, wdx32 = run() })
					on(t, p, func() { gy, gdx, gy32, gdx32 = run() })
					// NaN outputs: the assembly keeps the first NaN's payload, the builtin
					// max may keep another's; of +0 and -0 VMAX keeps the later, max +0.
					equalValues(t, "MaxPool2x2", gy, wy)
					sameBits64(t, "MaxPool2x2Grad", gdx, wdx)
					equalValues(t, "MaxPool2x2 float32", gy32, wy32)
					sameBits32(t, "MaxPool2x2Grad float32", gdx32, wdx32)
					for i, v := range wy {
						pl, rem := i/(oh*ow), i%(oh*ow)
						oi, oj := rem/ow, rem%ow
						base := pl*h*w + 2*oi*w + 2*oj
						m := x[base]
						for _, u := range []float64{x[base+1], x[base+w], x[base+w+1]} {
							if u != u || u > m {
								m = u
							}
							if m != m {
								break
							}
						}
						if !(v != v && m != m) && v != m {
							t.Fatalf("MaxPool2x2 output %d = %v, want %v", i, v, m)
						}
					}
				}
			}
		}
	})
}

// equalValues checks got == want element-wise, NaN matching NaN (+0 matching -0).
func equalValues[F Float](t *testing.T, what string, got, want []F) {
	t.Helper()
	for i := range want {
		if got[i] != want[i] && !(got[i] != got[i] && want[i] != want[i]) {
			t.Fatalf("%s: element %d of %d = %v, Go body %v", what, i, len(want), got[i], want[i])
		}
	}
}

// The AVX2 GELU is the AVX-512 one on four lanes: the same bits (on whole vectors of
// eight, where both run assembly), specials included.
func TestGELU32AVX2MatchesAVX512(t *testing.T) {
	if !blas.Supported(blas.PathAVX512) || !blas.Supported(blas.PathAVX2) {
		t.Skip("no AVX-512 to compare with")
	}
	r := rand.New(rand.NewPCG(13, 14))
	var x []float32
	for v := -20.0; v <= 20; v += 1.0 / 512 {
		x = append(x, float32(v))
	}
	x = append(x, to32(specials)...)
	x = append(x, to32(values(r, 4096))...)
	x = x[:len(x)&^7]
	dy := to32(values(r, len(x)))
	var y5, d5, y2, d2 []float32
	for _, c := range []struct {
		p    blas.Path
		y, d *[]float32
	}{{blas.PathAVX512, &y5, &d5}, {blas.PathAVX2, &y2, &d2}} {
		on(t, c.p, func() {
			*c.y, *c.d = make([]float32, len(x)), make([]float32, len(x))
			GELU32(x, *c.y)
			GELUGrad32(x, dy, *c.d)
		})
	}
	sameBits32(t, "GELU32 avx2 vs avx512", y2, y5)
	sameBits32(t, "GELUGrad32 avx2 vs avx512", d2, d5)
}

// The AVX2 exponentials are the AVX-512 ones on four lanes, bit for bit, down to the
// denormals and the -1000 floor; the sums (four partial sums against eight) agree to
// 1e-15 relative.
func TestExpShifted32AVX2MatchesAVX512(t *testing.T) {
	if !blas.Supported(blas.PathAVX512) || !blas.Supported(blas.PathAVX2) {
		t.Skip("no AVX-512 to compare with")
	}
	r := rand.New(rand.NewPCG(15, 16))
	x := make([]float32, 4096)
	for i := range x {
		x[i] = float32(-r.Float64() * 1200)
	}
	copy(x, []float32{float32(math.NaN()), float32(math.Inf(-1)), -3e38, 0, -745, -708, -1000, -1001})
	var e5, e2 []float32
	var s5, s2 float64
	on(t, blas.PathAVX512, func() { e5 = clone(x); s5 = ExpShifted32(e5, 1, 0) })
	on(t, blas.PathAVX2, func() { e2 = clone(x); s2 = ExpShifted32(e2, 1, 0) })
	sameBits32(t, "ExpShifted32 avx2 vs avx512", e2, e5)
	if s5 == s5 || s2 == s2 {
		t.Errorf("sums %v, %v: want NaN (x holds a NaN)", s2, s5)
	}
	y := clone(x[8:])
	on(t, blas.PathAVX512, func() { e5 = clone(y); s5 = ExpShifted32(e5, 0.001, -0.2) })
	on(t, blas.PathAVX2, func() { e2 = clone(y); s2 = ExpShifted32(e2, 0.001, -0.2) })
	sameBits32(t, "ExpShifted32 avx2 vs avx512, scaled", e2, e5)
	if math.Abs(s2-s5) > 1e-15*math.Abs(s5) {
		t.Errorf("sum avx2 %v, avx512 %v", s2, s5)
	}
}

// The AVX2 cell kernels are the AVX-512 ones on four lanes: the same bits where both
// run assembly on every column (H a multiple of 8), saturating, denormal-producing and
// NaN pre-activations included.
func TestCellsAVX2MatchAVX512(t *testing.T) {
	if !blas.Supported(blas.PathAVX512) || !blas.Supported(blas.PathAVX2) {
		t.Skip("no AVX-512 to compare with")
	}
	r := rand.New(rand.NewPCG(17, 18))
	gen := func(n int, scale float64) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64() * scale)
		}
		for i, s := range []float32{float32(math.NaN()), 1e30, -1e30, 745, -745, 400, -400, 0, float32(math.Copysign(0, -1)), 1e-40} {
			if 3*i+1 < n {
				v[3*i+1] = s
			}
		}
		return v
	}
	for _, H := range []int{8, 16, 40} {
		for _, scale := range []float64{0.5, 5, 300} {
			row, cPrev, bias := gen(LSTMWidth*H, scale), gen(H, scale), gen(4*H, 0.1)
			drow, dh, dc := gen(LSTMWidth*H, 1), gen(H, 1), gen(H, 1)
			grow, hp, hPrev, bih, bhh := gen(GRUWidth*H, scale), gen(3*H, scale), gen(H, 1), gen(3*H, 0.1), gen(3*H, 0.1)
			x, xb := gen(H, scale), gen(H, 0.1)
			run := func() (out [5][]float32) {
				out[0] = clone(row)
				LSTMCell(out[0], cPrev, bias, H)
				out[1], out[2] = make([]float32, 4*H), clone(dc)
				LSTMCellGrad(out[0], drow, cPrev, dh, out[2], out[1], H)
				out[3] = clone(grow)
				GRUCell(out[3], hp, hPrev, bih, bhh, H)
				out[4] = clone(x)
				TanhBias(out[4], xb)
				return out
			}
			var a5, a2 [5][]float32
			on(t, blas.PathAVX512, func() { a5 = run() })
			on(t, blas.PathAVX2, func() { a2 = run() })
			for i, name := range []string{"LSTMCell", "LSTMCellGrad dg", "LSTMCellGrad dc", "GRUCell", "TanhBias"} {
				sameBits32(t, name+" avx2 vs avx512", a2[i], a5[i])
			}
		}
	}
}

// The AVX2 max pool is the AVX-512 one on whole chunks: the same bits, NaN payloads
// and ±0 included, forward and backward.
func TestMaxPool2x2AVX2MatchesAVX512(t *testing.T) {
	if !blas.Supported(blas.PathAVX512) || !blas.Supported(blas.PathAVX2) {
		t.Skip("no AVX-512 to compare with")
	}
	r := rand.New(rand.NewPCG(19, 20))
	for _, dims := range [][3]int{{1, 2, 32}, {3, 6, 64}, {2, 5, 96}} {
		planes, h, w := dims[0], dims[1], dims[2]
		x := values(r, planes*h*w)
		for i := range x {
			if i%3 == 0 {
				x[i] = float64(r.IntN(3)) * float64(1-2*r.IntN(2)) // ties, ±0
			}
		}
		dy := values(r, planes*(h/2)*(w/2))
		x32, dy32 := to32(x), to32(dy)
		run := func() (y, dx []float64, y32, dx32 []float32) {
			y, dx = make([]float64, len(dy)), make([]float64, len(x))
			MaxPool2x2(x, y, planes, h, w)
			MaxPool2x2Grad(x, y, dy, dx, planes, h, w)
			y32, dx32 = make([]float32, len(dy)), make([]float32, len(x))
			MaxPool2x2(x32, y32, planes, h, w)
			MaxPool2x2Grad(x32, y32, dy32, dx32, planes, h, w)
			return
		}
		var a, b [2][]float64
		var a32, b32 [2][]float32
		on(t, blas.PathAVX512, func() { a[0], a[1], a32[0], a32[1] = run() })
		on(t, blas.PathAVX2, func() { b[0], b[1], b32[0], b32[1] = run() })
		sameBits64(t, "MaxPool2x2 avx2 vs avx512", b[0], a[0])
		sameBits64(t, "MaxPool2x2Grad avx2 vs avx512", b[1], a[1])
		sameBits32(t, "MaxPool2x2 float32 avx2 vs avx512", b32[0], a32[0])
		sameBits32(t, "MaxPool2x2Grad float32 avx2 vs avx512", b32[1], a32[1])
	}
}
