package main

import (
	"testing"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/gradflow/gradflow/ops"
)

// TestModelFusesLinearReLU: the traced training graph holds one fused Linear+ReLU node
// (ops.LinearReLU: a ReLU node with the layer's input, weight and bias as inputs) and
// no standalone ReLU.
func TestModelFusesLinearReLU(t *testing.T) {
	model, err := newModel(graph.NewScope(graph.Float32, graph.Seed(1)), 32)
	if err != nil {
		t.Fatal(err)
	}
	g := graph.New(graph.Float32, graph.Train)
	x, _ := g.Input("x", 4, 784)
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
	if fused != 1 || relus != 0 {
		t.Errorf("%d fused Linear+ReLU and %d ReLU nodes, want 1 and 0", fused, relus)
	}
}
