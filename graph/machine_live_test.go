package graph

import (
	"testing"

	"github.com/gradflow/gradflow/ops"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// counted is y = x * w element-wise, whose backward ops count their runs, so a test
// can see which gradients a Machine computes.
type counted struct{ dx, dw *int }

type countedParams struct{ C *counted }

var countedGrad = &ops.Def[countedParams]{ // (a, dy) -> a * dy, counting into C.dx
	Name: "CountedGrad", Arity: 2,
	Shape: func(_ countedParams, in []tensor.Shape) (tensor.Shape, error) { return in[0], nil },
	Forward: func(p countedParams, in []*tensor.Dense, out *tensor.Dense) error {
		*p.C.dx++
		_, err := in[0].Mul(in[1], tensor.WithReuse(out))
		return err
	},
}

var countedWGrad = &ops.Def[countedParams]{ // (a, dy) -> a * dy, counting into C.dw
	Name: "CountedWGrad", Arity: 2,
	Shape: func(_ countedParams, in []tensor.Shape) (tensor.Shape, error) { return in[0], nil },
	Forward: func(p countedParams, in []*tensor.Dense, out *tensor.Dense) error {
		*p.C.dw++
		_, err := in[0].Mul(in[1], tensor.WithReuse(out))
		return err
	},
}

var countedMul = &ops.Def[countedParams]{
	Name: "CountedMul", Arity: 2,
	Shape: func(_ countedParams, in []tensor.Shape) (tensor.Shape, error) { return in[0], nil },
	Forward: func(_ countedParams, in []*tensor.Dense, out *tensor.Dense) error {
		_, err := in[0].Mul(in[1], tensor.WithReuse(out))
		return err
	},
	Backward: func(p countedParams, in []*gorgonia.Node, _, dy *gorgonia.Node) ([]*gorgonia.Node, error) {
		dx, err := countedGrad.Apply(p, in[1], dy)
		if err != nil {
			return nil, err
		}
		dw, err := countedWGrad.Apply(p, in[0], dy)
		return []*gorgonia.Node{dx, dw}, err
	},
}

// TestMachineSkipsUnusedGradients: gorgonia.Grad builds the gradient of every input of
// an op, the data's included; the Machine must not run the ones nothing reads (as
// PyTorch computes no gradient for a tensor that does not require one), and must
// still compute the same Param gradients.
func TestMachineSkipsUnusedGradients(t *testing.T) {
	var dx, dw int
	c := &counted{&dx, &dw}
	s := NewScope(Float64, Seed(1))
	w, err := s.Param("w", Weight, []int{2, 3}, Constant{2})
	if err != nil {
		t.Fatal(err)
	}
	g := New(Float64, Train)
	x, _ := g.Input("x", 2, 3)
	wn, _ := g.Node(w)
	y, err := countedMul.Apply(countedParams{c}, x, wn)
	if err != nil {
		t.Fatal(err)
	}
	loss := gorgonia.Must(gorgonia.Sum(y))
	m, err := Compile(g, Loss(loss), Outputs(y))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	xt := tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]float64{1, 2, 3, 4, 5, 6}))
	for run := 1; run <= 2; run++ {
		if err := m.Run(Feeds{x: xt}); err != nil {
			t.Fatal(err)
		}
		if dw != run || dx != 0 {
			t.Fatalf("run %d: weight gradient ran %d times, data gradient %d; want %d and 0", run, dw, dx, run)
		}
		if got := w.Grad().Float64s(); got[0] != 1 || got[5] != 6 {
			t.Fatalf("run %d: grad w = %v, want x", run, got)
		}
		if m.Loss() != 42 {
			t.Fatalf("run %d: loss %v, want 42", run, m.Loss())
		}
		out, _ := m.Output(y)
		if got := out.Float64s(); got[5] != 12 {
			t.Fatalf("run %d: output %v, want 2x", run, got)
		}
	}
}
