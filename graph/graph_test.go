package graph

import (
	"math"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func TestMachineGradMatchesHand(t *testing.T) {
	for _, dt := range []DType{Float64, Float32} {
		s := NewScope(dt, Seed(3))
		w, err := s.Param("w", Weight, []int{3, 2}, GlorotUniform{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.Param("b", Bias, []int{2}, Constant{0.5})
		if err != nil {
			t.Fatal(err)
		}
		g := New(dt, Train)
		x, _ := g.Input("x", 4, 3)
		wn, _ := g.Node(w)
		bn, _ := g.Node(b)
		xw := gorgonia.Must(gorgonia.Mul(x, wn))
		y := gorgonia.Must(gorgonia.BroadcastAdd(xw, bn, nil, []byte{0}))
		loss := gorgonia.Must(gorgonia.Sum(y))
		m, err := Compile(g, Loss(loss), Outputs(y))
		if err != nil {
			t.Fatal(err)
		}
		xs := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
		var xt *tensor.Dense
		if dt == Float32 {
			f := make([]float32, 12)
			for i, v := range xs {
				f[i] = float32(v)
			}
			xt = tensor.New(tensor.WithShape(4, 3), tensor.WithBacking(f))
		} else {
			xt = tensor.New(tensor.WithShape(4, 3), tensor.WithBacking(xs))
		}
		for run := 0; run < 3; run++ {
			if err := m.Run(Feeds{x: xt}); err != nil {
				t.Fatal(err)
			}
			// d sum(xW+b)/dW[i][j] = sum_n x[n][i]; d/db = 4.
			want := []float64{22, 22, 26, 26, 30, 30}
			got := toF64(w.Grad().Data())
			for i := range want {
				if math.Abs(got[i]-want[i]) > 1e-5 {
					t.Fatalf("%v run %d: grad w = %v, want %v", dt, run, got, want)
				}
			}
			gb := toF64(b.Grad().Data())
			if gb[0] != 4 || gb[1] != 4 {
				t.Fatalf("%v run %d: grad b = %v, want [4 4]", dt, run, gb)
			}
		}
		if math.IsNaN(m.Loss()) {
			t.Fatal("loss NaN")
		}
		t.Logf("%v loss %v", dt, m.Loss())
	}
}

func toF64(d any) []float64 {
	switch v := d.(type) {
	case []float64:
		return v
	case []float32:
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = float64(x)
		}
		return out
	}
	return nil
}
