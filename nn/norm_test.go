package nn

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func TestLayerNormRMSNormGradient(t *testing.T) {
	shapes := [][]int{{3, 5}, {2, 3, 4}, {1, 1}, {4, 1}, {1, 2, 1, 3}}
	for _, dt := range dtypes {
		for _, shape := range shapes {
			dim := shape[len(shape)-1]
			for _, kind := range []string{"layer", "rms", "layer-noaffine", "rms-noaffine"} {
				if dim == 1 && strings.HasPrefix(kind, "layer") {
					continue // x - mean(x) is 0 for one element: no gradient to check
				}
				t.Run(fmt.Sprintf("%v/%s/%v", dt, kind, shape), func(t *testing.T) {
					s := graph.NewScope(dt, graph.Seed(3))
					noAffine := strings.HasSuffix(kind, "noaffine")
					var l Layer
					var err error
					if strings.HasPrefix(kind, "layer") {
						l, err = NewLayerNorm(s.Sub("ln"), LayerNormConfig{Dim: dim, NoAffine: noAffine})
					} else {
						l, err = NewRMSNorm(s.Sub("rms"), RMSNormConfig{Dim: dim, NoAffine: noAffine})
					}
					if err != nil {
						t.Fatal(err)
					}
					randomizeParams(l.Params(), 4)
					checkGradInputs(t, dt, graph.Train, l.Params(), func(g *graph.Graph, in []*gorgonia.Node) (*gorgonia.Node, error) {
						return l.Forward(g, in[0])
					}, randTensor(dt, 8, shape...))
				})
			}
		}
	}
}

// TestNormValues compares with values computed by hand.
func TestLayerNormRMSNormValues(t *testing.T) {
	s := graph.NewScope(graph.Float64)
	ln, _ := NewLayerNorm(s.Sub("ln"), LayerNormConfig{Dim: 4})
	rms, _ := NewRMSNorm(s.Sub("rms"), RMSNormConfig{Dim: 4})
	_ = rms.Weight.SetValues([]float64{1, 2, 3, 4})
	x := []float64{1, 2, 3, 4, -1, -1, 1, 1}
	in := func() *tensor.Dense {
		return tensor.New(tensor.WithShape(2, 4), tensor.WithBacking(append([]float64(nil), x...)))
	}
	got := runForward(t, graph.Float64, ln, in())
	// row 0: mean 2.5, var 1.25; row 1: mean 0, var 1.
	for i, v := range x {
		mean, variance := 2.5, 1.25
		if i >= 4 {
			mean, variance = 0, 1
		}
		want := (v - mean) / math.Sqrt(variance+1e-5)
		if math.Abs(got[i]-want) > 1e-12 {
			t.Errorf("layer norm [%d] = %v, want %v", i, got[i], want)
		}
	}
	got = runForward(t, graph.Float64, rms, in())
	// row 0: mean square 7.5; row 1: 1.
	for i, v := range x {
		ms := 7.5
		if i >= 4 {
			ms = 1
		}
		want := v / math.Sqrt(ms+1e-6) * float64(i%4+1)
		if math.Abs(got[i]-want) > 1e-12 {
			t.Errorf("rms norm [%d] = %v, want %v", i, got[i], want)
		}
	}
}

func TestLayerNormRMSNormErrors(t *testing.T) {
	s := graph.NewScope(graph.Float64)
	if _, err := NewLayerNorm(s.Sub("a"), LayerNormConfig{Dim: 0}); err == nil || err.Error() != `nn: layer norm "a": Dim = 0, want > 0` {
		t.Errorf("Dim 0: err = %v", err)
	}
	if _, err := NewRMSNorm(s.Sub("b"), RMSNormConfig{Dim: 2, Eps: -1}); err == nil || !strings.Contains(err.Error(), "Eps = -1") {
		t.Errorf("Eps -1: err = %v", err)
	}
	l, _ := NewRMSNorm(s.Sub("r"), RMSNormConfig{Dim: 3})
	g := graph.New(graph.Float64, graph.Train)
	x, _ := g.Input("x", 2, 4)
	if _, err := l.Forward(g, x); err == nil || !strings.Contains(err.Error(), `rms norm "r": input shape (2, 4), want (..., 3)`) {
		t.Errorf("bad input: err = %v", err)
	}
}
