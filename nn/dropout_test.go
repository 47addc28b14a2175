package nn

import (
	"math"
	"strings"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"gorgonia.org/gorgonia"
)

// dropoutRun runs Dropout(p) on an all-ones (rows, cols) input in a Train graph seeded
// with seed for the given number of runs, and returns each run's output and input
// gradient for the loss sum(y * w), w all 2.
func dropoutRun(t *testing.T, dt graph.DType, p float64, seed uint64, rows, cols, runs int) (ys, dxs [][]float64) {
	t.Helper()
	s := graph.NewScope(dt)
	l, err := NewDropout(s.Sub("drop"), DropoutConfig{P: p})
	if err != nil {
		t.Fatal(err)
	}
	x, _ := graph.NewScope(dt).Param("x", graph.Weight, []int{rows, cols}, graph.Ones{})
	g := graph.New(dt, graph.Train, graph.GraphSeed(seed))
	xn, _ := g.Node(x)
	y, err := l.Forward(g, xn)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := g.Input("w", rows, cols)
	prod, _ := gorgonia.HadamardProd(y, w)
	loss, _ := gorgonia.Sum(prod)
	m, err := graph.Compile(g, graph.Loss(loss), graph.Outputs(y))
	if err != nil {
		t.Fatal(err)
	}
	two := make([]float64, rows*cols)
	for i := range two {
		two[i] = 2
	}
	for range runs {
		if err := m.Run(graph.Feeds{w: fromF64(dt, two, rows, cols)}); err != nil {
			t.Fatal(err)
		}
		out, _ := m.Output(y)
		ys = append(ys, toF64(out.Data()))
		dxs = append(dxs, toF64(x.Grad().Data()))
	}
	return ys, dxs
}

// TestDropoutTrain checks, in a Train graph: the kept fraction is 1-p, kept values are
// scaled by 1/(1-p), the gradient flows through exactly the kept elements with the
// same scale, every run draws a new mask, and the same graph seed repeats the masks.
func TestDropoutTrain(t *testing.T) {
	for _, dt := range dtypes {
		const p, rows, cols = 0.3, 50, 40
		ys, dxs := dropoutRun(t, dt, p, 7, rows, cols, 2)
		scale := 1 / (1 - p)
		for r, y := range ys {
			kept := 0
			for i, v := range y {
				switch {
				case v == 0:
					if dxs[r][i] != 0 {
						t.Fatalf("%v run %d: dropped element %d has gradient %v", dt, r, i, dxs[r][i])
					}
				case math.Abs(v-scale) < 1e-6:
					kept++
					if math.Abs(dxs[r][i]-2*scale) > 1e-5 {
						t.Fatalf("%v run %d: kept element %d has gradient %v, want %v", dt, r, i, dxs[r][i], 2*scale)
					}
				default:
					t.Fatalf("%v run %d: element %d = %v, want 0 or %v", dt, r, i, v, scale)
				}
			}
			// 2000 Bernoulli(0.7) draws: standard deviation 20.5; allow 5 of them.
			if want := (1 - p) * rows * cols; math.Abs(float64(kept)-want) > 5*math.Sqrt(rows*cols*p*(1-p)) {
				t.Errorf("%v run %d: kept %d of %d, want about %v", dt, r, kept, rows*cols, want)
			}
		}
		if equalF64(ys[0], ys[1]) {
			t.Errorf("%v: two runs drew the same mask", dt)
		}
		again, _ := dropoutRun(t, dt, p, 7, rows, cols, 2)
		if !equalF64(again[0], ys[0]) || !equalF64(again[1], ys[1]) {
			t.Errorf("%v: the same graph seed gave different masks", dt)
		}
		other, _ := dropoutRun(t, dt, p, 8, rows, cols, 1)
		if equalF64(other[0], ys[0]) {
			t.Errorf("%v: another graph seed gave the same mask", dt)
		}
	}
}

func equalF64(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestDropoutEvalIsIdentity checks that an Eval graph (and P = 0) passes the input
// node through, and that the identity's gradient checks in both dtypes.
func TestDropoutEvalIsIdentity(t *testing.T) {
	for _, dt := range dtypes {
		s := graph.NewScope(dt)
		l, _ := NewDropout(s.Sub("drop"), DropoutConfig{P: 0.5})
		zero, _ := NewDropout(s.Sub("zero"), DropoutConfig{})
		g := graph.New(dt, graph.Eval)
		x, _ := g.Input("x", 3, 4)
		if y, err := l.Forward(g, x); err != nil || y != x {
			t.Errorf("%v: eval dropout returned %v (err %v), want the input node", dt, y, err)
		}
		gt := graph.New(dt, graph.Train)
		xt, _ := gt.Input("x", 3, 4)
		if y, err := zero.Forward(gt, xt); err != nil || y != xt {
			t.Errorf("%v: P = 0 returned %v (err %v), want the input node", dt, y, err)
		}
		checkModeGrad(t, dt, graph.Eval, l, randTensor(dt, 1, 2, 3))
	}
}

func TestDropoutErrors(t *testing.T) {
	s := graph.NewScope(graph.Float32)
	for _, p := range []float64{-0.1, 1, math.NaN()} {
		if _, err := NewDropout(s.Sub("d"), DropoutConfig{P: p}); err == nil || !strings.Contains(err.Error(), "want in [0, 1)") {
			t.Errorf("P = %v: err = %v", p, err)
		}
	}
}
