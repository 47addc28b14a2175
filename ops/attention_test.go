package ops

import (
	"github.com/gradflow/gradflow/ops/blas"

	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// cycleRand returns a *rand.Rand repeating a fixed sequence of n draws, so that every
// run of a graph gets the same dropout mask (CheckGrad runs it twice per element).
func cycleRand(seed uint64, n int) *rand.Rand {
	r := rand.New(rand.NewPCG(seed, 7))
	c := &cycleSrc{vals: make([]uint64, n)}
	for i := range c.vals {
		c.vals[i] = r.Uint64()
	}
	return rand.New(c)
}

type cycleSrc struct {
	vals []uint64
	i    int
}

func (c *cycleSrc) Uint64() uint64 {
	v := c.vals[c.i%len(c.vals)]
	c.i++
	return v
}

// attnMask returns a (B, S) 0/1 padding mask: row i masks the last i%(S+1) keys, so
// that with B > S some row masks every key.
func attnMask(dt tensor.Dtype, b, s int) *tensor.Dense {
	v := make([]float64, b*s)
	for i := 0; i < b; i++ {
		for j := s - i%(s+1); j < s; j++ {
			v[i*s+j] = 1
		}
	}
	return fromF64(dt, v, b, s)
}

// TestAttentionOpGrad checks the fused attention op's gradient numerically, packed
// (self-attention) and split (q, k, v apart), with and without the causal and padding
// masks and dropout, on odd shapes: batch 1, one step, one head, S != T.
func TestAttentionOpGrad(t *testing.T) {
	// (batch, query len, key len, embed, heads)
	shapes := [][5]int{{2, 3, 3, 4, 2}, {1, 1, 1, 2, 1}, {3, 2, 4, 3, 3}, {1, 4, 2, 6, 2}, {4, 3, 3, 6, 3}}
	for _, dt := range dtypes {
		for _, sh := range shapes {
			b, tq, sk, e, h := sh[0], sh[1], sh[2], sh[3], sh[4]
			for _, packed := range []bool{true, false} {
				if packed && tq != sk {
					continue
				}
				for _, v := range []struct {
					causal, padding bool
					dropout         float64
				}{{}, {causal: true}, {padding: true}, {causal: true, padding: true}, {dropout: 0.3}, {causal: true, padding: true, dropout: 0.5}} {
					name := fmt.Sprintf("%v/%v/packed=%t/causal=%t/padding=%t/dropout=%g", dt, sh, packed, v.causal, v.padding, v.dropout)
					t.Run(name, func(t *testing.T) {
						build := func() (*gorgonia.Node, []*gorgonia.Node, error) {
							g := gorgonia.NewGraph()
							p := attnParams{Heads: h, Causal: v.causal, Packed: packed, Padding: v.padding,
								state: new(attnState)}
							if v.dropout > 0 {
								p.Dropout, p.rng = v.dropout, cycleRand(3, b*h*tq*sk)
							}
							var in []*gorgonia.Node
							shapes := [][]int{{b, tq, 3 * e}}
							if !packed {
								shapes = [][]int{{b, tq, e}, {b, sk, e}, {b, sk, e}}
							}
							for i, s := range shapes {
								in = append(in, valueNode(g, fmt.Sprint("in", i), randTensor(dt, uint64(10+i), s...)))
							}
							wrt := append([]*gorgonia.Node{}, in...)
							if v.padding {
								in = append(in, valueNode(g, "mask", attnMask(dt, b, sk)))
							}
							def := attnSplitDef
							if packed {
								def = attnPackedDef
							}
							y, err := def.Apply(p, in...)
							return y, wrt, err
						}
						if _, err := CheckGrad(build, CheckConfig{Seed: 3}); err != nil {
							t.Fatal(err)
						}
					})
				}
			}
		}
	}
}

// TestProjectionGrad checks the projection op x·wᵀ + b numerically on 2-D and 3-D x.
func TestProjectionGrad(t *testing.T) {
	for _, dt := range dtypes {
		for _, xs := range [][]int{{1, 1}, {3, 4}, {2, 3, 4}, {1, 5, 4}} {
			for _, bias := range []bool{true, false} {
				t.Run(fmt.Sprintf("%v/%v/bias=%t", dt, xs, bias), func(t *testing.T) {
					in := xs[len(xs)-1]
					ins := []*tensor.Dense{randTensor(dt, 1, xs...), randTensor(dt, 2, 3, in)}
					if bias {
						ins = append(ins, randTensor(dt, 3, 3))
					}
					checkGradInputs(t, func(n []*gorgonia.Node) (*gorgonia.Node, error) {
						if bias {
							return project(n[0], n[1], n[2])
						}
						return project(n[0], n[1], nil)
					}, ins...)
				})
			}
		}
	}
}

// TestAttentionAllMasked checks that a query whose keys are all masked gets uniform
// weights over them (PyTorch gives NaN), and that masked keys get weight 0 exactly.
func TestAttentionAllMasked(t *testing.T) {
	row := []float64{1, 2, 3, 4}
	all := append([]float64(nil), row...)
	softmaxRow(all, 0, 1, false, []float64{1, 1, 1, 1})
	for j, w := range all {
		if w != 0.25 {
			t.Errorf("all masked: weight %d = %v, want 0.25", j, w)
		}
	}
	some := append([]float64(nil), row...)
	softmaxRow(some, 1, 1, true, []float64{0, 0, 1, 0}) // keys 0, 1 visible
	e := math.Exp(-1)
	want := []float64{e / (1 + e), 1 / (1 + e), 0, 0}
	for j := range some {
		if math.Abs(some[j]-want[j]) > 1e-15 {
			t.Errorf("causal+padding: weight %d = %v, want %v", j, some[j], want[j])
		}
	}
}

// TestSoftmaxRowKernels checks the attention softmax on each kernel path this CPU has
// (ops/kern's SIMD exponentials) against the Go bodies, on rows of every length up to
// 40 (full and partial blocks of eight), causal or not: within two float32 ulps, each
// row summing to 1, and NaN kept.
func TestSoftmaxRowKernels(t *testing.T) {
	was := blas.Active()
	defer blas.SetPath(was)
	rng := rand.New(rand.NewPCG(4, 4))
	for n := 1; n <= 40; n++ {
		for _, causal := range []bool{false, true} {
			raw := make([]float32, n)
			for j := range raw {
				raw[j] = float32(rng.NormFloat64() * 8)
			}
			r := rng.IntN(n)
			run := func(p blas.Path) []float32 {
				if err := blas.SetPath(p); err != nil {
					t.Fatal(err)
				}
				row := append([]float32(nil), raw...)
				softmaxRow(row, r, 0.25, causal, nil)
				return row
			}
			want := run(blas.PathGeneric)
			for p := blas.Detected(); p > blas.PathGeneric; p-- {
				if !blas.Supported(p) { // arm64: NEON and generic only
					continue
				}
				got := run(p)
				var sum float64
				for j := range want {
					d := math.Abs(float64(got[j] - want[j]))
					if d > 2*ulp32(want[j]) {
						t.Fatalf("%v n %d causal %t: weight %d = %g, Go body %g", p, n, causal, j, got[j], want[j])
					}
					sum += float64(got[j])
				}
				if math.Abs(sum-1) > 1e-6 {
					t.Errorf("%v n %d causal %t: weights sum to %v", p, n, causal, sum)
				}
			}
		}
	}
	blas.SetPath(was)
	row := []float32{1, 2, float32(math.NaN()), 4, 5, 6, 7, 8, 9}
	softmaxRow(row, 0, 1, false, nil)
	for j, w := range row {
		if !math.IsNaN(float64(w)) {
			t.Errorf("a NaN score: weight %d = %v, want NaN", j, w)
		}
	}
}

// ulp32 is the spacing of float32s at v.
func ulp32(v float32) float64 {
	a := float32(math.Abs(float64(v)))
	return float64(math.Nextafter32(a, float32(math.Inf(1))) - a)
}
