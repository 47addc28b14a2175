package nn

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/ops"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func TestEmbeddingGradient(t *testing.T) {
	// ids hold repeats (their gradients add up) and the padding id 0.
	cases := []struct {
		num, dim int
		shape    []int
		ids      []float64
	}{
		{5, 3, []int{2, 3}, []float64{1, 0, 4, 4, 2, 0}},
		{4, 1, []int{3}, []float64{3, 3, 0}},
		{1, 2, []int{1, 1}, []float64{0}},
		{6, 2, []int{2, 2, 2}, []float64{5, 1, 0, 1, 2, 3, 0, 0}},
	}
	for _, dt := range dtypes {
		for _, c := range cases {
			for _, padding := range []bool{false, true} {
				t.Run(fmt.Sprintf("%v/%dx%d/%v/pad=%v", dt, c.num, c.dim, c.shape, padding), func(t *testing.T) {
					s := graph.NewScope(dt, graph.Seed(2))
					e, err := NewEmbedding(s.Sub("emb"), EmbeddingConfig{Num: c.num, Dim: c.dim, Padding: padding})
					if err != nil {
						t.Fatal(err)
					}
					ids := fromF64(dt, c.ids, c.shape...)
					build := func() (*gorgonia.Node, []*gorgonia.Node, error) {
						g := graph.New(dt, graph.Train)
						in, _ := g.Input("ids", c.shape...)
						if err := gorgonia.Let(in, ids); err != nil {
							return nil, nil, err
						}
						out, err := e.Forward(g, in)
						if err != nil {
							return nil, nil, err
						}
						w, err := g.Node(e.Weight)
						return out, []*gorgonia.Node{w}, err
					}
					if _, err := ops.CheckGrad(build, ops.CheckConfig{Seed: 1}); err != nil {
						t.Fatal(err)
					}
				})
			}
		}
	}
}

// TestEmbeddingPadding checks that the padding row starts at zero, outputs zeros and
// gets a zero gradient while the other rows get theirs.
func TestEmbeddingPadding(t *testing.T) {
	for _, dt := range dtypes {
		s := graph.NewScope(dt, graph.Seed(1))
		e, err := NewEmbedding(s.Sub("emb"), EmbeddingConfig{Num: 4, Dim: 3, Padding: true, PaddingIdx: 2})
		if err != nil {
			t.Fatal(err)
		}
		w := toF64(e.Weight.Value().Data())
		for j := 0; j < 3; j++ {
			if w[2*3+j] != 0 {
				t.Fatalf("%v: padding row = %v, want zeros", dt, w[6:9])
			}
			if w[j] == 0 {
				t.Fatalf("%v: row 0 = %v, want N(0, 1) values", dt, w[0:3])
			}
		}
		_ = e.Weight.SetValues([]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}) // row 2 set by hand
		g := graph.New(dt, graph.Train)
		ids, _ := g.Input("ids", 2, 2)
		out, err := e.Forward(g, ids)
		if err != nil {
			t.Fatal(err)
		}
		loss, _ := gorgonia.Sum(out)
		m, err := graph.Compile(g, graph.Loss(loss), graph.Outputs(out))
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Run(graph.Feeds{ids: fromF64(dt, []float64{2, 1, 1, 3}, 2, 2)}); err != nil {
			t.Fatal(err)
		}
		o, _ := m.Output(out)
		if got, want := fmt.Sprint(toF64(o.Data())), "[0 0 0 4 5 6 4 5 6 10 11 12]"; got != want {
			t.Errorf("%v: output %s, want %s", dt, got, want)
		}
		if got, want := fmt.Sprint(toF64(e.Weight.Grad().Data())), "[0 0 0 2 2 2 0 0 0 1 1 1]"; got != want {
			t.Errorf("%v: weight gradient %s, want %s", dt, got, want)
		}
	}
}

func TestEmbeddingErrors(t *testing.T) {
	s := graph.NewScope(graph.Float32)
	if _, err := NewEmbedding(s.Sub("e"), EmbeddingConfig{Num: 3, Dim: 2, Padding: true, PaddingIdx: 3}); err == nil ||
		err.Error() != `nn: embedding "e": PaddingIdx = 3, want in [0, 3)` {
		t.Errorf("PaddingIdx 3: err = %v", err)
	}
	e, _ := NewEmbedding(s.Sub("ok"), EmbeddingConfig{Num: 3, Dim: 2})
	g := graph.New(graph.Float32, graph.Eval)
	ids, _ := g.Input("ids", 2)
	out, err := e.Forward(g, ids)
	if err != nil {
		t.Fatal(err)
	}
	m, err := graph.Compile(g, graph.Outputs(out))
	if err != nil {
		t.Fatal(err)
	}
	err = m.Run(graph.Feeds{ids: tensor.New(tensor.WithShape(2), tensor.WithBacking([]float32{1, 3}))})
	if err == nil || !strings.Contains(err.Error(), "3") {
		t.Errorf("id out of range: err = %v", err)
	}
}
