package ops

import (
	"math"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestConvPoolRerun checks that the convolution, pooling and BatchNorm ops, whose nodes
// keep their output memory from one run to the next, give on a second run exactly what a fresh
// graph of the same weights gives on that input: loss, output and every gradient, bit for bit. Both paths
// of the convolution (one sample at a time, batched) and a padded convolution (whose
// im2col is the Go loop) are covered.
func TestConvPoolRerun(t *testing.T) {
	type result struct {
		loss float64
		out  []float64
		grad [][]float64
	}
	run := func(t *testing.T, dt tensor.Dtype, xs ...*tensor.Dense) result {
		g := gorgonia.NewGraph()
		var params []*gorgonia.Node
		param := func(name string, seed uint64, shape ...int) *gorgonia.Node {
			n := valueNode(g, name, randTensor(dt, seed, shape...))
			params = append(params, n)
			return n
		}
		w1, b1 := param("w1", 11, 3, 2, 3, 3), param("b1", 12, 3)
		w2, b2 := param("w2", 13, 4, 3, 3, 3), param("b2", 14, 4)
		gamma, beta := param("gamma", 15, 4), param("beta", 16, 4)
		w3, b3 := param("w3", 17, 2, 4, 2, 2), param("b3", 18, 2)
		rm := valueNode(g, "running_mean", fromF64(dt, make([]float64, 4), 4))
		rv := valueNode(g, "running_var", fromF64(dt, []float64{1, 1, 1, 1}, 4))
		x := gorgonia.NewTensor(g, dt, 4, gorgonia.WithShape(3, 2, 10, 10), gorgonia.WithName("x"))
		pool := Pool2DOptions{Kernel: [2]int{2, 2}}
		must := func(n *gorgonia.Node, err error) *gorgonia.Node {
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		y := must(Conv2D(x, w1, b1, Conv2DOptions{}))
		y = must(ReLU(must(MaxPool2D(y, pool))))
		y = must(Conv2D(y, w2, b2, Conv2DOptions{Padding: [2]int{1, 1}}))
		y = must(ReLU(must(BatchNorm(y, gamma, beta, rm, rv, BatchNormOptions{Training: true}))))
		y = must(MaxPool2D(must(Conv2D(y, w3, b3, Conv2DOptions{Stride: [2]int{2, 2}})), pool))
		loss := must(gorgonia.Mean(must(gorgonia.Square(y))))
		grads, err := gorgonia.Grad(loss, params...)
		if err != nil {
			t.Fatal(err)
		}
		var lossV, outV gorgonia.Value
		gorgonia.Read(loss, &lossV)
		gorgonia.Read(y, &outV)
		gradV := make([]gorgonia.Value, len(grads))
		for i, gn := range grads {
			gorgonia.Read(gn, &gradV[i])
		}
		m := gorgonia.NewTapeMachine(g)
		defer m.Close()
		for _, xv := range xs {
			if err := gorgonia.Let(x, xv); err != nil {
				t.Fatal(err)
			}
			m.Reset()
			if err := m.RunAll(); err != nil {
				t.Fatal(err)
			}
		}
		lv, err := toFloat64s(lossV)
		if err != nil {
			t.Fatal(err)
		}
		r := result{loss: lv[0]}
		if r.out, err = toFloat64s(outV); err != nil {
			t.Fatal(err)
		}
		for _, v := range gradV {
			gv, err := toFloat64s(v)
			if err != nil {
				t.Fatal(err)
			}
			r.grad = append(r.grad, gv)
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
