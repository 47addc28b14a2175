package nn

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gradflow/gradflow/graph"
)

func TestFlattenReshapeGradient(t *testing.T) {
	for _, dt := range dtypes {
		s := graph.NewScope(dt)
		fl, _ := NewFlatten(s.Sub("flat"), FlattenConfig{})
		rs, err := NewReshape(s.Sub("rs"), ReshapeConfig{Shape: []int{3, -1}})
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name string
			l    Layer
			x    []int
		}{
			{"flatten_4d", fl, []int{2, 3, 2, 2}},
			{"flatten_batch1", fl, []int{1, 1, 3}},
			{"flatten_2d", fl, []int{3, 4}},
			{"reshape", rs, []int{2, 6}},
			{"reshape_4d", rs, []int{1, 3, 2, 2}},
		}
		for _, c := range cases {
			t.Run(dt.String()+"/"+c.name, func(t *testing.T) {
				checkLayerGrad(t, dt, c.l, randTensor(dt, 2, c.x...))
			})
		}
	}
}

func TestFlattenGolden(t *testing.T) {
	runGoldenCases(t, "flatten.json", graph.Train, func(s *graph.Scope, c goldenCase) (Layer, string, error) {
		if c.Config["kind"] == "reshape" {
			return mustLayer(NewReshape(s, ReshapeConfig{Shape: cfgInts(c.Config, "shape")}))
		}
		return mustLayer(NewFlatten(s, FlattenConfig{}))
	})
}

func TestReshapeShapesAndErrors(t *testing.T) {
	s := graph.NewScope(graph.Float32)
	g := graph.New(graph.Float32, graph.Eval)
	x, _ := g.Input("x", 4, 2, 3, 5)
	shape := []int{-1, 5}
	rs, err := NewReshape(s.Sub("rs"), ReshapeConfig{Shape: shape})
	if err != nil {
		t.Fatal(err)
	}
	y, err := rs.Forward(g, x)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(y.Shape()); got != "(4, 6, 5)" {
		t.Errorf("reshape output %s, want (4, 6, 5)", got)
	}
	if shape[0] != -1 || rs.Shape[0] != -1 {
		t.Errorf("the -1 was overwritten: config %v, layer %v", shape, rs.Shape)
	}
	fl, _ := NewFlatten(s.Sub("fl"), FlattenConfig{})
	if y, err = fl.Forward(g, x); err != nil || fmt.Sprint(y.Shape()) != "(4, 30)" {
		t.Errorf("flatten output %v (err %v), want (4, 30)", y.Shape(), err)
	}
	for _, bad := range []struct {
		shape []int
		want  string
	}{
		{nil, "empty Shape"},
		{[]int{-1, -1}, "has 2 entries -1"},
		{[]int{0, 3}, "want entries > 0 or one -1"},
	} {
		if _, err := NewReshape(s.Sub("bad"), ReshapeConfig{Shape: bad.shape}); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("Shape %v: err = %v, want %q", bad.shape, err, bad.want)
		}
	}
	for _, sh := range [][]int{{7}, {-1, 7}} {
		r, _ := NewReshape(s.Sub(fmt.Sprint("r", len(sh))), ReshapeConfig{Shape: sh})
		if _, err := r.Forward(g, x); err == nil || !strings.Contains(err.Error(), "has 30 values per example") {
			t.Errorf("Shape %v on (4, 2, 3, 5): err = %v", sh, err)
		}
	}
	v, _ := g.Input("v", 4)
	if _, err := fl.Forward(g, v); err == nil || !strings.Contains(err.Error(), "at least 2 axes") {
		t.Errorf("flatten of a vector: err = %v", err)
	}
}
