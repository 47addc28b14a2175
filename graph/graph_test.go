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
	case float64:
		return []float64{v}
	case float32:
		return []float64{float64(v)}
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

func TestScalarParamAndOutputs(t *testing.T) {
	for _, dt := range []DType{Float64, Float32} {
		s := NewScope(dt)
		a, err := s.Param("a", Weight, nil, Constant{3})
		if err != nil {
			t.Fatal(err)
		}
		g := New(dt, Train)
		x, _ := g.Input("x", 2)
		an, _ := g.Node(a)
		y := gorgonia.Must(gorgonia.Mul(x, an))
		loss := gorgonia.Must(gorgonia.Sum(y))
		m, err := Compile(g, Loss(loss), Outputs(loss, y))
		if err != nil {
			t.Fatal(err)
		}
		xt := tensor.New(tensor.WithShape(2), tensor.Of(dt))
		xt.Set(0, convert(dt, 1))
		xt.Set(1, convert(dt, 4))
		for run := 0; run < 2; run++ {
			if err := m.Run(Feeds{x: xt}); err != nil {
				t.Fatal(err)
			}
			if got := toF64(a.Grad().Data()); len(got) != 1 || got[0] != 5 {
				t.Fatalf("%v: d sum(a*x)/da = %v, want 5", dt, got)
			}
			lb, _ := m.Output(loss)
			if got := toF64(lb.Data()); got[0] != 15 || m.Loss() != 15 {
				t.Fatalf("%v: loss output %v, Loss() %v, want 15", dt, got, m.Loss())
			}
		}
		// The scalar is bound by reference too: an update is seen by the next run.
		_ = a.SetValues([]float64{2})
		if err := m.Run(Feeds{x: xt}); err != nil || m.Loss() != 10 {
			t.Fatalf("%v: after a = 2: loss %v (err %v), want 10", dt, m.Loss(), err)
		}
	}
}

func convert(dt DType, f float64) any {
	if dt == Float32 {
		return float32(f)
	}
	return f
}
