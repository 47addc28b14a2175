package nn

import (
	"math"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"gorgonia.org/gorgonia"
)

// TestTransformerTrainingReproducible trains two Transformer blocks built from one
// seed for a few SGD steps, at sizes where every kernel takes its parallel path (the
// attention pairs, GELU and LayerNorm rows across cores, the AVX-512 softmax), with
// dropout: the weights after training are equal bit for bit.
func TestTransformerTrainingReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two models")
	}
	const b, tl, e = 16, 32, 64
	train := func() [][]float32 {
		s := graph.NewScope(graph.Float32, graph.Seed(3))
		l, err := NewTransformerEncoderLayer(s.Sub("enc"), TransformerEncoderLayerConfig{Embed: e, Heads: 4, FF: 256, Dropout: 0.1})
		if err != nil {
			t.Fatal(err)
		}
		g := graph.New(graph.Float32, graph.Train, graph.GraphSeed(11))
		x, _ := g.Input("x", b, tl, e)
		y, err := l.Forward(g, x)
		if err != nil {
			t.Fatal(err)
		}
		loss, err := gorgonia.Mean(gorgonia.Must(gorgonia.Square(y)))
		if err != nil {
			t.Fatal(err)
		}
		m, err := graph.Compile(g, graph.Loss(loss))
		if err != nil {
			t.Fatal(err)
		}
		for step := 0; step < 3; step++ {
			if err := m.Run(graph.Feeds{x: randTensor(graph.Float32, uint64(step), b, tl, e)}); err != nil {
				t.Fatal(err)
			}
			for _, p := range l.Params() {
				w, dw := p.Value().Float32s(), p.GradFloat32s()
				for i := range w {
					w[i] -= 0.1 * dw[i]
				}
			}
		}
		var out [][]float32
		for _, p := range l.Params() {
			out = append(out, append([]float32(nil), p.Value().Float32s()...))
		}
		return out
	}
	a, c := train(), train()
	for i := range a {
		for j := range a[i] {
			if math.Float32bits(a[i][j]) != math.Float32bits(c[i][j]) {
				t.Fatalf("param %d element %d: %v and %v after the same training", i, j, a[i][j], c[i][j])
			}
		}
	}
}
