package ops

import "gorgonia.org/tensor"

// outBuf is the memory an op node writes its output into, kept from one run to the
// next: gorgonia's TapeMachine is reset before every run, which drops every
// intermediate value, so without it each run allocates (and the Go runtime zeroes)
// every output afresh: 3.2 MiB a step for an MLP 784-512-256-10 at batch 128 in
// float32, most of it Linear's weight gradients.
//
// Each node has its own outBuf (ops are built with a new one per application; two
// applications that gorgonia merges into one node share the first one's), so two
// nodes never share memory. The price is the rule every gorgonia value under a reset
// tape already half follows: a node's value is valid until the next run of its
// machine. graph.Machine copies what it hands out (outputs into their buffers,
// gradients into the Params'), so its users never see the reuse; a caller that runs
// its own machine and keeps a value from gorgonia.Read across runs must copy it.
//
// Only the backing array is kept: each run wraps it in a new *tensor.Dense, so a
// consumer that changes a value's shape or strides in place (gorgonia transposes
// operands in place and back) cannot affect the next run. Every kernel writing into
// it overwrites all of it (GEMMs with beta 0 do not read C).
type outBuf struct {
	data any // []float32 or []float64
}

// newOut returns a tensor of dtype dt and the given shape backed by b's memory, made
// or remade when the dtype or size changed. A nil b allocates each time.
func (b *outBuf) newOut(dt tensor.Dtype, shape tensor.Shape) *tensor.Dense {
	n := shape.TotalSize()
	if b == nil {
		return tensor.New(tensor.WithShape(shape.Clone()...), tensor.Of(dt))
	}
	switch dt {
	case tensor.Float32:
		d, ok := b.data.([]float32)
		if !ok || len(d) != n {
			d = make([]float32, n)
			b.data = d
		}
		return tensor.New(tensor.WithShape(shape.Clone()...), tensor.WithBacking(d))
	case tensor.Float64:
		d, ok := b.data.([]float64)
		if !ok || len(d) != n {
			d = make([]float64, n)
			b.data = d
		}
		return tensor.New(tensor.WithShape(shape.Clone()...), tensor.WithBacking(d))
	}
	return tensor.New(tensor.WithShape(shape.Clone()...), tensor.Of(dt))
}
