package nn

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"gorgonia.org/gorgonia"
)

// The sequence-layer fixtures (rnn, lstm, gru, mha, transformer, embedding, norm) are
// written by testdata/nn/gen_seq.py with PyTorch 1.13 in float64; its doc string gives
// the format. Each case is run in float64 and float32 with the fixture's weights, and
// its outputs and the gradients of loss = Σ sum(output * r) with respect to the
// differentiable inputs and every Param are compared with PyTorch's.

// seqGoldenTol returns the relative tolerance against PyTorch: float64 agrees to
// rounding; float32 rounds the weights and inputs and computes in float32. An element
// passes when |got - want| <= rtol * max(|want|, scale), scale being the largest |want|
// of the tensor divided by 10: an element much smaller than its neighbours (a gradient
// that nearly cancels) is held to the precision of the tensor, not to its own size.
func seqGoldenTol(dt graph.DType) float64 {
	if dt == graph.Float32 {
		return 1e-4
	}
	return 1e-6
}

type seqTensor struct {
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
	R     []float64 `json:"r"` // outputs only: the weights of the loss
}

type seqCase struct {
	Name    string               `json:"name"`
	Config  json.RawMessage      `json:"config"`
	Params  map[string]seqTensor `json:"params"`
	Inputs  map[string]seqTensor `json:"inputs"`
	Outputs map[string]seqTensor `json:"outputs"`
	Grads   map[string]seqTensor `json:"grads"`
}

func loadSeqGolden(t *testing.T, file string) []seqCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "nn", file))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Torch string    `json:"torch"`
		Cases []seqCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if doc.Torch == "" || len(doc.Cases) == 0 {
		t.Fatalf("%s: no torch version or no cases; regenerate with gen_seq.py", file)
	}
	return doc.Cases
}

// seqGoldenSpec ties a fixture to a layer.
type seqGoldenSpec struct {
	params     map[string]*graph.Param // fixture name -> Param
	transposed map[string]bool         // fixture (out, in) matrices held as (in, out)
	diff       []string                // inputs that get gradients
	forward    func(g *graph.Graph, in map[string]*gorgonia.Node) (map[string]*gorgonia.Node, error)
}

// runSeqGolden runs one fixture case in dtype dt and compares every output and
// gradient.
func runSeqGolden(t *testing.T, dt graph.DType, c seqCase, spec seqGoldenSpec) {
	t.Helper()
	if len(spec.params) != len(c.Params) {
		t.Fatalf("layer has %d params, fixture %d", len(spec.params), len(c.Params))
	}
	for name, p := range spec.params {
		ft, ok := c.Params[name]
		if !ok {
			t.Fatalf("fixture lacks param %q", name)
		}
		data, shape := ft.Data, ft.Shape
		if spec.transposed[name] {
			data, shape = transpose2(data, shape), []int{shape[1], shape[0]}
		}
		if fmt.Sprint(shape) != fmt.Sprint(p.Shape()) {
			t.Fatalf("param %q: fixture shape %v, layer %v", name, shape, p.Shape())
		}
		if err := p.SetValues(data); err != nil {
			t.Fatal(err)
		}
	}
	// Differentiable inputs become Params of their own scope, so that the Machine
	// computes their gradients like any weight's.
	ins := graph.NewScope(dt)
	diff := map[string]*graph.Param{}
	for _, name := range spec.diff {
		ft := c.Inputs[name]
		p, err := ins.Param(name, graph.Weight, ft.Shape, graph.Zeros{})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.SetValues(ft.Data); err != nil {
			t.Fatal(err)
		}
		diff[name] = p
	}
	g := graph.New(dt, graph.Train)
	nodes := map[string]*gorgonia.Node{}
	feeds := graph.Feeds{}
	for _, name := range sortedKeys(c.Inputs) {
		ft := c.Inputs[name]
		var err error
		if p, ok := diff[name]; ok {
			nodes[name], err = g.Node(p)
		} else {
			nodes[name], err = g.Input(name, ft.Shape...)
			feeds[nodes[name]] = fromF64(dt, ft.Data, ft.Shape...)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	outs, err := spec.forward(g, nodes)
	if err != nil {
		t.Fatal(err)
	}
	var loss *gorgonia.Node
	var outNodes []*gorgonia.Node
	for _, name := range sortedKeys(c.Outputs) {
		ft := c.Outputs[name]
		out, ok := outs[name]
		if !ok {
			t.Fatalf("layer gives no output %q", name)
		}
		if fmt.Sprint([]int(out.Shape())) != fmt.Sprint(ft.Shape) {
			t.Fatalf("output %q shape %v, fixture %v", name, out.Shape(), ft.Shape)
		}
		r, _ := g.Input("r_"+name, ft.Shape...)
		feeds[r] = fromF64(dt, ft.R, ft.Shape...)
		prod, err := gorgonia.HadamardProd(out, r)
		if err != nil {
			t.Fatal(err)
		}
		term, err := gorgonia.Sum(prod)
		if err != nil {
			t.Fatal(err)
		}
		if loss == nil {
			loss = term
		} else if loss, err = gorgonia.Add(loss, term); err != nil {
			t.Fatal(err)
		}
		outNodes = append(outNodes, out)
	}
	m, err := graph.Compile(g, graph.Loss(loss), graph.Outputs(outNodes...))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Run(feeds); err != nil {
		t.Fatal(err)
	}
	rtol := seqGoldenTol(dt)
	for _, name := range sortedKeys(c.Outputs) {
		o, _ := m.Output(outs[name])
		compareSeqGolden(t, "output "+name, toF64(o.Data()), c.Outputs[name].Data, rtol)
	}
	for _, name := range sortedKeys(c.Grads) {
		want := c.Grads[name]
		var p *graph.Param
		if p = spec.params[name]; p == nil {
			p = diff[name]
		}
		if p == nil {
			t.Fatalf("fixture gradient %q has no param or input", name)
		}
		got := toF64(p.Grad().Data())
		if spec.transposed[name] {
			got = transpose2(got, []int{want.Shape[1], want.Shape[0]})
		}
		compareSeqGolden(t, "gradient of "+name, got, want.Data, rtol)
	}
}

func compareSeqGolden(t *testing.T, what string, got, want []float64, rtol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values, want %d", what, len(got), len(want))
		return
	}
	var scale, worst float64
	for _, w := range want {
		scale = math.Max(scale, math.Abs(w)/10)
	}
	for i := range want {
		err := math.Abs(got[i] - want[i])
		if d := math.Max(math.Abs(want[i]), scale); d > 0 {
			err /= d
		}
		if !(err <= rtol) {
			t.Errorf("%s: element %d = %.17g, want %.17g (relative error %.3g > %g)", what, i, got[i], want[i], err, rtol)
			return
		}
		worst = math.Max(worst, err)
	}
	t.Logf("%s: worst relative error %.2g", what, worst)
}

// transpose2 returns the transpose of a row-major (r, c) matrix.
func transpose2(data []float64, shape []int) []float64 {
	r, c := shape[0], shape[1]
	out := make([]float64, len(data))
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			out[j*r+i] = data[i*c+j]
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func TestRecurrentGolden(t *testing.T) {
	for _, kind := range []string{"rnn", "lstm", "gru"} {
		cases := loadSeqGolden(t, kind+".json")
		for _, dt := range dtypes {
			for _, c := range cases {
				t.Run(fmt.Sprintf("%v/%s", dt, c.Name), func(t *testing.T) {
					var cfg struct {
						In     int  `json:"in"`
						Hidden int  `json:"hidden"`
						Bias   bool `json:"bias"`
					}
					if err := json.Unmarshal(c.Config, &cfg); err != nil {
						t.Fatal(err)
					}
					s := graph.NewScope(dt).Sub(kind)
					spec := seqGoldenSpec{diff: []string{"x"}}
					for _, n := range []string{"h0", "c0"} {
						if _, ok := c.Inputs[n]; ok {
							spec.diff = append(spec.diff, n)
						}
					}
					var ps []*graph.Param
					switch kind {
					case "rnn":
						l, err := NewRNN(s, RNNConfig{In: cfg.In, Hidden: cfg.Hidden, NoBias: !cfg.Bias})
						if err != nil {
							t.Fatal(err)
						}
						ps = l.Params()
						spec.forward = func(g *graph.Graph, in map[string]*gorgonia.Node) (map[string]*gorgonia.Node, error) {
							out, h, err := l.Run(g, in["x"], in["h0"])
							return map[string]*gorgonia.Node{"out": out, "h": h}, err
						}
					case "gru":
						l, err := NewGRU(s, GRUConfig{In: cfg.In, Hidden: cfg.Hidden, NoBias: !cfg.Bias})
						if err != nil {
							t.Fatal(err)
						}
						ps = l.Params()
						spec.forward = func(g *graph.Graph, in map[string]*gorgonia.Node) (map[string]*gorgonia.Node, error) {
							out, h, err := l.Run(g, in["x"], in["h0"])
							return map[string]*gorgonia.Node{"out": out, "h": h}, err
						}
					case "lstm":
						l, err := NewLSTM(s, LSTMConfig{In: cfg.In, Hidden: cfg.Hidden, NoBias: !cfg.Bias})
						if err != nil {
							t.Fatal(err)
						}
						ps = l.Params()
						spec.forward = func(g *graph.Graph, in map[string]*gorgonia.Node) (map[string]*gorgonia.Node, error) {
							out, h, c, err := l.Run(g, in["x"], in["h0"], in["c0"])
							return map[string]*gorgonia.Node{"out": out, "h": h, "c": c}, err
						}
					}
					spec.params = paramsByLocalName(ps)
					runSeqGolden(t, dt, c, spec)
				})
			}
		}
	}
}

// paramsByLocalName maps each Param's name without its scope to the Param.
func paramsByLocalName(ps []*graph.Param) map[string]*graph.Param {
	m := map[string]*graph.Param{}
	for _, p := range ps {
		name := p.Name()
		for i := len(name) - 1; i >= 0; i-- {
			if name[i] == '/' {
				name = name[i+1:]
				break
			}
		}
		m[name] = p
	}
	return m
}
