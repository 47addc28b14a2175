package nn

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/ops"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// checkGradInputs runs ops.CheckGrad on the node that fwd builds from the inputs
// (bound to the given tensors) with respect to every input and every Param.
func checkGradInputs(t *testing.T, dt graph.DType, mode graph.Mode, params []*graph.Param,
	fwd func(g *graph.Graph, in []*gorgonia.Node) (*gorgonia.Node, error), inputs ...*tensor.Dense) {
	t.Helper()
	build := func() (*gorgonia.Node, []*gorgonia.Node, error) {
		g := graph.New(dt, mode)
		var wrt []*gorgonia.Node
		for i, x := range inputs {
			n, err := g.Input(fmt.Sprintf("in%d", i), x.Shape()...)
			if err != nil {
				return nil, nil, err
			}
			if err := gorgonia.Let(n, x); err != nil {
				return nil, nil, err
			}
			wrt = append(wrt, n)
		}
		out, err := fwd(g, wrt)
		if err != nil {
			return nil, nil, err
		}
		for _, p := range params {
			n, err := g.Node(p)
			if err != nil {
				return nil, nil, err
			}
			wrt = append(wrt, n)
		}
		return out, wrt, nil
	}
	if _, err := ops.CheckGrad(build, ops.CheckConfig{Seed: 3}); err != nil {
		t.Fatal(err)
	}
}

// recurrentShapes are (batch, time, in, hidden), odd ones included.
var recurrentShapes = [][4]int{{2, 3, 4, 5}, {1, 1, 1, 1}, {3, 2, 2, 1}, {1, 5, 3, 2}}

func TestRecurrentGradient(t *testing.T) {
	type runner func(g *graph.Graph, in []*gorgonia.Node) (*gorgonia.Node, error)
	for _, dt := range dtypes {
		for _, sh := range recurrentShapes {
			b, tt, in, h := sh[0], sh[1], sh[2], sh[3]
			for _, kind := range []string{"rnn", "lstm", "gru"} {
				for _, variant := range []string{"forward", "state", "nobias"} {
					name := fmt.Sprintf("%v/%s/%s/%v", dt, kind, variant, sh)
					t.Run(name, func(t *testing.T) {
						s := graph.NewScope(dt, graph.Seed(7))
						noBias := variant == "nobias"
						var layer Layer
						var run runner
						var err error
						inputs := []*tensor.Dense{randTensor(dt, 11, b, tt, in)}
						withState := variant == "state"
						if withState {
							inputs = append(inputs, randTensor(dt, 12, b, h))
						}
						switch kind {
						case "rnn":
							var l *RNN
							l, err = NewRNN(s.Sub("rnn"), RNNConfig{In: in, Hidden: h, NoBias: noBias})
							layer = l
							run = func(g *graph.Graph, n []*gorgonia.Node) (*gorgonia.Node, error) {
								if !withState {
									return l.Forward(g, n[0])
								}
								out, last, err := l.Run(g, n[0], n[1])
								if err != nil {
									return nil, err
								}
								return concatFlat(out, last)
							}
						case "gru":
							var l *GRU
							l, err = NewGRU(s.Sub("gru"), GRUConfig{In: in, Hidden: h, NoBias: noBias})
							layer = l
							run = func(g *graph.Graph, n []*gorgonia.Node) (*gorgonia.Node, error) {
								if !withState {
									return l.Forward(g, n[0])
								}
								out, last, err := l.Run(g, n[0], n[1])
								if err != nil {
									return nil, err
								}
								return concatFlat(out, last)
							}
						case "lstm":
							var l *LSTM
							l, err = NewLSTM(s.Sub("lstm"), LSTMConfig{In: in, Hidden: h, NoBias: noBias})
							layer = l
							if withState {
								inputs = append(inputs, randTensor(dt, 13, b, h))
							}
							run = func(g *graph.Graph, n []*gorgonia.Node) (*gorgonia.Node, error) {
								if !withState {
									return l.Forward(g, n[0])
								}
								out, hT, cT, err := l.Run(g, n[0], n[1], n[2])
								if err != nil {
									return nil, err
								}
								return concatFlat(out, hT, cT)
							}
						}
						if err != nil {
							t.Fatal(err)
						}
						checkGradInputs(t, dt, graph.Train, layer.Params(), run, inputs...)
					})
				}
			}
		}
	}
}

// concatFlat flattens the nodes and joins them into one vector, so that one gradient
// check covers several outputs.
func concatFlat(ns ...*gorgonia.Node) (*gorgonia.Node, error) {
	flat := make([]*gorgonia.Node, len(ns))
	for i, n := range ns {
		var err error
		if flat[i], err = gorgonia.Reshape(n, tensor.Shape{n.Shape().TotalSize()}); err != nil {
			return nil, err
		}
	}
	return gorgonia.Concat(0, flat...)
}

// TestRecurrentLongSequence checks that steps 256 apart stay distinct nodes:
// gorgonia's slice op hashes its bounds as bytes, so a naive Slice(x, S(t)) per step
// merges step t with step t+256. Each step's input is its index, and an RNN with
// W_ih = 1, W_hh = 0, no bias outputs tanh(t).
func TestRecurrentLongSequence(t *testing.T) {
	const steps = 520
	s := graph.NewScope(graph.Float64)
	l, err := NewRNN(s.Sub("rnn"), RNNConfig{In: 1, Hidden: 1, NoBias: true})
	if err != nil {
		t.Fatal(err)
	}
	_ = l.WeightIH.SetValues([]float64{1})
	_ = l.WeightHH.SetValues([]float64{0})
	x := make([]float64, steps)
	for i := range x {
		x[i] = float64(i) / steps
	}
	got := runForward(t, graph.Float64, l, tensor.New(tensor.WithShape(1, steps, 1), tensor.WithBacking(x)))
	for i, v := range got {
		if want := math.Tanh(x[i]); v != want {
			t.Fatalf("h[%d] = %v, want tanh(%v) = %v", i, v, x[i], want)
		}
	}
}

func TestRecurrentErrors(t *testing.T) {
	s := graph.NewScope(graph.Float64)
	if _, err := NewLSTM(s.Sub("bad"), LSTMConfig{In: 3, Hidden: 0}); err == nil ||
		err.Error() != `nn: lstm "bad": Hidden = 0, want > 0` {
		t.Errorf("Hidden = 0: err = %v", err)
	}
	if _, err := NewGRU(s.Sub("bad2"), GRUConfig{In: 0, Hidden: 2}); err == nil ||
		err.Error() != `nn: gru "bad2": In = 0, want > 0` {
		t.Errorf("In = 0: err = %v", err)
	}
	l, err := NewLSTM(s.Sub("lstm"), LSTMConfig{In: 3, Hidden: 2})
	if err != nil {
		t.Fatal(err)
	}
	g := graph.New(graph.Float64, graph.Train)
	x, _ := g.Input("x", 4, 3)
	if _, err := l.Forward(g, x); err == nil || !strings.Contains(err.Error(), `lstm "lstm": input shape (4, 3), want (batch, time, 3)`) {
		t.Errorf("2-D input: err = %v", err)
	}
	x3, _ := g.Input("x3", 4, 5, 3)
	h0, _ := g.Input("h0", 4, 3)
	if _, _, _, err := l.Run(g, x3, h0, nil); err == nil || !strings.Contains(err.Error(), "initial h shape (4, 3), want (4, 2)") {
		t.Errorf("bad h0: err = %v", err)
	}
	for _, p := range l.Params() {
		if want := []int{8}; p.Name() == "lstm/bias_ih" && fmt.Sprint(p.Shape()) != fmt.Sprint(want) {
			t.Errorf("%s shape %v, want %v", p.Name(), p.Shape(), want)
		}
	}
	if names := joinParamNames(l.Params()); names != "lstm/weight_ih lstm/weight_hh lstm/bias_ih lstm/bias_hh" {
		t.Errorf("param names %q", names)
	}
}

func joinParamNames(ps []*graph.Param) string {
	var s []string
	for _, p := range ps {
		s = append(s, p.Name())
	}
	return strings.Join(s, " ")
}
