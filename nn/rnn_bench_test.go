package nn

import (
	"fmt"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"gorgonia.org/gorgonia"
)

// BenchmarkRecurrent times a training pass (forward and backward) of each recurrent
// layer at the bench lstm workload's size: batch 64, 64 steps, 64 inputs, 128 hidden,
// float32, loss the sum of the last hidden state.
func BenchmarkRecurrent(b *testing.B) {
	const batch, steps, in, hidden = 64, 64, 64, 128
	for _, kind := range []string{"rnn", "lstm", "gru"} {
		b.Run(fmt.Sprintf("%s/%dx%dx%dx%d", kind, batch, steps, in, hidden), func(b *testing.B) {
			s := graph.NewScope(graph.Float32, graph.Seed(1))
			g := graph.New(graph.Float32, graph.Train)
			x, err := g.Input("x", batch, steps, in)
			if err != nil {
				b.Fatal(err)
			}
			var last *gorgonia.Node
			switch kind {
			case "rnn":
				l, err := NewRNN(s.Sub(kind), RNNConfig{In: in, Hidden: hidden})
				if err != nil {
					b.Fatal(err)
				}
				_, last, err = l.Run(g, x, nil)
				if err != nil {
					b.Fatal(err)
				}
			case "lstm":
				l, err := NewLSTM(s.Sub(kind), LSTMConfig{In: in, Hidden: hidden})
				if err != nil {
					b.Fatal(err)
				}
				_, last, _, err = l.Run(g, x, nil, nil)
				if err != nil {
					b.Fatal(err)
				}
			case "gru":
				l, err := NewGRU(s.Sub(kind), GRUConfig{In: in, Hidden: hidden})
				if err != nil {
					b.Fatal(err)
				}
				_, last, err = l.Run(g, x, nil)
				if err != nil {
					b.Fatal(err)
				}
			}
			loss, err := gorgonia.Sum(last)
			if err != nil {
				b.Fatal(err)
			}
			m, err := graph.Compile(g, graph.Loss(loss))
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			feeds := graph.Feeds{x: randTensor(graph.Float32, 1, batch, steps, in)}
			b.ReportAllocs()
			for b.Loop() {
				if err := m.Run(feeds); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
