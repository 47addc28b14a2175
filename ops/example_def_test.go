package ops_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/gradflow/gradflow/ops"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// hingeParams are the parameters of a squared hinge, y = max(0, x - Margin)².
type hingeParams struct{ Margin float64 }

// hingeGrad maps (x, dy) to 2·max(0, x - Margin)·dy.
var hingeGrad = &ops.Def[hingeParams]{
	Name:  "SquaredHingeGrad",
	Arity: 2,
	Shape: func(_ hingeParams, in []tensor.Shape) (tensor.Shape, error) { return in[0], nil },
	Forward: func(p hingeParams, in []*tensor.Dense, out *tensor.Dense) error {
		x, dy, dx := in[0].Float64s(), in[1].Float64s(), out.Float64s()
		for i, v := range x {
			dx[i] = 2 * max(0, v-p.Margin) * dy[i]
		}
		return nil
	},
}

// hinge is the forward. Its Backward applies hingeGrad with the same parameters.
var hinge = &ops.Def[hingeParams]{
	Name:  "SquaredHinge",
	Arity: 1,
	Shape: func(_ hingeParams, in []tensor.Shape) (tensor.Shape, error) { return in[0], nil },
	Forward: func(p hingeParams, in []*tensor.Dense, out *tensor.Dense) error {
		if in[0].Dtype() != tensor.Float64 {
			return errors.Errorf("dtype %v, this example wants float64", in[0].Dtype())
		}
		x, y := in[0].Float64s(), out.Float64s()
		for i, v := range x {
			y[i] = max(0, v-p.Margin) * max(0, v-p.Margin)
		}
		return nil
	},
	Backward: func(p hingeParams, in []*gorgonia.Node, _, dy *gorgonia.Node) ([]*gorgonia.Node, error) {
		dx, err := hingeGrad.Apply(p, in[0], dy)
		return []*gorgonia.Node{dx}, err
	},
}

// An op defined with Def: build it with Apply, check its gradient with CheckGrad.
// Two margins are two nodes, because every parameter goes into the hash.
func ExampleDef() {
	rep, err := ops.CheckGrad(func() (*gorgonia.Node, []*gorgonia.Node, error) {
		g := gorgonia.NewGraph()
		x := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(2, 3), gorgonia.WithName("x"),
			gorgonia.WithValue(tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]float64{-1, 0.2, 0.7, 1.5, 2, -3}))))
		a, err := hinge.Apply(hingeParams{Margin: 0.5}, x)
		if err != nil {
			return nil, nil, err
		}
		b, err := hinge.Apply(hingeParams{Margin: 0.6}, x)
		if err != nil {
			return nil, nil, err
		}
		fmt.Println(a.Op(), b.Op(), a != b)
		y, err := gorgonia.Add(a, b)
		return y, []*gorgonia.Node{x}, err
	}, ops.CheckConfig{})
	fmt.Println(rep.Passed, rep.Checked, err)
	// Output:
	// ops.SquaredHinge{Margin=0.5} ops.SquaredHinge{Margin=0.6} true
	// true 6 <nil>
}

// Dropout draws a new mask from its generator at every run; a seeded generator makes
// the masks reproducible. Kept elements are scaled by 1/(1-p).
func ExampleDropout() {
	g := gorgonia.NewGraph()
	x := gorgonia.NewVector(g, tensor.Float64, gorgonia.WithShape(8), gorgonia.WithName("x"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(8), tensor.WithBacking([]float64{1, 1, 1, 1, 1, 1, 1, 1}))))
	y, err := ops.Dropout(x, 0.5, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		fmt.Println(err)
		return
	}
	vm := gorgonia.NewTapeMachine(g)
	defer vm.Close()
	for range 2 {
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(y.Value().Data())
	}
	// Output:
	// [2 0 2 0 2 0 2 0]
	// [2 0 2 2 0 2 2 2]
}

func ExampleLayerNorm() {
	g := gorgonia.NewGraph()
	x := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(2, 3), gorgonia.WithName("x"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]float64{1, 2, 3, 1e6, 1e6 + 2, 1e6 + 4}))))
	y, err := ops.LayerNorm(x, nil, nil, ops.LayerNormOptions{}) // over the last axis, eps 1e-5
	if err != nil {
		fmt.Println(err)
		return
	}
	vm := gorgonia.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.4f\n", y.Value().Data())
	// Output: [-1.2247 0.0000 1.2247 -1.2247 0.0000 1.2247]
}

func ExampleEmbedding() {
	g := gorgonia.NewGraph()
	table := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(3, 2), gorgonia.WithName("table"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(3, 2), tensor.WithBacking([]float64{0, 0, 10, 11, 20, 21}))))
	ids := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(2, 2), gorgonia.WithName("ids"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float64{2, 1, 1, 1}))))
	y, err := ops.Embedding(ids, table) // (2, 2) ids pick rows: (2, 2, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	loss, err := gorgonia.Sum(y)
	if err != nil {
		fmt.Println(err)
		return
	}
	grads, err := gorgonia.Grad(loss, table)
	if err != nil {
		fmt.Println(err)
		return
	}
	vm := gorgonia.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(y.Shape(), y.Value().Data())
	fmt.Println("d loss/d table:", grads[0].Value().Data()) // row 1 is used three times
	// Output:
	// (2, 2, 2) [20 21 10 11 10 11 10 11]
	// d loss/d table: [0 0 3 3 1 1]
}
