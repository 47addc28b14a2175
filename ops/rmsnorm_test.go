package ops

import (
	"fmt"
	"math"
	"testing"

	"gorgonia.org/gorgonia"
)

func TestRMSNormGradient(t *testing.T) {
	shapes := [][]int{{3, 4}, {2, 3, 5}, {1, 1}, {4, 1}, {6}, {1, 2, 1, 3}}
	for _, dt := range dtypes {
		for _, shape := range shapes {
			for _, withWeight := range []bool{true, false} {
				t.Run(fmt.Sprintf("%v/%v/weight=%v", dt, shape, withWeight), func(t *testing.T) {
					checkGradT(t, func() (*gorgonia.Node, []*gorgonia.Node, error) {
						g := gorgonia.NewGraph()
						x := newInput(g, dt, "x", shape, uniform(1, size(shape), -2, 2))
						wrt := []*gorgonia.Node{x}
						var w *gorgonia.Node
						if withWeight {
							d := shape[len(shape)-1]
							w = newInput(g, dt, "w", []int{d}, uniform(2, d, 0.5, 1.5))
							wrt = append(wrt, w)
						}
						y, err := RMSNorm(x, w, 1e-6)
						return y, wrt, err
					})
				})
			}
		}
	}
}

// TestRMSNormValues compares with values computed by hand, including a row of zeros
// (eps keeps it finite) and a row of huge values (no overflow: float64 accumulation).
func TestRMSNormValues(t *testing.T) {
	x := []float64{3, 4, 0, 0, 1e30, -1e30}
	for _, dt := range dtypes {
		got, err := runGraph(func(g *gorgonia.ExprGraph) ([]*gorgonia.Node, error) {
			xn := newInput(g, dt, "x", []int{3, 2}, x)
			w := newInput(g, dt, "w", []int{2}, []float64{1, 2})
			y, err := RMSNorm(xn, w, 1e-5)
			return []*gorgonia.Node{y}, err
		})
		if err != nil {
			t.Fatal(err)
		}
		// row 0: rms = sqrt(12.5 + 1e-5); row 2: rms = 1e30.
		r0 := math.Sqrt(12.5 + 1e-5)
		want := []float64{3 / r0, 8 / r0, 0, 0, 1, -2}
		if ok, msg := closeTo(got[0], want, 1e-6, 1e-7); !ok {
			t.Errorf("%v: %s (got %v)", dt, msg, got[0])
		}
	}
}

func TestRMSNormErrorsAndHash(t *testing.T) {
	g := gorgonia.NewGraph()
	x := newInput(g, dtypes[0], "x", []int{2, 3}, uniform(1, 6, -1, 1))
	w := newInput(g, dtypes[0], "w", []int{2}, []float64{1, 1})
	if _, err := RMSNorm(x, w, 1e-6); err == nil {
		t.Error("weight (2) for x (2, 3): no error")
	}
	if _, err := RMSNorm(x, nil, 0); err == nil {
		t.Error("eps 0: no error")
	}
	a, _ := RMSNorm(x, nil, 1e-6)
	b, _ := RMSNorm(x, nil, 1e-5)
	if a == b {
		t.Error("RMSNorm with eps 1e-6 and 1e-5 merged into one node")
	}
}
