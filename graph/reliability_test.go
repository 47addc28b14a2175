package graph_test

import (
	"path/filepath"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"

	"github.com/gradflow/gradflow/graph"
)

// TestCompileTwice checks that a second Compile of one Graph is an error, as the
// doc says (a second machine would reset the first one's op state), and leaves the
// first machine working.
func TestCompileTwice(t *testing.T) {
	s := graph.NewScope(graph.Float64, graph.Seed(1))
	w, _ := s.Param("w", graph.Weight, []int{2}, graph.Constant{Value: 3})
	g := graph.New(graph.Float64, graph.Train)
	wn, err := g.Node(w)
	if err != nil {
		t.Fatal(err)
	}
	loss := gorgonia.Must(gorgonia.Sum(wn))
	m, err := graph.Compile(g, graph.Loss(loss))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := graph.Compile(g, graph.Loss(loss)); err == nil || !strings.Contains(err.Error(), "already compiled") {
		t.Errorf("second Compile: err = %v, want already compiled", err)
	}
	if err := m.Run(nil); err != nil {
		t.Fatal(err)
	}
	if got := m.Loss(); got != 6 {
		t.Errorf("first machine's loss = %v after a second Compile, want 6", got)
	}
}

// TestLoadNothingMatched checks that Partial or Select loads that would change no
// param are errors, naming what was wanted and what the file has.
func TestLoadNothingMatched(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.safetensors")
	s := graph.NewScope(graph.Float32)
	a, _ := s.Sub("enc").Param("w", graph.Weight, []int{2}, graph.Constant{Value: 1})
	if err := graph.SaveParams(path, []*graph.Param{a}, nil); err != nil {
		t.Fatal(err)
	}
	s2 := graph.NewScope(graph.Float32)
	other, _ := s2.Sub("dec").Param("w", graph.Weight, []int{2}, graph.Zeros{})
	same, _ := s2.Sub("enc").Param("w", graph.Weight, []int{2}, graph.Zeros{})
	never := func(*graph.Param) bool { return false }
	cases := []struct {
		name   string
		params []*graph.Param
		opts   []graph.LoadOption
		want   string // "" for success
	}{
		{"partial-none-in-file", []*graph.Param{other}, []graph.LoadOption{graph.Partial()}, `none of the 1 params wanted (dec/w, ...) is in the saved tensors (1 tensors: enc/w)`},
		{"select-none", []*graph.Param{other, same}, []graph.LoadOption{graph.Select(never)}, "Select matched none of the model's 2 params"},
		{"select-partial-none", []*graph.Param{same}, []graph.LoadOption{graph.Select(never), graph.Partial()}, "Select matched none"},
		{"partial-some", []*graph.Param{other, same}, []graph.LoadOption{graph.Partial()}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := graph.LoadParams(path, c.params, c.opts...)
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want %q", err, c.want)
			}
		})
	}
	if same.Float32s()[0] != 1 || other.Float32s()[0] != 0 {
		t.Errorf("enc/w = %v, dec/w = %v after the loads, want 1 and 0", same.Float32s(), other.Float32s())
	}
}
