package optim_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/train/optim"
)

// TestClipping checks clipping by value and by global norm (PyTorch's formulas).
func TestClipping(t *testing.T) {
	s := graph.NewScope(graph.Float64)
	a := newOptimParam(t, s, "a", []int{2}, nil)
	b := newOptimParam(t, s, "b", []int{1}, nil)
	setOptimGrad(t, a, []float64{3, -0.5})
	setOptimGrad(t, b, []float64{-4})
	if err := optim.ClipGradValue([]*graph.Param{a, b}, 1); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(a.GradFloat64s(), b.GradFloat64s()) != "[1 -0.5] [-1]" {
		t.Errorf("clip by value: %v %v", a.GradFloat64s(), b.GradFloat64s())
	}
	setOptimGrad(t, a, []float64{3, 0})
	setOptimGrad(t, b, []float64{4})
	norm, err := optim.ClipGradNorm([]*graph.Param{a, b}, 1)
	if err != nil || norm != 5 {
		t.Fatalf("ClipGradNorm = %v, %v; want 5", norm, err)
	}
	if c := 1 / (5 + 1e-6); a.GradFloat64s()[0] != 3*c || b.GradFloat64s()[0] != 4*c {
		t.Errorf("clip by norm: %v %v", a.GradFloat64s(), b.GradFloat64s())
	}
	if got := optim.GradNorm([]*graph.Param{a, b}); math.Abs(got-1) > 1e-6 {
		t.Errorf("norm after clipping %v, want 1", got)
	}
	if _, err := optim.ClipGradNorm([]*graph.Param{a}, 0); err == nil {
		t.Error("maxNorm 0: no error")
	}
}
