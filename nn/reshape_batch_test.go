package nn_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
)

// TestReshapeWithBatch merges the batch and time axes of a sequence batch and splits
// them back, and rejects a shape that does not divide.
func TestReshapeWithBatch(t *testing.T) {
	s := graph.NewScope(graph.Float32)
	merge, err := nn.NewReshape(s.Sub("merge"), nn.ReshapeConfig{Shape: []int{-1, 4}, WithBatch: true})
	if err != nil {
		t.Fatal(err)
	}
	split, err := nn.NewReshape(s.Sub("split"), nn.ReshapeConfig{Shape: []int{-1, 3, 4}, WithBatch: true})
	if err != nil {
		t.Fatal(err)
	}
	g := graph.New(graph.Float32, graph.Train)
	x, _ := g.Input("x", 2, 3, 4)
	m, err := merge.Forward(g, x)
	if err != nil {
		t.Fatal(err)
	}
	back, err := split.Forward(g, m)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(m.Shape()) != "(6, 4)" || fmt.Sprint(back.Shape()) != "(2, 3, 4)" {
		t.Errorf("merged %v, split %v", m.Shape(), back.Shape())
	}
	bad, _ := g.Input("bad", 2, 5, 4)
	if _, err := split.Forward(g, bad); err == nil || !strings.Contains(err.Error(), `reshape "split"`) {
		t.Errorf("(2, 5, 4) to (-1, 3, 4): err = %v", err)
	}
	// Without WithBatch the batch axis is kept, as before.
	per, _ := nn.NewReshape(s.Sub("per"), nn.ReshapeConfig{Shape: []int{-1}})
	y, err := per.Forward(g, x)
	if err != nil || fmt.Sprint(y.Shape()) != "(2, 12)" {
		t.Errorf("per-example reshape: %v, %v", y.Shape(), err)
	}
}
