package ops

import (
	"fmt"
	"math"
	"testing"

	"gorgonia.org/tensor"
)

// TestLayerNormParallelRerun runs LayerNorm's forward and input-gradient ops on a
// tensor large enough to be split across cores, twice each (the second run reuses the
// outputs' memory), and checks them against the serial kernels bit for bit.
func TestLayerNormParallelRerun(t *testing.T) {
	const rows, d = 700, 64 // rows·d > parallelMin
	for _, dt := range dtypes {
		t.Run(fmt.Sprint(dt), func(t *testing.T) {
			x := newDense(dt, []int{rows, d}, uniform(1, rows*d, -3, 3))
			w := newDense(dt, []int{d}, uniform(2, d, 0.5, 1.5))
			b := newDense(dt, []int{d}, uniform(3, d, -1, 1))
			dy := newDense(dt, []int{rows, d}, uniform(4, rows*d, -1, 1))
			p := lnParams{Axes: 1, Eps: 1e-5, Weight: true, Bias: true}
			y := newDense(dt, []int{rows, d}, make([]float64, rows*d))
			dx := newDense(dt, []int{rows, d}, make([]float64, rows*d))
			for run := 0; run < 2; run++ {
				if err := lnDef.Forward(p, []*tensor.Dense{x, w, b}, y); err != nil {
					t.Fatal(err)
				}
				if err := lnGradXDef.Forward(p, []*tensor.Dense{x, w, dy}, dx); err != nil {
					t.Fatal(err)
				}
				wantY := newDense(dt, []int{rows, d}, make([]float64, rows*d))
				wantDX := newDense(dt, []int{rows, d}, make([]float64, rows*d))
				if dt == tensor.Float32 {
					lnForward(x.Float32s(), w.Float32s(), b.Float32s(), wantY.Float32s(), rows, d, 1e-5)
					lnBackwardX(x.Float32s(), w.Float32s(), dy.Float32s(), wantDX.Float32s(), rows, d, 1e-5)
				} else {
					lnForward(x.Float64s(), w.Float64s(), b.Float64s(), wantY.Float64s(), rows, d, 1e-5)
					lnBackwardX(x.Float64s(), w.Float64s(), dy.Float64s(), wantDX.Float64s(), rows, d, 1e-5)
				}
				for name, pair := range map[string][2]*tensor.Dense{"y": {y, wantY}, "dx": {dx, wantDX}} {
					got, want := denseF64(pair[0]), denseF64(pair[1])
					for i := range want {
						if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
							t.Fatalf("run %d: %s[%d] = %v, serial kernel %v", run, name, i, got[i], want[i])
						}
					}
				}
			}
		})
	}
}

func denseF64(d *tensor.Dense) []float64 {
	if d.Dtype() == tensor.Float32 {
		out := make([]float64, d.Size())
		for i, v := range d.Float32s() {
			out[i] = float64(v)
		}
		return out
	}
	return d.Float64s()
}
