package nn_test

import (
	"strings"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
)

// TestLinearOverLastAxis: a Linear (with and without a fused activation) maps
// (N, T, In) to (N, T, Out), and a wrong last axis names the layer.
func TestLinearOverLastAxis(t *testing.T) {
	for _, act := range []nn.Activation{nil, nn.ReLU, nn.GELU} {
		s := graph.NewScope(graph.Float32, graph.Seed(1))
		l, err := nn.NewLinear(s.Sub("proj"), nn.LinearConfig{In: 4, Out: 5, Activation: act})
		if err != nil {
			t.Fatal(err)
		}
		g := graph.New(graph.Float32, graph.Train)
		x, _ := g.Input("x", 2, 3, 4)
		y, err := l.Forward(g, x)
		if err != nil {
			t.Fatal(err)
		}
		if got := y.Shape(); len(got) != 3 || got[0] != 2 || got[1] != 3 || got[2] != 5 {
			t.Errorf("activation %v: output %v, want (2, 3, 5)", act, got)
		}
		bad, _ := g.Input("bad", 2, 3, 6)
		if _, err := l.Forward(g, bad); err == nil || !strings.Contains(err.Error(), `linear "proj"`) {
			t.Errorf("last axis 6: err = %v", err)
		}
	}
}
