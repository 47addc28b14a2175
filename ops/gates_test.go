package ops

import (
	"fmt"
	"gorgonia.org/tensor"
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
)

// ulps32 is the distance in float32 ulps between a and b: 0 for equal values (+0 and
// -0 included) and for two NaNs, MaxInt for a NaN against a number.
func ulps32(a, b float32) int {
	if a == b || (a != a && b != b) {
		return 0
	}
	if a != a || b != b || math.IsInf(float64(a), 0) || math.IsInf(float64(b), 0) {
		return math.MaxInt
	}
	// Map the floats to a monotonic integer line.
	key := func(x float32) int64 {
		u := int64(math.Float32bits(x))
		if u&(1<<31) != 0 {
			return -(u &^ (1 << 31))
		}
		return u
	}
	d := key(a) - key(b)
	if d < 0 {
		d = -d
	}
	return int(d)
}

// gateInputs returns n float32s: N(0, s) draws with specials mixed in (0, -0, tiny,
// huge, ±Inf, NaN) where specials.
func gateInputs(r *rand.Rand, n int, s float64, specials bool) []float32 {
	sp := []float32{0, float32(math.Copysign(0, -1)), 1e-30, -1e-30, 1e-8, -3e-6, 9, -9, 17, -17,
		44, -44, 89, -89, 1e4, -1e4, 3e38, -3e38, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
	v := make([]float32, n)
	for i := range v {
		if specials && r.IntN(4) == 0 {
			v[i] = sp[r.IntN(len(sp))]
		} else {
			v[i] = float32(r.NormFloat64() * s)
		}
	}
	return v
}

// compareGates wants got and want within maxULP float32 ulps everywhere.
func compareGates(t *testing.T, what string, got, want []float32, maxULP int) {
	t.Helper()
	worst, at := 0, -1
	for i := range want {
		if d := ulps32(got[i], want[i]); d > worst {
			worst, at = d, i
		}
	}
	if worst > maxULP {
		t.Errorf("%s[%d] = %v, want %v (%d ulps, at most %d)", what, at, got[at], want[at], worst, maxULP)
	}
}

// TestGateKernels compares the AVX-512 gate kernels with the scalar Go ones on random
// inputs of several scales, with special values (±0, tiny, huge, ±Inf, NaN), for widths
// that are and are not multiples of the 8 lanes (the tail runs the scalar kernel).
func TestGateKernels(t *testing.T) {
	if !gateAsm {
		t.Skip("no AVX-512")
	}
	defer func() { gateAsm = true }()
	for _, H := range []int{8, 13, 16, 31, 128} {
		for _, scale := range []float64{0.3, 3, 30} {
			for _, specials := range []bool{false, true} {
				for _, bias := range []bool{false, true} {
					name := fmt.Sprintf("H=%d/scale=%g/specials=%t/bias=%t", H, scale, specials, bias)
					t.Run(name, func(t *testing.T) {
						r := rand.New(rand.NewPCG(uint64(H), uint64(scale*10)))
						row := gateInputs(r, lstmWidth*H, scale, specials)
						cPrev := gateInputs(r, H, scale, specials)
						var b []float32
						if bias {
							b = gateInputs(r, 4*H, scale, specials)
						}
						run := func(asm bool) []float32 {
							gateAsm = asm
							out := append([]float32(nil), row...)
							lstmCell(out, cPrev, b, H)
							return out
						}
						want, got := run(false), run(true)
						// exp and tanh differ from math's by ~1e-15 relative: one ulp
						// after rounding at most, and so can c, which uses the gates.
						compareGates(t, "lstmCell", got, want, 2)

						// The backward: no transcendentals, the same float64 operations.
						ws := want
						drow := gateInputs(r, lstmWidth*H, scale, specials)
						dh := gateInputs(r, H, scale, specials)
						dc := gateInputs(r, H, scale, specials)
						grad := func(asm bool) ([]float32, []float32) {
							gateAsm = asm
							dg := make([]float32, 4*H)
							dcc := append([]float32(nil), dc...)
							lstmCellGrad(ws, drow, cPrev, dh, dcc, dg, H)
							return dg, dcc
						}
						wantG, wantC := grad(false)
						gotG, gotC := grad(true)
						compareGates(t, "lstmCellGrad dg", gotG, wantG, 0)
						compareGates(t, "lstmCellGrad dc", gotC, wantC, 0)

						// The GRU cell.
						grow := gateInputs(r, gruWidth*H, scale, specials)
						hp := gateInputs(r, 3*H, scale, specials)
						var bih, bhh []float32
						if bias {
							bih, bhh = gateInputs(r, 3*H, scale, specials), gateInputs(r, 3*H, scale, specials)
						}
						gru := func(asm bool) []float32 {
							gateAsm = asm
							out := append([]float32(nil), grow...)
							gruCell(out, hp, cPrev, bih, bhh, H)
							return out
						}
						compareGates(t, "gruCell", gru(true), gru(false), 2)

						x := gateInputs(r, 4*H+3, scale, specials)
						var xb []float32
						if bias {
							xb = gateInputs(r, len(x), scale, specials)
						}
						tb := func(asm bool) []float32 {
							gateAsm = asm
							out := append([]float32(nil), x...)
							tanhBias(out, xb)
							return out
						}
						compareGates(t, "tanhBias", tb(true), tb(false), 1)
					})
				}
			}
		}
	}
}

// TestGateKernelsExhaustive runs sigmoid and tanh (through lstmCell and tanhBias) on
// every float32 in [-20, 20] at a stride, and counts the arguments where the AVX-512
// result differs from the scalar one.
func TestGateKernelsExhaustive(t *testing.T) {
	if !gateAsm {
		t.Skip("no AVX-512")
	}
	defer func() { gateAsm = true }()
	var x []float32
	for v := float32(-20); v <= 20; v = math.Nextafter32(v, 30) {
		if len(x) == 0 || math.Float32bits(v)%4099 == 0 {
			x = append(x, v)
		}
	}
	x = x[:len(x)&^7]
	run := func(asm bool) []float32 {
		gateAsm = asm
		out := append([]float32(nil), x...)
		tanhBias(out, nil)
		return out
	}
	want, got := run(false), run(true)
	diff := 0
	for i := range x {
		if want[i] != got[i] {
			diff++
		}
	}
	compareGates(t, "tanh", got, want, 1)
	t.Logf("tanh: %d of %d arguments differ by one ulp", diff, len(x))

	// sigmoid: the i gate of an LSTM row with H = len(x).
	H := len(x)
	row := make([]float32, lstmWidth*H)
	copy(row, x)
	cPrev := make([]float32, H)
	sig := func(asm bool) []float32 {
		gateAsm = asm
		out := append([]float32(nil), row...)
		lstmCell(out, cPrev, nil, H)
		return out[:H]
	}
	want, got = sig(false), sig(true)
	diff = 0
	for i := range want {
		if want[i] != got[i] {
			diff++
		}
	}
	compareGates(t, "sigmoid", got, want, 1)
	t.Logf("sigmoid: %d of %d arguments differ by one ulp", diff, H)
}

// TestRecurrentGoKernels checks the float32 gradients of the fused LSTM, GRU and RNN ops
// numerically with a hidden size that has a tail (H = 11: one group of 8 and 3), on the
// AVX-512 kernels and on the Go ones.
func TestRecurrentGoKernels(t *testing.T) {
	defer func(v bool) { gateAsm = v }(gateAsm)
	for _, asm := range []bool{true, false} {
		if asm && !gateAsm {
			continue
		}
		gateAsm = asm
		const b, tt, in, h = 2, 3, 4, 11
		for _, bias := range []bool{true, false} {
			t.Run(fmt.Sprintf("asm=%t/bias=%t/lstm", asm, bias), func(t *testing.T) {
				shapes := [][]int{{b, tt, in}, {4 * h, in}, {4 * h, h}, {b, h}, {b, h}}
				if bias {
					shapes = append(shapes, []int{4 * h})
				}
				checkOpGrad(t, tensor.Float32, shapes, func(in []*gorgonia.Node) (*gorgonia.Node, error) {
					return lstmSeqDef.Apply(lstmParams{Bias: bias}, in...)
				})
			})
			t.Run(fmt.Sprintf("asm=%t/bias=%t/gru", asm, bias), func(t *testing.T) {
				shapes := [][]int{{b, tt, in}, {3 * h, in}, {3 * h, h}, {b, h}}
				if bias {
					shapes = append(shapes, []int{3 * h}, []int{3 * h})
				}
				checkOpGrad(t, tensor.Float32, shapes, func(in []*gorgonia.Node) (*gorgonia.Node, error) {
					return gruSeqDef.Apply(lstmParams{Bias: bias}, in...)
				})
			})
			t.Run(fmt.Sprintf("asm=%t/bias=%t/rnn", asm, bias), func(t *testing.T) {
				shapes := [][]int{{b, tt, in}, {h, in}, {h, h}, {b, h}}
				if bias {
					shapes = append(shapes, []int{h})
				}
				checkOpGrad(t, tensor.Float32, shapes, func(in []*gorgonia.Node) (*gorgonia.Node, error) {
					return rnnSeqDef.Apply(lstmParams{Bias: bias}, in...)
				})
			})
		}
	}
}
