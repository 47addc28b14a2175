package nn_test

import (
	"strings"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
)

// panicky is a user's layer whose Forward panics.
type panicky struct{}

func (panicky) Forward(*graph.Graph, *gorgonia.Node) (*gorgonia.Node, error) { panic("boom") }
func (panicky) Params() []*graph.Param                                       { return nil }

// badMul is a user's layer that multiplies its input by a matrix of the wrong shape
// through gorgonia.Must: gorgonia panics.
type badMul struct{ name string }

func (l badMul) Forward(g *graph.Graph, x *gorgonia.Node) (*gorgonia.Node, error) {
	w := gorgonia.NewMatrix(x.Graph(), x.Dtype(), gorgonia.WithShape(7, 2), gorgonia.WithName(l.name+"/w"))
	return gorgonia.Must(gorgonia.Mul(x, w)), nil
}
func (badMul) Params() []*graph.Param { return nil }
func (l badMul) String() string       { return "badmul " + l.name }

// TestForwardPanics: nn.Forward, and Sequential and Residual through it, turn a panic
// into an error naming the layer and saying whose code panicked.
func TestForwardPanics(t *testing.T) {
	s := graph.NewScope(graph.Float32, graph.Seed(1))
	seq, err := nn.NewSequential(s.Sub("mlp"),
		nn.LinearConfig{In: 3, Out: 4, Activation: nn.ReLU}, nn.Use(panicky{}))
	if err != nil {
		t.Fatal(err)
	}
	seq2, err := nn.NewSequential(s.Sub("m2"), nn.LinearConfig{In: 3, Out: 4}, nn.Use(badMul{"mul"}))
	if err != nil {
		t.Fatal(err)
	}
	res, err := nn.NewResidual(s.Sub("res"), nn.ResidualConfig{Inner: []nn.LayerConfig{nn.Tanh, nn.Use(panicky{})}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		l     nn.Layer
		whose graph.Whose
		fn    string
		want  string
	}{
		{"user's layer", panicky{}, graph.UserCode, "github.com/gradflow/gradflow/nn_test.panicky.Forward",
			"nn: layer nn_test.panicky: user code panicked in github.com/gradflow/gradflow/nn_test.panicky.Forward: boom"},
		{"gorgonia.Must", badMul{"mul"}, graph.Gorgonia, "gorgonia.org/gorgonia.Must",
			"nn: badmul mul (nn_test.badMul): gorgonia panicked in gorgonia.org/gorgonia.Must: "},
		{"in a sequential", seq, graph.UserCode, "github.com/gradflow/gradflow/nn_test.panicky.Forward",
			`nn: sequential "mlp": layer 2 (nn_test.panicky): nn: layer nn_test.panicky: user code panicked in github.com/gradflow/gradflow/nn_test.panicky.Forward: boom`},
		{"gorgonia in a sequential", seq2, graph.Gorgonia, "gorgonia.org/gorgonia.Must",
			`nn: sequential "m2": layer 1 (badmul mul): nn: badmul mul (nn_test.badMul): gorgonia panicked in gorgonia.org/gorgonia.Must: `},
		{"in a residual", res, graph.UserCode, "github.com/gradflow/gradflow/nn_test.panicky.Forward",
			`nn: residual "res": nn: sequential "res/inner": layer 1 (nn_test.panicky): nn: layer nn_test.panicky: user code panicked in`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := graph.New(graph.Float32, graph.Train)
			x, _ := g.Input("x", 5, 3)
			if c.name == "in a residual" {
				x, _ = g.Input("x4", 5, 4)
			}
			y, err := nn.Forward(c.l, g, x)
			if err == nil || y != nil {
				t.Fatalf("Forward = %v, %v; want an error", y, err)
			}
			var pe *graph.PanicError
			if !errors.As(err, &pe) || pe.Whose != c.whose || pe.Func != c.fn {
				t.Fatalf("error %v, want a PanicError of %v in %s", err, c.whose, c.fn)
			}
			if !strings.HasPrefix(err.Error(), c.want) {
				t.Errorf("error\n%s\nwant it to start with\n%s", err, c.want)
			}
		})
	}
}

func TestForwardNil(t *testing.T) {
	g := graph.New(graph.Float32, graph.Train)
	x, _ := g.Input("x", 5, 3)
	var lin *nn.Linear
	for _, l := range []nn.Layer{nil, lin} {
		if _, err := nn.Forward(l, g, x); err == nil || !strings.Contains(err.Error(), "nn: Forward of a nil Layer") {
			t.Errorf("Forward(%T(nil)): err = %v", l, err)
		}
	}
	s := graph.NewScope(graph.Float32)
	if _, err := nn.NewSequential(s.Sub("m"), nn.Use(nil)); err == nil || !strings.Contains(err.Error(), `nn: sequential "m": layer 0`) {
		t.Errorf("Use(nil): err = %v", err)
	}
}
