package nn

import (
	"math"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestConvPoolRerun checks that the convolution, pooling and BatchNorm ops, whose nodes
// keep their output memory from one run to the next, give on a second run exactly what a fresh
// model gives on that input: loss, output and every gradient, bit for bit. Both paths
// of the convolution (one sample at a time, batched) and a padded convolution (whose
// im2col is the Go loop) are covered.
func TestConvPoolRerun(t *testing.T) {
	type result struct {
		loss float64
		out  []float64
		grad [][]float64
	}
	run := func(t *testing.T, dt graph.DType, xs ...*tensor.Dense) result {
		s := graph.NewScope(dt, graph.Seed(5))
		pool := MaxPool2DConfig{Kernel: [2]int{2, 2}}
		net, err := NewSequential(s.Sub("net"),
			Conv2DConfig{In: 2, Out: 3, Kernel: [2]int{3, 3}}, pool, ReLU,
			Conv2DConfig{In: 3, Out: 4, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}}, BatchNorm2DConfig{Features: 4}, ReLU,
			Conv2DConfig{In: 4, Out: 2, Kernel: [2]int{2, 2}, Stride: [2]int{2, 2}}, pool)
		if err != nil {
			t.Fatal(err)
		}
		g := graph.New(dt, graph.Train)
		x, err := g.Input("x", 3, 2, 10, 10)
		if err != nil {
			t.Fatal(err)
		}
		y, err := net.Forward(g, x)
		if err != nil {
			t.Fatal(err)
		}
		loss, err := gorgonia.Mean(gorgonia.Must(gorgonia.Square(y)))
		if err != nil {
			t.Fatal(err)
		}
		m, err := graph.Compile(g, graph.Loss(loss), graph.Outputs(y))
		if err != nil {
			t.Fatal(err)
		}
		for _, xv := range xs {
			if err := m.Run(graph.Feeds{x: xv}); err != nil {
				t.Fatal(err)
			}
		}
		out, err := m.Output(y)
		if err != nil {
			t.Fatal(err)
		}
		r := result{loss: m.Loss(), out: f64s(out)}
		for _, p := range net.Params() {
			if p.Kind() != graph.State { // BatchNorm's running statistics have no gradient
				r.grad = append(r.grad, f64s(p.Grad()))
			}
		}
		return r
	}
	same := func(a, b []float64) bool {
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
				return false
			}
		}
		return true
	}
	for _, batched := range []bool{false, true} {
		for _, dt := range dtypes {
			t.Run(dt.String(), func(t *testing.T) {
				if batched {
					defer func(s int) { sampleColBudget = s }(sampleColBudget)
					sampleColBudget = 0
				}
				x1, x2 := randTensor(dt, 1, 3, 2, 10, 10), randTensor(dt, 2, 3, 2, 10, 10)
				second, fresh := run(t, dt, x1, x2), run(t, dt, x2)
				if first := run(t, dt, x1); first.loss == second.loss {
					t.Fatalf("batched %t: the two inputs gave the same loss %v", batched, first.loss)
				}
				if second.loss != fresh.loss || !same(second.out, fresh.out) {
					t.Fatalf("batched %t: second run loss %v, fresh model %v (or outputs differ)", batched, second.loss, fresh.loss)
				}
				for i := range fresh.grad {
					if !same(second.grad[i], fresh.grad[i]) {
						t.Fatalf("batched %t: gradient %d differs between a second run and a fresh model", batched, i)
					}
				}
			})
		}
	}
}

// f64s returns t's values as float64.
func f64s(t *tensor.Dense) []float64 {
	switch v := t.Data().(type) {
	case []float32:
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = float64(x)
		}
		return out
	case []float64:
		return append([]float64(nil), v...)
	}
	return nil
}
