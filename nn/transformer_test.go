package nn

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"gorgonia.org/gorgonia"
)

func TestTransformerGradient(t *testing.T) {
	// (batch, time, embed, heads, ff)
	shapes := [][5]int{{2, 3, 4, 2, 6}, {1, 1, 2, 1, 1}, {1, 2, 3, 3, 2}}
	for _, dt := range dtypes {
		for _, sh := range shapes {
			for _, variant := range []string{"plain", "causal", "pad"} {
				t.Run(fmt.Sprintf("%v/%v/%s", dt, sh, variant), func(t *testing.T) {
					b, tl, e, h, ff := sh[0], sh[1], sh[2], sh[3], sh[4]
					s := graph.NewScope(dt, graph.Seed(8))
					l, err := NewTransformerEncoderLayer(s.Sub("enc"), TransformerEncoderLayerConfig{
						Embed: e, Heads: h, FF: ff, Causal: variant == "causal"})
					if err != nil {
						t.Fatal(err)
					}
					randomizeParams(l.Params(), 3)
					for _, p := range []*graph.Param{l.Norm1.Weight, l.Norm2.Weight} {
						addOne(p) // norm weights near 1, as in training
					}
					mask := keyPaddingMask(dt, b, tl)
					checkGradInputs(t, dt, graph.Train, l.Params(), func(g *graph.Graph, in []*gorgonia.Node) (*gorgonia.Node, error) {
						if variant != "pad" {
							return l.Forward(g, in[0])
						}
						m, err := g.Input("mask", b, tl)
						if err != nil {
							return nil, err
						}
						if err := gorgonia.Let(m, mask); err != nil {
							return nil, err
						}
						return l.Encode(g, in[0], m)
					}, randTensor(dt, 6, b, tl, e))
				})
			}
		}
	}
}

func addOne(p *graph.Param) {
	v := toF64(p.Value().Data())
	for i := range v {
		v[i]++
	}
	_ = p.SetValues(v)
}

// TestTransformerDropout checks that dropout acts in a Train graph only, and that a
// Train graph's output is reproducible from its seed.
func TestTransformerDropout(t *testing.T) {
	s := graph.NewScope(graph.Float64, graph.Seed(1))
	l, err := NewTransformerEncoderLayer(s.Sub("enc"), TransformerEncoderLayerConfig{Embed: 4, Heads: 2, Dropout: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	noDrop, _ := NewTransformerEncoderLayer(s.Sub("ref"), TransformerEncoderLayerConfig{Embed: 4, Heads: 2})
	for i, p := range noDrop.Params() { // the same weights, no dropout
		_ = p.SetValues(toF64(l.Params()[i].Value().Data()))
	}
	x := randTensor(graph.Float64, 2, 2, 3, 4)
	run := func(layer Layer, mode graph.Mode, seed uint64) string {
		g := graph.New(graph.Float64, mode, graph.GraphSeed(seed))
		xn, _ := g.Input("x", 2, 3, 4)
		out, err := layer.Forward(g, xn)
		if err != nil {
			t.Fatal(err)
		}
		m, err := graph.Compile(g, graph.Outputs(out))
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Run(graph.Feeds{xn: x}); err != nil {
			t.Fatal(err)
		}
		o, _ := m.Output(out)
		return fmt.Sprint(toF64(o.Data()))
	}
	ref := run(noDrop, graph.Train, 0)
	if got := run(l, graph.Eval, 0); got != ref {
		t.Errorf("eval with dropout differs from no dropout:\n%s\n%s", got, ref)
	}
	train1, train2 := run(l, graph.Train, 7), run(l, graph.Train, 7)
	if train1 == ref {
		t.Error("train with dropout 0.5 equals no dropout")
	}
	if train1 != train2 {
		t.Error("train with the same graph seed differs")
	}
}

func TestTransformerErrors(t *testing.T) {
	s := graph.NewScope(graph.Float64)
	if _, err := NewTransformerEncoderLayer(s.Sub("bad"), TransformerEncoderLayerConfig{Embed: 5, Heads: 2}); err == nil ||
		!strings.Contains(err.Error(), `transformer "bad": nn: attention "bad/self_attn": Embed = 5 is not a multiple of Heads = 2`) {
		t.Errorf("Embed %% Heads: err = %v", err)
	}
	l, err := NewTransformerEncoderLayer(s.Sub("enc"), TransformerEncoderLayerConfig{Embed: 4, Heads: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := "enc/self_attn/in_proj_weight enc/self_attn/in_proj_bias enc/self_attn/out_proj/weight enc/self_attn/out_proj/bias " +
		"enc/linear1/weight enc/linear1/bias enc/linear2/weight enc/linear2/bias enc/norm1/weight enc/norm1/bias enc/norm2/weight enc/norm2/bias"
	if got := joinParamNames(l.Params()); got != want {
		t.Errorf("params:\n%s\nwant\n%s", got, want)
	}
	if l.FF != 16 || fmt.Sprint(l.Linear1.Weight.Shape()) != "[4 16]" {
		t.Errorf("FF = %d, linear1 weight %v, want 16 and [4 16]", l.FF, l.Linear1.Weight.Shape())
	}
	g := graph.New(graph.Float64, graph.Train)
	x, _ := g.Input("x", 2, 4)
	if _, err := l.Forward(g, x); err == nil || !strings.Contains(err.Error(), "input shape (2, 4), want (batch, time, 4)") {
		t.Errorf("2-D input: err = %v", err)
	}
}
