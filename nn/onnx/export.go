package onnx

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/pkg/errors"
)

// Opset is the ONNX operator set the exporter writes: 13, which ONNX Runtime, the
// pure-Go gonnx and the other common runtimes all accept (LayerNorm and GELU, added
// in 17 and 20, are written as their elementary ops).
const Opset = 13

// Config says what the exported model takes.
type Config struct {
	// Input is the shape of one example, without the batch axis: (In) for a Linear,
	// (C, H, W) for a Conv2D, (T, In) for a recurrent layer or a transformer. The
	// batch axis is dynamic, named "batch".
	Input []int
	// Name is the graph's name; "" means "gradflow".
	Name string
}

// UnsupportedError names a layer the exporter cannot write.
type UnsupportedError struct {
	Layer string // the layer, as errors name it: `maxpool2d "cnn/3"` or its Go type
	Why   string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("onnx: cannot export %s: %s", e.Layer, e.Why)
}

// Export writes model's evaluation graph (dropout off, BatchNorm on its running
// statistics) as an ONNX model at opset 13, with one input "input" of shape
// (batch, Config.Input...) and one output "output", in the dtype of the model's
// Params (float32 or float64). It knows the nn layers: Linear, Conv1D, Conv2D, the
// pools, BatchNorm, LayerNorm, RMSNorm, the activations, Dropout, Flatten, Reshape,
// Embedding, RNN, LSTM, GRU, MultiHeadAttention (self-attention),
// TransformerEncoderLayer, Residual and Sequential; any other layer is an
// *UnsupportedError naming it.
func Export(w io.Writer, model nn.Layer, cfg Config) error {
	b, err := Marshal(model, cfg)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return errors.Wrap(err, "onnx: write")
}

// ExportFile is Export to a file, written atomically.
func ExportFile(path string, model nn.Layer, cfg Config) error {
	b, err := Marshal(model, cfg)
	if err != nil {
		return err
	}
	return errors.Wrapf(graph.WriteFileAtomic(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	}), "onnx: %s", path)
}

// Marshal returns the ONNX model Export writes.
func Marshal(model nn.Layer, cfg Config) ([]byte, error) {
	if model == nil {
		return nil, errors.New("onnx: nil model")
	}
	if len(cfg.Input) == 0 {
		return nil, errors.New("onnx: Config.Input is empty; give the shape of one example")
	}
	for _, d := range cfg.Input {
		if d <= 0 {
			return nil, errors.Errorf("onnx: Config.Input %v has a dimension <= 0", cfg.Input)
		}
	}
	dt := graph.Float32
	for _, p := range model.Params() {
		dt = p.DType()
		break
	}
	e := &exporter{dtype: dtFloat, gdt: dt}
	if dt == graph.Float64 {
		e.dtype = dtDouble
	}
	name := cfg.Name
	if name == "" {
		name = "gradflow"
	}
	x := "input"
	out, err := e.layer(model, value{x, append([]int{-1}, cfg.Input...)})
	if err != nil {
		return nil, err
	}
	e.output(out.name)
	in := valueInfo{name: x, dtype: e.dtype, dims: append([]int{-1}, cfg.Input...), param: "batch", ranked: true}
	outShape := out.shape
	o := valueInfo{name: "output", dtype: e.dtype, dims: outShape, param: "batch", ranked: true}
	return encodeModel(name, Opset, e.nodes, e.inits, []valueInfo{in}, []valueInfo{o}), nil
}

// output names the graph's output "output": the node that makes it is renamed (an
// Identity node would do, but not every runtime has one), or, when the model is the
// identity (a lone Dropout), an Identity node copies the input.
func (e *exporter) output(name string) {
	for i := len(e.nodes) - 1; i >= 0; i-- {
		for j, o := range e.nodes[i].outputs {
			if o == name {
				e.nodes[i].outputs[j] = "output"
				for k := i + 1; k < len(e.nodes); k++ {
					for m, in := range e.nodes[k].inputs {
						if in == name {
							e.nodes[k].inputs[m] = "output"
						}
					}
				}
				return
			}
		}
	}
	e.add(node{op: "Identity", inputs: []string{name}, outputs: []string{"output"}})
}

// value is a tensor of the graph being written: its name and shape, -1 for the batch.
type value struct {
	name  string
	shape []int
}

type exporter struct {
	dtype int
	gdt   graph.DType
	nodes []node
	inits []initializer
	n     int
	// namedY: a recurrent node's outputs have taken the names "Y", "Y_h", "Y_c"
	namedY bool
}

func (e *exporter) fresh(op string) string {
	e.n++
	return fmt.Sprintf("%s_%d", strings.ToLower(op), e.n)
}

func (e *exporter) add(n node) {
	if n.name == "" {
		n.name = e.fresh("node_" + n.op)
	}
	e.nodes = append(e.nodes, n)
}

// op adds a node with one output and returns its name.
func (e *exporter) op(op string, inputs []string, attrs ...attr) string {
	out := e.fresh(op)
	e.add(node{op: op, inputs: inputs, outputs: []string{out}, attrs: attrs})
	return out
}

// constant adds a float initializer of the model's dtype.
func (e *exporter) constant(name string, dims []int, v []float64) string {
	name = e.fresh(name)
	e.inits = append(e.inits, initializer{name: name, dtype: e.dtype, dims: dims, raw: floatsRaw(e.dtype, v)})
	return name
}

// ints adds an int64 initializer (shapes, axes).
func (e *exporter) ints(v ...int) string {
	name := e.fresh("ints")
	e.inits = append(e.inits, initializer{name: name, dtype: dtInt64, dims: []int{len(v)}, raw: int64sRaw(v)})
	return name
}

// param adds a Param's value as an initializer, transposed if it is 2-D and t says so.
func (e *exporter) param(p *graph.Param, transpose bool) string {
	v := values(p)
	dims := p.Shape()
	if transpose {
		r, c := dims[0], dims[1]
		tv := make([]float64, len(v))
		for i := 0; i < r; i++ {
			for j := 0; j < c; j++ {
				tv[j*r+i] = v[i*c+j]
			}
		}
		v, dims = tv, []int{c, r}
	}
	name := strings.NewReplacer("/", ".").Replace(p.Name())
	if transpose {
		name += ".T"
	}
	e.inits = append(e.inits, initializer{name: name, dtype: e.dtype, dims: dims, raw: floatsRaw(e.dtype, v)})
	return name
}

func values(p *graph.Param) []float64 {
	if d := p.Float32s(); d != nil {
		v := make([]float64, len(d))
		for i := range d {
			v[i] = float64(d[i])
		}
		return v
	}
	return append([]float64(nil), p.Float64s()...)
}

// label names a layer in an error.
func label(l nn.Layer) string {
	if s, ok := l.(fmt.Stringer); ok {
		return fmt.Sprintf("%s (%T)", s.String(), l)
	}
	return fmt.Sprintf("layer %T", l)
}

// activation writes an activation by its name (nn's activations are values named
// "relu", "leaky_relu(0.2)", ...).
func (e *exporter) activation(a nn.Activation, x value) (value, error) {
	name := fmt.Sprint(a)
	in := []string{x.name}
	switch {
	case name == "relu":
		return value{e.op("Relu", in), x.shape}, nil
	case name == "sigmoid":
		return value{e.op("Sigmoid", in), x.shape}, nil
	case name == "tanh":
		return value{e.op("Tanh", in), x.shape}, nil
	case name == "softmax":
		return value{e.op("Softmax", in, intAttr("axis", -1)), x.shape}, nil
	case name == "log_softmax":
		return value{e.op("LogSoftmax", in, intAttr("axis", -1)), x.shape}, nil
	case name == "silu":
		return value{e.op("Mul", []string{x.name, e.op("Sigmoid", in)}), x.shape}, nil
	case name == "gelu":
		return value{e.gelu(x.name), x.shape}, nil
	case name == "gelu_tanh":
		// 0.5·x·(1 + tanh(sqrt(2/π)·(x + 0.044715·x³)))
		x3 := e.op("Mul", []string{x.name, e.op("Mul", []string{x.name, x.name})})
		inner := e.op("Add", []string{x.name, e.op("Mul", []string{x3, e.constant("c", nil, []float64{0.044715})})})
		t := e.op("Tanh", []string{e.op("Mul", []string{inner, e.constant("c", nil, []float64{0.7978845608028654})})})
		one := e.op("Add", []string{t, e.constant("one", nil, []float64{1})})
		return value{e.op("Mul", []string{e.op("Mul", []string{x.name, one}), e.constant("half", nil, []float64{0.5})}), x.shape}, nil
	case strings.HasPrefix(name, "leaky_relu(") && strings.HasSuffix(name, ")"):
		alpha, err := strconv.ParseFloat(name[len("leaky_relu("):len(name)-1], 64)
		if err == nil {
			return value{e.op("LeakyRelu", in, floatAttr("alpha", alpha)), x.shape}, nil
		}
	}
	return value{}, &UnsupportedError{Layer: label(a), Why: "an activation ONNX export does not know"}
}

// gelu is the exact GELU, x·0.5·(1 + erf(x/√2)).
func (e *exporter) gelu(x string) string {
	erf := e.op("Erf", []string{e.op("Mul", []string{x, e.constant("rsqrt2", nil, []float64{0.7071067811865476})})})
	one := e.op("Add", []string{erf, e.constant("one", nil, []float64{1})})
	return e.op("Mul", []string{e.op("Mul", []string{x, one}), e.constant("half", nil, []float64{0.5})})
}
