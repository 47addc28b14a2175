package bench

import (
	"testing"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/gradflow/gradflow/ops"
)

// TestMLPFusesLinearReLU: the mlp workload's hidden Linear layers, built with
// Activation nn.ReLU, are one fused node each (ops.LinearReLU: a ReLU node with the
// layer's input, weight and bias as inputs); no standalone ReLU is left.
func TestMLPFusesLinearReLU(t *testing.T) {
	model, err := nn.NewSequential(graph.NewScope(graph.Float32, graph.Seed(1)).Sub("model"), mlpItems()...)
	if err != nil {
		t.Fatal(err)
	}
	g := graph.New(graph.Float32, graph.Train)
	x, _ := g.Input("x", 4, mlpSizes[0])
	if _, err := nn.Forward(model, g, x); err != nil {
		t.Fatal(err)
	}
	fused, relus := 0, 0
	for _, n := range g.Expr().AllNodes() {
		inputs := 0
		for it := g.Expr().From(n.ID()); it.Next(); {
			inputs++
		}
		switch {
		case ops.IsReLU(n) && inputs == 3:
			fused++
		case ops.IsReLU(n):
			relus++
		}
	}
	if fused != 2 || relus != 0 {
		t.Errorf("%d fused Linear+ReLU and %d ReLU nodes, want 2 and 0", fused, relus)
	}
}
