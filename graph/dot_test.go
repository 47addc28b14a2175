package graph

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
)

// TestWriteDotStructure: by default WriteDot writes nodes and edges, not values: a
// 784x10 weight of ones must not appear in it, and the file stays small.
func TestWriteDotStructure(t *testing.T) {
	s := NewScope(Float64)
	w, err := s.Sub("fc").Param("weight", Weight, []int{784, 10}, Constant{Value: 0.125})
	if err != nil {
		t.Fatal(err)
	}
	g := New(Float64, Eval)
	x, _ := g.Input("x", 2, 784)
	wn, _ := g.Node(w)
	y := gorgonia.Must(gorgonia.Mul(x, wn))
	if err := gorgonia.Let(wn, w.Value()); err != nil { // as a run binds it
		t.Fatal(err)
	}
	var b strings.Builder
	if err := WriteDot(&b, g); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"digraph gradflow", "param fc/weight", "(784, 10) float64", "input"} {
		if !strings.Contains(out, want) {
			t.Errorf("WriteDot lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "0.125") || len(out) > 2000 {
		t.Errorf("WriteDot wrote values (%d bytes):\n%.400s", len(out), out)
	}
	// One edge from each operand to the product.
	edges := regexp.MustCompile(`n(\d+) -> n(\d+);`).FindAllStringSubmatch(out, -1)
	if len(edges) != 2 {
		t.Fatalf("want 2 edges, got %d:\n%s", len(edges), out)
	}
	for _, e := range edges {
		if e[2] != strconv.FormatInt(y.ID(), 10) {
			t.Errorf("edge %s -> %s does not end at the product n%d", e[1], e[2], y.ID())
		}
	}
	var full strings.Builder
	if err := WriteDot(&full, g, DotValues()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(full.String(), "0.125") {
		t.Errorf("DotValues wrote no values:\n%.600s", full.String())
	}
	if err := WriteDot(&b, nil); err == nil {
		t.Error("WriteDot(nil) succeeded")
	}
}
