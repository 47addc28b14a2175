package ops

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func TestEmbeddingGrad(t *testing.T) {
	cases := []struct {
		name     string
		idsShape []int
		ids      []float64
		v, d     int
	}{
		{"(N) repeated", []int{5}, []float64{1, 4, 1, 0, 1}, 6, 3},
		{"(N, T) repeated", []int{2, 3}, []float64{0, 2, 2, 2, 1, 0}, 3, 4},
		{"batch 1", []int{1}, []float64{2}, 4, 2},
		{"(N, 1)", []int{3, 1}, []float64{0, 0, 1}, 2, 1}, // width 1: output (3, 1, 1)
		{"one row table", []int{4}, []float64{0, 0, 0, 0}, 1, 3},
	}
	for _, dt := range dtypes {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%v/%s", dt, c.name), func(t *testing.T) {
				checkGradT(t, func() (*gorgonia.Node, []*gorgonia.Node, error) {
					g := gorgonia.NewGraph()
					ids := newInput(g, dt, "ids", c.idsShape, c.ids)
					table := newInput(g, dt, "table", []int{c.v, c.d}, uniform(9, c.v*c.d, -1, 1))
					y, err := Embedding(ids, table)
					return y, []*gorgonia.Node{table}, err
				})
			})
		}
	}
}

// TestEmbeddingValues checks the gather and the scatter-add by hand: row r of the
// table holds (r, -r, r·1e300) and the gradient of Sum(y) counts each id's uses.
func TestEmbeddingValues(t *testing.T) {
	for _, dt := range dtypes {
		big := 1e300
		if dt == tensor.Float32 {
			big = 1e30
		}
		table := []float64{0, 0, 0, 1, -1, big, 2, -2, 2 * big, 3, -3, 3 * big}
		got, err := runGraph(func(g *gorgonia.ExprGraph) ([]*gorgonia.Node, error) {
			ids := newInput(g, dt, "ids", []int{2, 3}, []float64{3, 1, 3, 0, 3, 1})
			tab := newInput(g, dt, "table", []int{4, 3}, table)
			y, err := Embedding(ids, tab)
			if err != nil {
				return nil, err
			}
			s, err := gorgonia.Sum(y)
			if err != nil {
				return nil, err
			}
			grads, err := gorgonia.Grad(s, tab)
			if err != nil {
				return nil, err
			}
			return []*gorgonia.Node{y, grads[0]}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var wantY []float64
		for _, id := range []int{3, 1, 3, 0, 3, 1} {
			wantY = append(wantY, table[3*id:3*id+3]...)
		}
		wantGrad := []float64{1, 1, 1, 2, 2, 2, 0, 0, 0, 3, 3, 3} // id 0 once, 1 twice, 2 never, 3 three times
		if ok, msg := closeTo(got[0], wantY, 1e-7, 0); !ok {
			t.Errorf("%v: Embedding: %s", dt, msg)
		}
		if ok, msg := closeTo(got[1], wantGrad, 0, 0); !ok {
			t.Errorf("%v: gradient: %s", dt, msg)
		}
	}
}

// TestEmbeddingBadIDs checks that ids out of range or not integers fail the run
// with an error naming the position (not a panic, which would crash the test).
func TestEmbeddingBadIDs(t *testing.T) {
	cases := []struct {
		name string
		ids  []float64
		want string
	}{
		{"too large", []float64{0, 3}, "id 3 at position 1 is not an integer in [0, 3)"},
		{"negative", []float64{-1, 0}, "id -1 at position 0"},
		{"fraction", []float64{0, 1.5}, "id 1.5 at position 1"},
		{"NaN", []float64{math.NaN(), 0}, "id NaN at position 0"},
		{"Inf", []float64{0, math.Inf(1)}, "id +Inf at position 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := runGraph(func(g *gorgonia.ExprGraph) ([]*gorgonia.Node, error) {
				ids := newInput(g, tensor.Float64, "ids", []int{2}, c.ids)
				table := newInput(g, tensor.Float64, "table", []int{3, 2}, make([]float64, 6))
				y, err := Embedding(ids, table)
				return []*gorgonia.Node{y}, err
			})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("run: %v; want an error saying %q", err, c.want)
			}
		})
	}
}

func TestEmbeddingErrors(t *testing.T) {
	g := gorgonia.NewGraph()
	ids := newInput(g, tensor.Float64, "ids", []int{3}, []float64{0, 1, 0})
	ids32 := newInput(g, tensor.Float32, "ids32", []int{3}, []float64{0, 1, 0})
	scalar := newInput(g, tensor.Float64, "s", nil, []float64{0})
	table := newInput(g, tensor.Float64, "table", []int{2, 4}, make([]float64, 8))
	vec := newInput(g, tensor.Float64, "vec", []int{4}, make([]float64, 4))
	cases := []struct {
		name       string
		ids, table *gorgonia.Node
		want       string
	}{
		{"nil ids", nil, table, "ids is nil"},
		{"nil table", ids, nil, "table is nil"},
		{"mixed dtypes", ids32, table, "ids have dtype float32, table float64, want the same"},
		{"scalar ids", scalar, table, "ids have shape (), want at least 1-D"},
		{"vector table", ids, vec, "table has shape (4), want (V, D)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if y, err := Embedding(c.ids, c.table); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Embedding = %v, %v; want an error saying %q", y, err, c.want)
			}
		})
	}
	// ids get no gradient: asking for one is an error, not a panic.
	y, err := Embedding(ids, table)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gorgonia.Sum(y)
	if err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Errorf("Grad wrt ids panicked: %v", r)
			}
		}()
		if _, err := gorgonia.Grad(s, ids); err == nil {
			t.Errorf("Grad wrt ids succeeded, want an error (ids are not differentiable)")
		}
	}()
}
