package nn

import (
	"fmt"
	"math"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestTransformerRerun checks that a Transformer block, whose nodes keep their output
// memory (and the attention weights) from one run to the next, gives on a second run
// exactly what a fresh model gives on that input: loss, output and every gradient,
// bit for bit, with a padding mask and causal attention, and with dropout (whose masks
// come from the graph's seeded generator, so the fresh model's first run is compared
// with a model's first run: same-seed training is reproducible).
func TestTransformerRerun(t *testing.T) {
	type result struct {
		loss float64
		out  []float64
		grad [][]float64
	}
	const b, tl, e = 3, 5, 8
	run := func(t *testing.T, dt graph.DType, cfg TransformerEncoderLayerConfig, xs ...*tensor.Dense) result {
		s := graph.NewScope(dt, graph.Seed(5))
		l, err := NewTransformerEncoderLayer(s.Sub("enc"), cfg)
		if err != nil {
			t.Fatal(err)
		}
		g := graph.New(dt, graph.Train, graph.GraphSeed(9))
		x, _ := g.Input("x", b, tl, e)
		m, _ := g.Input("mask", b, tl)
		y, err := l.Encode(g, x, m)
		if err != nil {
			t.Fatal(err)
		}
		loss, err := gorgonia.Mean(gorgonia.Must(gorgonia.Square(y)))
		if err != nil {
			t.Fatal(err)
		}
		mc, err := graph.Compile(g, graph.Loss(loss), graph.Outputs(y))
		if err != nil {
			t.Fatal(err)
		}
		for _, xv := range xs {
			if err := mc.Run(graph.Feeds{x: xv, m: keyPaddingMask(dt, b, tl)}); err != nil {
				t.Fatal(err)
			}
		}
		out, err := mc.Output(y)
		if err != nil {
			t.Fatal(err)
		}
		r := result{loss: mc.Loss(), out: f64s(out)}
		for _, p := range l.Params() {
			r.grad = append(r.grad, f64s(p.Grad()))
		}
		return r
	}
	same := func(a, b []float64) bool {
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
				return false
			}
		}
		return true
	}
	for _, dt := range dtypes {
		for _, cfg := range []TransformerEncoderLayerConfig{
			{Embed: e, Heads: 2, FF: 12, Causal: true},
			{Embed: e, Heads: 4, FF: 12, Dropout: 0.2},
		} {
			t.Run(fmt.Sprintf("%v/causal=%t/dropout=%g", dt, cfg.Causal, cfg.Dropout), func(t *testing.T) {
				x1, x2 := randTensor(dt, 1, b, tl, e), randTensor(dt, 2, b, tl, e)
				var second, fresh result
				if cfg.Dropout == 0 {
					second, fresh = run(t, dt, cfg, x1, x2), run(t, dt, cfg, x2)
				} else {
					// The masks differ from run to run: compare two models' second runs,
					// and a second run against a first.
					second, fresh = run(t, dt, cfg, x1, x2), run(t, dt, cfg, x1, x2)
					if other := run(t, dt, cfg, x2); other.loss == second.loss {
						t.Fatalf("dropout: the second run's masks equal the first's")
					}
				}
				if second.loss != fresh.loss || !same(second.out, fresh.out) {
					t.Fatalf("second run loss %v, fresh model %v (or outputs differ)", second.loss, fresh.loss)
				}
				for i := range fresh.grad {
					if !same(second.grad[i], fresh.grad[i]) {
						t.Fatalf("gradient %d differs between a second run and a fresh model", i)
					}
				}
			})
		}
	}
}

// f64s returns t's values as float64.
func f64s(t *tensor.Dense) []float64 {
	switch v := t.Data().(type) {
	case []float32:
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = float64(x)
		}
		return out
	case []float64:
		return append([]float64(nil), v...)
	}
	return nil
}
