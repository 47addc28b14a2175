package ops

import (
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestBackwardOpsNotDifferentiable: every backward op is a gorgonia.SDOp that
// differentiates no input and whose SymDiff is an error, and a second-order Grad
// through ReLU's and BatchNorm's gradients is an error, not a panic.
func TestBackwardOpsNotDifferentiable(t *testing.T) {
	for _, op := range []gorgonia.SDOp{&defOp[struct{}]{def: reluGradDef}, &defOp[struct{}]{def: linearInputGradDef},
		&defOp[struct{}]{def: linearWeightGradDef}, &defOp[struct{}]{def: biasGradDef},
		&defOp[softmaxParams]{def: softmaxGradDef}, &defOp[bnGradParams]{def: bnGradDef},
		&defOp[bnPartParams]{def: bnPartDef}} {
		for _, d := range op.DiffWRT(3) {
			if d {
				t.Errorf("%T.DiffWRT(3) = %v, want all false", op, op.DiffWRT(3))
			}
		}
		if _, err := op.SymDiff(nil, nil, nil); err == nil || !strings.Contains(err.Error(), "not differentiable") {
			t.Errorf("%T.SymDiff: %v, want a not-differentiable error", op, err)
		}
	}
	secondOrder := func(build func(x *gorgonia.Node) (*gorgonia.Node, error)) (err error) {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("second-order Grad panicked: %v", r)
			}
		}()
		g := gorgonia.NewGraph()
		x := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(4, 3), gorgonia.WithName("x"),
			gorgonia.WithValue(tensor.New(tensor.WithShape(4, 3), tensor.WithBacking(uniform(7, 12, -1, 1)))))
		y, err := build(x)
		if err != nil {
			t.Fatal(err)
		}
		dx, err := gorgonia.Grad(gorgonia.Must(gorgonia.Sum(y)), x)
		if err != nil {
			t.Fatal(err)
		}
		_, err = gorgonia.Grad(gorgonia.Must(gorgonia.Sum(dx[0])), x)
		return err
	}
	if err := secondOrder(func(x *gorgonia.Node) (*gorgonia.Node, error) { return ReLU(x) }); err == nil {
		t.Error("second-order Grad through ReLU: no error")
	}
	if err := secondOrder(func(x *gorgonia.Node) (*gorgonia.Node, error) {
		g := x.Graph()
		vec := func(name string, v float64) *gorgonia.Node {
			return gorgonia.NewVector(g, tensor.Float64, gorgonia.WithShape(3), gorgonia.WithName(name),
				gorgonia.WithValue(tensor.New(tensor.WithBacking([]float64{v, v, v}))))
		}
		return BatchNorm(x, vec("gamma", 1), vec("beta", 0), vec("rm", 0), vec("rv", 1),
			BatchNormOptions{Momentum: 0.1, Eps: 1e-5, Training: true})
	}); err == nil {
		t.Error("second-order Grad through BatchNorm: no error")
	}
}

// TestZeroSizedInputs: Linear and BatchNorm reject a dimension of 0 when the graph is
// built, with an error (BatchNorm divided by it; Linear crashed at run time).
func TestZeroSizedInputs(t *testing.T) {
	g := gorgonia.NewGraph()
	x := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(2, 0), gorgonia.WithName("x"))
	w := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(0, 3), gorgonia.WithName("w"))
	if _, err := Linear(x, w, nil); err == nil || !strings.Contains(err.Error(), "> 0") {
		t.Errorf("Linear of a (2, 0) input: %v, want an error about the sizes", err)
	}
	v := func(name string) *gorgonia.Node {
		return gorgonia.NewVector(g, tensor.Float64, gorgonia.WithShape(0), gorgonia.WithName(name))
	}
	_, err := BatchNorm(x, v("gamma"), v("beta"), v("rm"), v("rv"), BatchNormOptions{Momentum: 0.1, Eps: 1e-5, Training: true})
	if err == nil || !strings.Contains(err.Error(), "> 0") {
		t.Errorf("BatchNorm of a (2, 0) input: %v, want an error about the sizes", err)
	}
}
