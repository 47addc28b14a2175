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

// keyPaddingMask returns a (B, S) 0/1 mask whose row i masks the last i%S keys (never all).
func keyPaddingMask(dt graph.DType, b, s int) *tensor.Dense {
	v := make([]float64, b*s)
	for i := 0; i < b; i++ {
		for j := s - i%s; j < s; j++ {
			if j > 0 {
				v[i*s+j] = 1
			}
		}
	}
	return fromF64(dt, v, b, s)
}

func TestAttentionGradient(t *testing.T) {
	// (batch, query len, key len, embed, heads)
	shapes := [][5]int{{2, 3, 3, 4, 2}, {1, 1, 1, 2, 1}, {2, 2, 4, 3, 3}, {1, 4, 2, 6, 2}}
	for _, dt := range dtypes {
		for _, sh := range shapes {
			b, tq, sk, e, h := sh[0], sh[1], sh[2], sh[3], sh[4]
			for _, variant := range []string{"self", "causal", "cross+pad", "nobias"} {
				if variant != "cross+pad" && tq != sk {
					continue // self-attention needs T = S
				}
				t.Run(fmt.Sprintf("%v/%v/%s", dt, sh, variant), func(t *testing.T) {
					s := graph.NewScope(dt, graph.Seed(5))
					a, err := NewMultiHeadAttention(s.Sub("mha"), MultiHeadAttentionConfig{
						Embed: e, Heads: h, Causal: variant == "causal", NoBias: variant == "nobias"})
					if err != nil {
						t.Fatal(err)
					}
					randomizeParams(a.Params(), 9) // the zero biases would hide bias gradients
					if variant != "cross+pad" {
						checkGradInputs(t, dt, graph.Train, a.Params(), func(g *graph.Graph, in []*gorgonia.Node) (*gorgonia.Node, error) {
							return a.Forward(g, in[0])
						}, randTensor(dt, 1, b, tq, e))
						return
					}
					mask := keyPaddingMask(dt, b, sk)
					checkGradInputs(t, dt, graph.Train, a.Params(), func(g *graph.Graph, in []*gorgonia.Node) (*gorgonia.Node, error) {
						m, err := g.Input("mask", b, sk)
						if err != nil {
							return nil, err
						}
						if err := gorgonia.Let(m, mask); err != nil {
							return nil, err
						}
						return a.Attend(g, in[0], in[1], in[2], m)
					}, randTensor(dt, 1, b, tq, e), randTensor(dt, 2, b, sk, e), randTensor(dt, 3, b, sk, e))
				})
			}
		}
	}
}

// randomizeParams sets every Param to seeded N(0, 0.5²) values.
func randomizeParams(ps []*graph.Param, seed uint64) {
	for i, p := range ps {
		r := randTensor(graph.Float64, seed+uint64(i), p.Size())
		v := r.Float64s()
		for j := range v {
			v[j] *= 0.5
		}
		_ = p.SetValues(v)
	}
}

// TestAttentionMasks checks the masks by their effect: with a causal mask the output
// at query i does not change when a later key changes, and a padded key changes
// nothing at all.
func TestAttentionMasks(t *testing.T) {
	const b, tl, e = 2, 4, 4
	s := graph.NewScope(graph.Float64, graph.Seed(1))
	causal, _ := NewMultiHeadAttention(s.Sub("causal"), MultiHeadAttentionConfig{Embed: e, Heads: 2, Causal: true})
	plain, _ := NewMultiHeadAttention(s.Sub("plain"), MultiHeadAttentionConfig{Embed: e, Heads: 2})
	run := func(a *MultiHeadAttention, x, mask *tensor.Dense) []float64 {
		g := graph.New(graph.Float64, graph.Eval)
		xn, _ := g.Input("x", b, tl, e)
		feeds := graph.Feeds{xn: x}
		var mn *gorgonia.Node
		if mask != nil {
			mn, _ = g.Input("mask", b, tl)
			feeds[mn] = mask
		}
		out, err := a.Attend(g, xn, xn, xn, mn)
		if err != nil {
			t.Fatal(err)
		}
		m, err := graph.Compile(g, graph.Outputs(out))
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Run(feeds); err != nil {
			t.Fatal(err)
		}
		o, _ := m.Output(out)
		return toF64(o.Data())
	}
	x := randTensor(graph.Float64, 4, b, tl, e)
	x2 := x.Clone().(*tensor.Dense)
	for j := 0; j < e; j++ { // change the last step of every sequence
		x2.Float64s()[(0*tl+tl-1)*e+j] += 1
		x2.Float64s()[(1*tl+tl-1)*e+j] -= 2
	}
	y, y2 := run(causal, x, nil), run(causal, x2, nil)
	for i := 0; i < b; i++ {
		for q := 0; q < tl-1; q++ {
			for j := 0; j < e; j++ {
				k := (i*tl+q)*e + j
				if y[k] != y2[k] {
					t.Fatalf("causal: output at step %d changed when step %d changed", q, tl-1)
				}
			}
		}
	}
	// A padded last key: queries 0..T-2 only see the unpadded keys, and since the
	// padded key is also a query its own row changes; compare the other rows.
	mask := tensor.New(tensor.WithShape(b, tl), tensor.WithBacking([]float64{0, 0, 0, 1, 0, 0, 0, 1}))
	y, y2 = run(plain, x, mask), run(plain, x2, mask)
	for i := 0; i < b; i++ {
		for q := 0; q < tl-1; q++ {
			for j := 0; j < e; j++ {
				k := (i*tl+q)*e + j
				if math.Abs(y[k]-y2[k]) != 0 {
					t.Fatalf("padding: output at step %d changed when the padded key changed", q)
				}
			}
		}
	}
}

func TestAttentionErrors(t *testing.T) {
	s := graph.NewScope(graph.Float64)
	if _, err := NewMultiHeadAttention(s.Sub("bad"), MultiHeadAttentionConfig{Embed: 6, Heads: 4}); err == nil ||
		err.Error() != `nn: attention "bad": Embed = 6 is not a multiple of Heads = 4` {
		t.Errorf("Embed %% Heads: err = %v", err)
	}
	a, _ := NewMultiHeadAttention(s.Sub("mha"), MultiHeadAttentionConfig{Embed: 4, Heads: 2})
	if got := joinParamNames(a.Params()); got != "mha/in_proj_weight mha/in_proj_bias mha/out_proj/weight mha/out_proj/bias" {
		t.Errorf("param names %q", got)
	}
	g := graph.New(graph.Float64, graph.Train)
	x, _ := g.Input("x", 2, 3, 5)
	if _, err := a.Forward(g, x); err == nil || !strings.Contains(err.Error(), "(2, 3, 5)") {
		t.Errorf("bad width: err = %v", err)
	}
	q, _ := g.Input("q", 2, 3, 4)
	m, _ := g.Input("m", 2, 4)
	if _, err := a.Attend(g, q, q, q, m); err == nil || !strings.Contains(err.Error(), "key padding mask shape (2, 4), want (2, 3)") {
		t.Errorf("bad mask: err = %v", err)
	}
}
