package nn

import (
	"fmt"
	"math"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"gorgonia.org/gorgonia"
)

// TestLSTMDeterministic trains an LSTM twice from the same seed, with a batch large
// enough for the gate arithmetic to run on several goroutines, and wants the same
// gradients bit for bit. Hidden 11 runs the AVX-512 gate kernels (8 columns) and
// the scalar tail (3).
func TestLSTMDeterministic(t *testing.T) {
	run := func() []float64 {
		s := graph.NewScope(graph.Float32, graph.Seed(3))
		l, err := NewLSTM(s.Sub("lstm"), LSTMConfig{In: 5, Hidden: 11})
		if err != nil {
			t.Fatal(err)
		}
		g := graph.New(graph.Float32, graph.Train)
		x, err := g.Input("x", 33, 9, 5)
		if err != nil {
			t.Fatal(err)
		}
		out, err := l.Forward(g, x)
		if err != nil {
			t.Fatal(err)
		}
		sq, err := gorgonia.Square(out)
		if err != nil {
			t.Fatal(err)
		}
		loss, err := gorgonia.Sum(sq)
		if err != nil {
			t.Fatal(err)
		}
		m, err := graph.Compile(g, graph.Loss(loss))
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		var got []float64
		for step := 0; step < 2; step++ {
			if err := m.Run(graph.Feeds{x: randTensor(graph.Float32, 1, 33, 9, 5)}); err != nil {
				t.Fatal(err)
			}
			for _, p := range l.Params() {
				for _, v := range p.Grad().Data().([]float32) {
					got = append(got, float64(v))
				}
			}
		}
		return got
	}
	a, b := run(), run()
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			t.Fatalf("gradient element %d: %v, then %v", i, a[i], b[i])
		}
	}
}

// TestRecurrentRerun runs one training graph of each recurrent layer twice on the same
// batch and wants the same gradients bit for bit: the fused ops keep their output
// memory from run to run, so a kernel that left an element of it
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
