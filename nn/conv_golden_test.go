package nn

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/ops"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Golden tests: forward values and gradients compared with PyTorch 1.13 on the same
// weights. The fixtures in testdata/nn are written by testdata/nn/gen_conv.py (see its
// doc for what each holds); the loss is sum(y * w) for a fixed random w.

// goldenTol is the relative tolerance per dtype (the issue's: 1e-6 in float64, 1e-4
// in float32). An element is compared relative to max(|want|, 1e-3*max|want|), so
// that values near zero in a tensor of larger ones are not held to a relative bound
// their rounding cannot meet.
var goldenTol = map[graph.DType]float64{graph.Float64: 1e-6, graph.Float32: 1e-4}

type fixTensor struct {
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

// goldenStep is one forward and backward: input, loss weights, output and gradients
// ("x" and the PyTorch parameter names).
type goldenStep struct {
	X           fixTensor            `json:"x"`
	W           fixTensor            `json:"w"`
	Y           fixTensor            `json:"y"`
	Grads       map[string]fixTensor `json:"grads"`
	RunningMean *fixTensor           `json:"running_mean"`
	RunningVar  *fixTensor           `json:"running_var"`
}

type goldenCase struct {
	Name    string               `json:"name"`
	Config  map[string]any       `json:"config"`
	Params  map[string]fixTensor `json:"params"`
	Buffers map[string]fixTensor `json:"buffers"`
	goldenStep
	Steps []goldenStep `json:"steps"` // bn.json: training steps
	Eval  *goldenStep  `json:"eval"`  // bn.json: the evaluation step
}

func loadGolden(t *testing.T, file string) []goldenCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "nn", file))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cases []goldenCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if len(doc.Cases) == 0 {
		t.Fatalf("%s: no cases", file)
	}
	return doc.Cases
}

// cfgInts reads an int or a list of ints from a fixture config.
func cfgInts(c map[string]any, key string) []int {
	switch v := c[key].(type) {
	case float64:
		return []int{int(v)}
	case []any:
		out := make([]int, len(v))
		for i, x := range v {
			out[i] = int(x.(float64))
		}
		return out
	}
	return nil
}

func cfgPair(c map[string]any, key string) [2]int {
	v := cfgInts(c, key)
	if len(v) != 2 {
		return [2]int{}
	}
	return [2]int{v[0], v[1]}
}

func cfgInt(c map[string]any, key string) int {
	if v := cfgInts(c, key); len(v) == 1 {
		return v[0]
	}
	return 0
}

// goldenModel is a layer under test, its Params named "<prefix><torch name with / for .>".
type goldenModel struct {
	layer  Layer
	scope  *graph.Scope
	prefix string
}

func (m goldenModel) param(torchName string) (*graph.Param, error) {
	p := m.scope.Lookup(m.prefix + strings.ReplaceAll(torchName, ".", "/"))
	if p == nil {
		return nil, errors.Errorf("no Param for PyTorch's %q (looked for %q)", torchName, m.prefix+strings.ReplaceAll(torchName, ".", "/"))
	}
	return p, nil
}

// load copies the fixture's parameters into the model's Params (buffers, the running
// statistics, are compared after the step, not loaded).
func (m goldenModel) load(c goldenCase) error {
	for name, v := range c.Params {
		p, err := m.param(name)
		if err != nil {
			return err
		}
		if err := p.SetValues(v.Data); err != nil {
			return err
		}
	}
	return nil
}

// goldenRunner runs sum(layer(x) * w) in one graph of a mode and returns y and the
// gradients of x and of the layer's trainable Params.
type goldenRunner struct {
	m     *graph.Machine
	x     *graph.Param
	w, y  *gorgonia.Node
	model goldenModel
}

func newGoldenRunner(dt graph.DType, mode graph.Mode, model goldenModel, xShape []int) (*goldenRunner, error) {
	xs := graph.NewScope(dt)
	x, err := xs.Param("x", graph.Weight, xShape, graph.Zeros{})
	if err != nil {
		return nil, err
	}
	g := graph.New(dt, mode)
	xn, err := g.Node(x)
	if err != nil {
		return nil, err
	}
	y, err := Forward(model.layer, g, xn)
	if err != nil {
		return nil, err
	}
	w, err := g.Input("w", y.Shape()...)
	if err != nil {
		return nil, err
	}
	prod, err := gorgonia.HadamardProd(y, w)
	if err != nil {
		return nil, err
	}
	loss, err := gorgonia.Sum(prod)
	if err != nil {
		return nil, err
	}
	m, err := graph.Compile(g, graph.Loss(loss), graph.Outputs(y))
	if err != nil {
		return nil, err
	}
	return &goldenRunner{m: m, x: x, w: w, y: y, model: model}, nil
}

// run runs one step and compares y and every gradient in s with the fixture.
func (r *goldenRunner) run(t *testing.T, dt graph.DType, s goldenStep) {
	t.Helper()
	if err := r.x.SetValues(s.X.Data); err != nil {
		t.Fatal(err)
	}
	if err := r.m.Run(graph.Feeds{r.w: fromF64(dt, s.W.Data, s.W.Shape...)}); err != nil {
		t.Fatal(err)
	}
	out, err := r.m.Output(r.y)
	if err != nil {
		t.Fatal(err)
	}
	tol := goldenTol[dt]
	if fmt.Sprint(out.Shape()) != fmt.Sprint(tensor.Shape(s.Y.Shape)) {
		t.Fatalf("output shape %v, want %v", out.Shape(), s.Y.Shape)
	}
	compareGolden(t, "y", toF64(out.Data()), s.Y.Data, tol)
	for name, want := range s.Grads {
		var got []float64
		if name == "x" {
			got = toF64(r.x.Grad().Data())
		} else {
			p, err := r.model.param(name)
			if err != nil {
				t.Fatal(err)
			}
			got = toF64(p.Grad().Data())
		}
		compareGolden(t, "grad "+name, got, want.Data, tol)
	}
}

// compareGolden reports the first few elements of got that differ from want by more
// than rtol relative to max(|want|, 1e-3*max|want|).
func compareGolden(t *testing.T, what string, got, want []float64, rtol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values, want %d", what, len(got), len(want))
		return
	}
	var scale float64
	for _, v := range want {
		scale = math.Max(scale, math.Abs(v))
	}
	bad := 0
	for i := range want {
		d := math.Abs(got[i] - want[i])
		if !(d <= rtol*math.Max(math.Abs(want[i]), 1e-3*scale)) {
			if bad < 3 {
				t.Errorf("%s[%d] = %.10g, want %.10g (diff %.2g)", what, i, got[i], want[i], d)
			}
			bad++
		}
	}
	if bad > 3 {
		t.Errorf("%s: %d of %d values differ", what, bad, len(want))
	}
}

// runGoldenCases builds each case's model with build (in the scope prefix "m/"), loads
// the fixture's parameters, runs one training step and compares.
func runGoldenCases(t *testing.T, file string, mode graph.Mode, build func(s *graph.Scope, c goldenCase) (Layer, string, error)) {
	for _, c := range loadGolden(t, file) {
		for _, dt := range dtypes {
			t.Run(dt.String()+"/"+c.Name, func(t *testing.T) {
				s := graph.NewScope(dt, graph.Seed(1))
				l, prefix, err := build(s.Sub("m"), c)
				if err != nil {
					t.Fatal(err)
				}
				model := goldenModel{layer: l, scope: s, prefix: "m/" + prefix}
				if err := model.load(c); err != nil {
					t.Fatal(err)
				}
				r, err := newGoldenRunner(dt, mode, model, c.X.Shape)
				if err != nil {
					t.Fatal(err)
				}
				r.run(t, dt, c.goldenStep)
				for name, want := range c.Buffers {
					p, err := model.param(name)
					if err != nil {
						t.Fatal(err)
					}
					compareGolden(t, name, toF64(p.Value().Data()), want.Data, goldenTol[dt])
				}
			})
		}
	}
}

// checkModeGrad is checkLayerGrad in a graph of the given mode, differentiating x and
// the layer's trainable Params (State params get no gradient).
func checkModeGrad(t *testing.T, dt graph.DType, mode graph.Mode, l Layer, x *tensor.Dense) {
	t.Helper()
	build := func() (*gorgonia.Node, []*gorgonia.Node, error) {
		g := graph.New(dt, mode)
		xn, err := g.Input("x", x.Shape()...)
		if err != nil {
			return nil, nil, err
		}
		if err := gorgonia.Let(xn, x); err != nil {
			return nil, nil, err
		}
		out, err := Forward(l, g, xn)
		if err != nil {
			return nil, nil, err
		}
		wrt := []*gorgonia.Node{xn}
		for _, p := range l.Params() {
			if !p.Trainable() {
				continue
			}
			n, err := g.Node(p)
			if err != nil {
				return nil, nil, err
			}
			wrt = append(wrt, n)
		}
		return out, wrt, nil
	}
	if _, err := ops.CheckGrad(build, ops.CheckConfig{}); err != nil {
		t.Fatal(err)
	}
}
