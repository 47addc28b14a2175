package nn

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"

	"github.com/gradflow/gradflow/graph"
)

// LayerSummary is one row of Summarize: a layer, the shape of its output for the
// traced input, and its parameters.
type LayerSummary struct {
	Depth     int    // 0 for the model's own layers, 1 inside a nested Sequential, ...
	Layer     string // as errors name it: `linear "mlp/0"`
	Type      string // the Go type, *nn.Linear
	Output    []int  // output shape
	Params    int    // elements of the layer's params
	Trainable int    // of which trainable
}

// ModelSummary is what Summarize found: a row per layer, the input and the totals.
type ModelSummary struct {
	Input, Output     []int
	DType             graph.DType
	Layers            []LayerSummary
	Params, Trainable int
}

// Summarize traces model for an input of the given shape, batch first, in an
// evaluation graph (nothing runs, no weight changes) and reports each layer's output
// shape and parameter count, as Keras's model.summary() does. The layers of a
// Sequential (also nested ones) get a row each; any other model is one row. A layer
// that rejects the shape makes the error name it.
//
//	s, err := nn.Summarize(model, graph.Float32, 1, 784)
//	fmt.Print(s)
func Summarize(model Layer, dt graph.DType, inputShape ...int) (*ModelSummary, error) {
	if isNil(model) {
		return nil, errors.New("nn: Summarize of a nil model")
	}
	if len(inputShape) == 0 {
		return nil, errors.New("nn: Summarize: no input shape (give it batch first, as (1, 784))")
	}
	g := graph.New(dt, graph.Eval)
	x, err := g.Input("x", inputShape...)
	if err != nil {
		return nil, errors.Wrap(err, "nn: Summarize")
	}
	ms := &ModelSummary{Input: append([]int(nil), inputShape...), DType: dt}
	y, err := ms.trace(model, g, x, 0)
	if err != nil {
		return nil, errors.Wrap(err, "nn: Summarize")
	}
	ms.Output = append([]int(nil), y.Shape()...)
	seen := map[*graph.Param]bool{}
	for _, p := range model.Params() {
		if p == nil || seen[p] {
			continue
		}
		seen[p] = true
		ms.Params += p.Size()
		if p.Trainable() {
			ms.Trainable += p.Size()
		}
	}
	return ms, nil
}

func (ms *ModelSummary) trace(l Layer, g *graph.Graph, x *gorgonia.Node, depth int) (*gorgonia.Node, error) {
	if seq, ok := l.(*Sequential); ok && seq != nil {
		for i, sub := range seq.Layers {
			y, err := ms.trace(sub, g, x, depth+1)
			if err != nil {
				return nil, errors.Wrapf(err, "%s: layer %d", label(seq), i)
			}
			x = y
		}
		return x, nil
	}
	y, err := Forward(l, g, x)
	if err != nil {
		return nil, err
	}
	row := LayerSummary{Depth: depth, Layer: label(l), Type: fmt.Sprintf("%T", l), Output: append([]int(nil), y.Shape()...)}
	for _, p := range l.Params() {
		if p == nil {
			continue
		}
		row.Params += p.Size()
		if p.Trainable() {
			row.Trainable += p.Size()
		}
	}
	ms.Layers = append(ms.Layers, row)
	return y, nil
}

// String formats the summary as a table:
//
//	layer                 type        output shape  params
//	linear "mlp/0"        *nn.Linear  (1, 256)      200,960
//	...
//	total 203,530 params (203,530 trainable, 0 not); input (1, 784) float32, output (1, 10)
func (ms *ModelSummary) String() string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "layer\ttype\toutput shape\tparams")
	for _, r := range ms.Layers {
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\n", strings.Repeat("  ", max(r.Depth-1, 0)), r.Layer, r.Type, shapeString(r.Output), groupDigits(r.Params))
	}
	tw.Flush()
	fmt.Fprintf(&b, "total %s params (%s trainable, %s not); input %s %v, output %s\n",
		groupDigits(ms.Params), groupDigits(ms.Trainable), groupDigits(ms.Params-ms.Trainable),
		shapeString(ms.Input), ms.DType, shapeString(ms.Output))
	return b.String()
}

func shapeString(s []int) string {
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = fmt.Sprint(v)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// groupDigits writes n with thousands separators, as Keras does: 200,960.
func groupDigits(n int) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}
