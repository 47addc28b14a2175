package onnx

import (
	"math"
	"strings"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/pkg/errors"
)

// layer writes l applied to x and returns its output.
func (e *exporter) layer(l nn.Layer, x value) (value, error) {
	switch l := l.(type) {
	case *nn.Sequential:
		for i, sub := range l.Layers {
			y, err := e.layer(sub, x)
			if err != nil {
				return value{}, errors.Wrapf(err, "onnx: %s: layer %d", l, i)
			}
			x = y
		}
		return x, nil
	case *nn.Linear:
		return e.linear(l, x)
	case *nn.Conv2D:
		return e.conv(x, l.Weight, l.Bias, l.Out, l.Kernel[:], l.Stride[:], l.Padding[:], l.Dilation[:])
	case *nn.Conv1D:
		return e.conv(x, l.Weight, l.Bias, l.Out, []int{l.Kernel}, []int{l.Stride}, []int{l.Padding}, []int{l.Dilation})
	case *nn.Pool2D:
		return e.pool(l, x)
	case *nn.GlobalAvgPool2D:
		y := e.op("GlobalAveragePool", []string{x.name})
		if l.KeepDims {
			return value{y, []int{x.shape[0], x.shape[1], 1, 1}}, nil
		}
		return value{e.op("Flatten", []string{y}, intAttr("axis", 1)), x.shape[:2]}, nil
	case *nn.BatchNorm:
		in := []string{x.name}
		for _, p := range []*graph.Param{l.Weight, l.Bias, l.RunningMean, l.RunningVar} {
			in = append(in, e.param(p, false))
		}
		return value{e.op("BatchNormalization", in, floatAttr("epsilon", l.Eps)), x.shape}, nil
	case *nn.LayerNorm:
		return e.norm(x, l.Weight, l.Bias, l.Eps, true), nil
	case *nn.RMSNorm:
		return e.norm(x, l.Weight, nil, l.Eps, false), nil
	case *nn.Dropout:
		return x, nil // the evaluation graph: the identity
	case *nn.Flatten:
		n := 1
		for _, d := range x.shape[1:] {
			n *= d
		}
		return value{e.op("Flatten", []string{x.name}, intAttr("axis", 1)), []int{x.shape[0], n}}, nil
	case *nn.Reshape:
		shape := append([]int{0}, l.Shape...)
		out := append([]int{x.shape[0]}, l.Shape...)
		n, known := 1, 1
		for _, d := range x.shape[1:] {
			n *= d
		}
		for _, d := range l.Shape {
			if d > 0 {
				known *= d
			}
		}
		for i, d := range out[1:] {
			if d < 0 {
				out[i+1] = n / known
			}
		}
		return value{e.op("Reshape", []string{x.name, e.ints(shape...)}), out}, nil
	case *nn.Embedding:
		ids := e.op("Cast", []string{x.name}, intAttr("to", dtInt64))
		return value{e.op("Gather", []string{e.param(l.Weight, false), ids}, intAttr("axis", 0)), append(append([]int{}, x.shape...), l.Dim)}, nil
	case *nn.RNN:
		return e.recurrent("RNN", x, l.WeightIH, l.WeightHH, l.BiasIH, l.BiasHH, l.Hidden, nil)
	case *nn.LSTM:
		// PyTorch's gates i, f, g, o; ONNX's i, o, f, c
		return e.recurrent("LSTM", x, l.WeightIH, l.WeightHH, l.BiasIH, l.BiasHH, l.Hidden, []int{0, 3, 1, 2})
	case *nn.GRU:
		// PyTorch's gates r, z, n; ONNX's z, r, h
		return e.recurrent("GRU", x, l.WeightIH, l.WeightHH, l.BiasIH, l.BiasHH, l.Hidden, []int{1, 0, 2})
	case *nn.MultiHeadAttention:
		return e.attention(l, x)
	case *nn.TransformerEncoderLayer:
		return e.transformer(l, x)
	case *nn.Residual:
		f, err := e.layer(l.Inner, x)
		if err != nil {
			return value{}, errors.Wrapf(err, "onnx: %s: inner", l)
		}
		skip := x
		if l.Projection != nil {
			if skip, err = e.layer(l.Projection, x); err != nil {
				return value{}, errors.Wrapf(err, "onnx: %s: projection", l)
			}
		}
		return value{e.op("Add", []string{f.name, skip.name}), f.shape}, nil
	case nn.Activation:
		return e.activation(l, x)
	}
	return value{}, &UnsupportedError{Layer: label(l), Why: "not a layer the ONNX exporter knows (see Export's list)"}
}

// linear writes x·W + b (MatMul and Add, any rank) and the Linear's activation.
func (e *exporter) linear(l *nn.Linear, x value) (value, error) {
	y := e.op("MatMul", []string{x.name, e.param(l.Weight, false)})
	if l.Bias != nil {
		y = e.op("Add", []string{y, e.param(l.Bias, false)})
	}
	out := value{y, append(append([]int{}, x.shape[:len(x.shape)-1]...), l.Out)}
	if l.Activation != nil {
		return e.activation(l.Activation, out)
	}
	return out, nil
}

func (e *exporter) conv(x value, w, b *graph.Param, out int, kernel, stride, pad, dil []int) (value, error) {
	in := []string{x.name, e.param(w, false)}
	if b != nil {
		in = append(in, e.param(b, false))
	}
	pads := append(append([]int{}, pad...), pad...)
	y := e.op("Conv", in, intsAttr("kernel_shape", kernel...), intsAttr("strides", stride...),
		intsAttr("pads", pads...), intsAttr("dilations", dil...))
	shape := []int{x.shape[0], out}
	for i := range kernel {
		shape = append(shape, (x.shape[2+i]+2*pad[i]-dil[i]*(kernel[i]-1)-1)/stride[i]+1)
	}
	return value{y, shape}, nil
}

func (e *exporter) pool(l *nn.Pool2D, x value) (value, error) {
	stride := l.Stride
	for i := range stride {
		if stride[i] == 0 {
			stride[i] = l.Kernel[i]
		}
	}
	attrs := []attr{intsAttr("kernel_shape", l.Kernel[:]...), intsAttr("strides", stride[:]...),
		intsAttr("pads", l.Padding[0], l.Padding[1], l.Padding[0], l.Padding[1])}
	op := "AveragePool"
	if strings.HasPrefix(l.String(), "maxpool") {
		op = "MaxPool"
	} else if !l.ExcludePad {
		attrs = append(attrs, intAttr("count_include_pad", 1))
	}
	shape := []int{x.shape[0], x.shape[1]}
	for i := 0; i < 2; i++ {
		shape = append(shape, (x.shape[2+i]+2*l.Padding[i]-l.Kernel[i])/stride[i]+1)
	}
	return value{e.op(op, []string{x.name}, attrs...), shape}, nil
}

// norm writes LayerNorm (center) or RMSNorm over the last axis from elementary ops:
// opset 13 has no LayerNormalization.
func (e *exporter) norm(x value, w, b *graph.Param, eps float64, center bool) value {
	y := x.name
	if center {
		mean := e.op("ReduceMean", []string{y}, intsAttr("axes", -1), intAttr("keepdims", 1))
		y = e.op("Sub", []string{y, mean})
	}
	ms := e.op("ReduceMean", []string{e.op("Mul", []string{y, y})}, intsAttr("axes", -1), intAttr("keepdims", 1))
	rms := e.op("Sqrt", []string{e.op("Add", []string{ms, e.constant("eps", nil, []float64{eps})})})
	y = e.op("Div", []string{y, rms})
	if w != nil {
		y = e.op("Mul", []string{y, e.param(w, false)})
	}
	if b != nil {
		y = e.op("Add", []string{y, e.param(b, false)})
	}
	return value{y, x.shape}
}

// recurrent writes a batch-first single-layer RNN, LSTM or GRU: ONNX's ops take
// (T, B, In) and stack gates in their own order, perm[k] being the PyTorch gate of
// ONNX gate k.
func (e *exporter) recurrent(op string, x value, wih, whh, bih, bhh *graph.Param, hidden int, perm []int) (value, error) {
	if len(x.shape) != 3 {
		return value{}, errors.Errorf("onnx: %s: input shape %v, want (batch, T, In)", op, x.shape)
	}
	reorder := func(p *graph.Param) ([]float64, []int) {
		v := values(p)
		dims := p.Shape()
		if perm == nil {
			return v, dims
		}
		rows := len(v) / (len(perm) * hidden) // elements per gate row block
		out := make([]float64, 0, len(v))
		for _, g := range perm {
			out = append(out, v[g*hidden*rows:(g+1)*hidden*rows]...)
		}
		return out, dims
	}
	w, wd := reorder(wih)
	r, rd := reorder(whh)
	gates := wd[0]
	bias := make([]float64, 2*gates)
	if bih != nil {
		bi, _ := reorder(bih)
		bh, _ := reorder(bhh)
		copy(bias, bi)
		copy(bias[gates:], bh)
	}
	xt := e.op("Transpose", []string{x.name}, intsAttr("perm", 1, 0, 2))
	in := []string{xt, e.constant("W", append([]int{1}, wd...), w), e.constant("R", append([]int{1}, rd...), r),
		e.constant("B", []int{1, 2 * gates}, bias)}
	attrs := []attr{intAttr("hidden_size", hidden)}
	if op == "GRU" {
		attrs = append(attrs, intAttr("linear_before_reset", 1)) // PyTorch's formula
	}
	// Every output is named, and the first recurrent node's outputs are named "Y",
	// "Y_h" and "Y_c" as in the operator's schema: gonnx v1.1.0 picks a recurrent
	// node's outputs by their names in the graph, so that only those names work there.
	y := e.fresh(op)
	if !e.namedY {
		y, e.namedY = "Y", true
	}
	outs := []string{y, y + "_h"}
	if op == "LSTM" {
		outs = append(outs, y+"_c")
	}
	e.add(node{op: op, inputs: in, outputs: outs, attrs: attrs})
	y = e.op("Squeeze", []string{y, e.ints(1)}) // (T, 1, B, H) -> (T, B, H)
	y = e.op("Transpose", []string{y}, intsAttr("perm", 1, 0, 2))
	return value{y, []int{x.shape[0], x.shape[1], hidden}}, nil
}

// attention writes self-attention on x (B, T, E).
func (e *exporter) attention(a *nn.MultiHeadAttention, x value) (value, error) {
	if len(x.shape) != 3 || x.shape[2] != a.Embed {
		return value{}, errors.Errorf("onnx: %s: input shape %v, want (batch, T, %d)", a, x.shape, a.Embed)
	}
	E, H, T := a.Embed, a.Heads, x.shape[1]
	D := E / H
	w := values(a.InProjWeight) // (3E, E): rows of W_q, W_k, W_v
	var b []float64
	if a.InProjBias != nil {
		b = values(a.InProjBias)
	}
	proj := func(k int, perm []int) string {
		wt := make([]float64, E*E) // W_kᵀ, (E, E)
		for i := 0; i < E; i++ {
			for j := 0; j < E; j++ {
				wt[j*E+i] = w[(k*E+i)*E+j]
			}
		}
		y := e.op("MatMul", []string{x.name, e.constant("Wt", []int{E, E}, wt)})
		if b != nil {
			y = e.op("Add", []string{y, e.constant("b", []int{E}, b[k*E:(k+1)*E])})
		}
		y = e.op("Reshape", []string{y, e.ints(0, 0, H, D)})
		return e.op("Transpose", []string{y}, intsAttr("perm", perm...))
	}
	q := proj(0, []int{0, 2, 1, 3}) // (B, H, T, D)
	k := proj(1, []int{0, 2, 3, 1}) // (B, H, D, T)
	v := proj(2, []int{0, 2, 1, 3})
	s := e.op("Mul", []string{e.op("MatMul", []string{q, k}), e.constant("scale", nil, []float64{1 / math.Sqrt(float64(D))})})
	if a.Causal {
		mask := make([]float64, T*T)
		for i := 0; i < T; i++ {
			for j := i + 1; j < T; j++ {
				mask[i*T+j] = math.Inf(-1)
			}
		}
		s = e.op("Add", []string{s, e.constant("causal", []int{T, T}, mask)})
	}
	p := e.op("Softmax", []string{s}, intAttr("axis", -1))
	o := e.op("Transpose", []string{e.op("MatMul", []string{p, v})}, intsAttr("perm", 0, 2, 1, 3))
	o = e.op("Reshape", []string{o, e.ints(0, 0, E)})
	o = e.op("MatMul", []string{o, e.param(a.OutProjWeight, true)})
	if a.OutProjBias != nil {
		o = e.op("Add", []string{o, e.param(a.OutProjBias, false)})
	}
	return value{o, x.shape}, nil
}

// transformer writes the pre-norm encoder block.
func (e *exporter) transformer(l *nn.TransformerEncoderLayer, x value) (value, error) {
	n1, err := e.layer(l.Norm1, x)
	if err != nil {
		return value{}, err
	}
	a, err := e.attention(l.SelfAttn, n1)
	if err != nil {
		return value{}, errors.Wrapf(err, "onnx: %s", l)
	}
	h := value{e.op("Add", []string{x.name, a.name}), x.shape}
	n2, _ := e.layer(l.Norm2, h)
	f, err := e.linear(l.Linear1, n2)
	if err != nil {
		return value{}, err
	}
	f = value{e.gelu(f.name), f.shape}
	if f, err = e.linear(l.Linear2, f); err != nil {
		return value{}, err
	}
	return value{e.op("Add", []string{h.name, f.name}), x.shape}, nil
}
