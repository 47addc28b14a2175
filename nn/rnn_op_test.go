package nn

import (
	"fmt"
	"math"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/ops"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// checkOpGrad runs ops.CheckGrad on the node that apply builds from value nodes
// holding seeded random tensors of the given shapes, with respect to all of them.
func checkOpGrad(t *testing.T, dt graph.DType, shapes [][]int, apply func(in []*gorgonia.Node) (*gorgonia.Node, error)) {
	t.Helper()
	build := func() (*gorgonia.Node, []*gorgonia.Node, error) {
		g := gorgonia.NewGraph()
		in := make([]*gorgonia.Node, len(shapes))
		for i, s := range shapes {
			v := randTensor(dt, uint64(20+i), s...)
			// Scale the inputs so that the gates are away from saturation.
			if err := scaleTensor(v, 0.5); err != nil {
				return nil, nil, err
			}
			in[i] = gorgonia.NewTensor(g, tensor.Dtype(dt), len(s), gorgonia.WithShape(s...),
				gorgonia.WithName(fmt.Sprintf("in%d", i)), gorgonia.WithValue(v))
		}
		out, err := apply(in)
		return out, in, err
	}
	if _, err := ops.CheckGrad(build, ops.CheckConfig{Seed: 5}); err != nil {
		t.Fatal(err)
	}
}

func scaleTensor(v *tensor.Dense, k float64) error {
	switch d := v.Data().(type) {
	case []float32:
		for i := range d {
			d[i] *= float32(k)
		}
	case []float64:
		for i := range d {
			d[i] *= k
		}
	default:
		return fmt.Errorf("dtype %v", v.Dtype())
	}
	return nil
}

// TestRecurrentSlotGrad checks the workspace readers on their own.
func TestRecurrentSlotGrad(t *testing.T) {
	for _, dt := range dtypes {
		for _, p := range []slotParams{{Offset: 0, Size: 1}, {Offset: 2, Size: 3}, {Offset: 1, Size: 2, Last: true}} {
			for _, ws := range [][]int{{1, 1, 5}, {2, 3, 5}} {
				t.Run(fmt.Sprintf("%v/%+v/%v", dt, p, ws), func(t *testing.T) {
					checkOpGrad(t, dt, [][]int{ws}, func(in []*gorgonia.Node) (*gorgonia.Node, error) {
						return recurrentSlotDef.Apply(p, in[0])
					})
				})
			}
		}
	}
}

// TestRecurrentSlotHash checks that slots differing in any field are distinct nodes.
func TestRecurrentSlotHash(t *testing.T) {
	g := gorgonia.NewGraph()
	ws := gorgonia.NewTensor(g, tensor.Float64, 3, gorgonia.WithShape(2, 3, 8), gorgonia.WithName("ws"))
	seen := map[*gorgonia.Node]slotParams{}
	for _, p := range []slotParams{{0, 2, false}, {0, 2, true}, {2, 2, false}, {0, 4, false}, {4, 2, true}} {
		n, err := recurrentSlotDef.Apply(p, ws)
		if err != nil {
			t.Fatal(err)
		}
		if q, ok := seen[n]; ok {
			t.Errorf("slots %+v and %+v merged into one node", p, q)
		}
		seen[n] = p
	}
	a, err := recurrentSlotDef.Apply(slotParams{1, 2, true}, ws)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := recurrentSlotDef.Apply(slotParams{1, 2, true}, ws); a != b {
		t.Error("equal slots gave two nodes")
	}
}

// TestRecurrentRerun runs one training graph of each recurrent layer twice on the same
// batch and wants the same gradients bit for bit: the fused ops keep their output
// memory from run to run (ops.Buffer), so a kernel that left an element of it
// unwritten would show here.
func TestRecurrentRerun(t *testing.T) {
	for _, kind := range []string{"lstm", "gru", "rnn"} {
		for _, lastOnly := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/last_only=%t", kind, lastOnly), func(t *testing.T) {
				s := graph.NewScope(graph.Float32, graph.Seed(4))
				g := graph.New(graph.Float32, graph.Train)
				x, err := g.Input("x", 10, 6, 5)
				if err != nil {
					t.Fatal(err)
				}
				var out, last *gorgonia.Node
				var ps []*graph.Param
				switch kind {
				case "lstm":
					l, err := NewLSTM(s.Sub(kind), LSTMConfig{In: 5, Hidden: 11})
					if err != nil {
						t.Fatal(err)
					}
					ps = l.Params()
					out, last, _, err = l.Run(g, x, nil, nil)
				case "gru":
					l, err := NewGRU(s.Sub(kind), GRUConfig{In: 5, Hidden: 11})
					if err != nil {
						t.Fatal(err)
					}
					ps = l.Params()
					out, last, err = l.Run(g, x, nil)
				default:
					l, err := NewRNN(s.Sub(kind), RNNConfig{In: 5, Hidden: 11})
					if err != nil {
						t.Fatal(err)
					}
					ps = l.Params()
					out, last, err = l.Run(g, x, nil)
				}
				if err != nil {
					t.Fatal(err)
				}
				// Reading the last state only sends its slot's gradient to the backward;
				// reading every state too sends the sum of the two slots', dense.
				loss, err := gorgonia.Sum(last)
				if err != nil {
					t.Fatal(err)
				}
				if !lastOnly {
					sq, err := gorgonia.Square(out)
					if err != nil {
						t.Fatal(err)
					}
					all, err := gorgonia.Sum(sq)
					if err != nil {
						t.Fatal(err)
					}
					if loss, err = gorgonia.Add(loss, all); err != nil {
						t.Fatal(err)
					}
				}
				m, err := graph.Compile(g, graph.Loss(loss))
				if err != nil {
					t.Fatal(err)
				}
				defer m.Close()
				feed := randTensor(graph.Float32, 9, 10, 6, 5)
				var runs [2][]float32
				for k := range runs {
					if err := m.Run(graph.Feeds{x: feed}); err != nil {
						t.Fatal(err)
					}
					for _, p := range ps {
						runs[k] = append(runs[k], p.Grad().Data().([]float32)...)
					}
				}
				for i := range runs[0] {
					if math.Float32bits(runs[0][i]) != math.Float32bits(runs[1][i]) {
						t.Fatalf("gradient element %d: %v in the first run, %v in the second", i, runs[0][i], runs[1][i])
					}
				}
			})
		}
	}
}
