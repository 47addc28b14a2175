package torch_test

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The models of testdata/interop/gen.py, built of gradflow layers with no name
// table: their PyTorch keys come from the layers (nn.TorchState).

const fixtures = "../../testdata/interop"

// lstmClassifier is a user's model: its sub-layers are found in its exported fields,
// as PyTorch's module attributes "lstm" and "fc".
type lstmClassifier struct {
	LSTM *nn.LSTM
	FC   *nn.Linear
}

func (m *lstmClassifier) Forward(g *graph.Graph, x *gorgonia.Node) (*gorgonia.Node, error) {
	_, h, _, err := m.LSTM.Run(g, x, nil, nil)
	if err != nil {
		return nil, err
	}
	return nn.Forward(m.FC, g, h)
}

func (m *lstmClassifier) Params() []*graph.Param {
	return append(m.LSTM.Params(), m.FC.Params()...)
}

// model builds the gradflow twin of a fixture's PyTorch module.
func model(t testing.TB, name string, dt graph.DType) nn.Layer {
	t.Helper()
	s := graph.NewScope(dt, graph.Seed(3))
	var m nn.Layer
	var err error
	switch name {
	case "mlp", "mlp64", "mlp_f16", "mlp_bf16":
		m, err = nn.NewSequential(s.Sub("mlp"),
			nn.LinearConfig{In: 4, Out: 8, Activation: nn.ReLU}, nn.LinearConfig{In: 8, Out: 3})
	case "cnn":
		m, err = nn.NewSequential(s.Sub("cnn"),
			nn.Conv2DConfig{In: 2, Out: 4, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}},
			nn.BatchNorm2DConfig{Features: 4}, nn.ReLU, nn.MaxPool2DConfig{Kernel: [2]int{2, 2}},
			nn.Conv2DConfig{In: 4, Out: 4, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}},
			nn.AvgPool2DConfig{Kernel: [2]int{3, 3}}, nn.FlattenConfig{}, nn.LinearConfig{In: 4, Out: 5})
	case "lstm":
		c := &lstmClassifier{}
		if c.LSTM, err = nn.NewLSTM(s.Sub("clf").Sub("lstm"), nn.LSTMConfig{In: 5, Hidden: 6}); err == nil {
			c.FC, err = nn.NewLinear(s.Sub("clf").Sub("fc"), nn.LinearConfig{In: 6, Out: 3})
		}
		m = c
	case "transformer":
		m, err = nn.NewTransformerEncoderLayer(s.Sub("enc"), nn.TransformerEncoderLayerConfig{Embed: 8, Heads: 2, FF: 16})
	default:
		t.Fatalf("no model %q", name)
	}
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// readIO returns a fixture's input and torch's output.
func readIO(t testing.TB, name string) (x, y graph.RawTensor) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtures, name+"_io.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	ts, _, err := graph.ReadRawTensors(b)
	if err != nil {
		t.Fatal(err)
	}
	return ts["x"], ts["y"]
}

// floats returns a raw F32 or F64 tensor's values.
func floats(t testing.TB, r graph.RawTensor) []float64 {
	t.Helper()
	out := make([]float64, len(r.Data)/sizeOf(r.DType))
	for i := range out {
		switch r.DType {
		case "F32":
			out[i] = float64(math.Float32frombits(le32(r.Data[4*i:])))
		case "F64":
			out[i] = math.Float64frombits(le64(r.Data[8*i:]))
		default:
			t.Fatalf("dtype %s", r.DType)
		}
	}
	return out
}

func sizeOf(dt string) int {
	n, _ := graph.RawDTypeSize(dt)
	return n
}

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}
func le64(b []byte) uint64 { return uint64(le32(b)) | uint64(le32(b[4:]))<<32 }

// forward runs m in an Eval graph on x and returns the output's values.
func forward(m nn.Layer, dt graph.DType, shape []int, x []float64) ([]float64, error) {
	g := graph.New(dt, graph.Eval)
	in, err := g.Input("x", shape...)
	if err != nil {
		return nil, err
	}
	y, err := nn.Forward(m, g, in)
	if err != nil {
		return nil, err
	}
	mach, err := graph.Compile(g, graph.ForwardOnly(), graph.Outputs(y))
	if err != nil {
		return nil, err
	}
	defer mach.Close()
	var xt *tensor.Dense
	if dt == graph.Float32 {
		v := make([]float32, len(x))
		for i := range x {
			v[i] = float32(x[i])
		}
		xt = tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))
	} else {
		xt = tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]float64(nil), x...)))
	}
	if err := mach.Run(graph.Feeds{in: xt}); err != nil {
		return nil, err
	}
	out, err := mach.Output(y)
	if err != nil {
		return nil, err
	}
	switch d := out.Data().(type) {
	case []float32:
		r := make([]float64, len(d))
		for i := range d {
			r[i] = float64(d[i])
		}
		return r, nil
	case []float64:
		return append([]float64(nil), d...), nil
	}
	return nil, errors.Errorf("output of type %T", out.Data())
}

// maxDiff returns the largest |got-want|, or +Inf if the lengths differ.
func maxDiff(got, want []float64) float64 {
	if len(got) != len(want) {
		return math.Inf(1)
	}
	d := 0.0
	for i := range got {
		d = math.Max(d, math.Abs(got[i]-want[i]))
	}
	return d
}
