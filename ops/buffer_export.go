package ops

import "gorgonia.org/tensor"

// Buffer is the memory one op node writes its output into, kept from one run of the
// machine to the next, for ops written outside this package (nn's convolution, pooling,
// recurrent and attention ops use it) and for Defs (ops.Mean, ops.Reshape). Give each node its own: a Buffer made with new(ops.Buffer) when the
// node is applied (SymDiff makes new ones for the gradient nodes). The rules are
// outBuf's: a node's value is valid until the next run; each run gets a fresh
// *tensor.Dense over the same backing array; the op's kernel must overwrite all of it
// (it holds the previous run's values, not zeros). A nil *Buffer allocates every time.
type Buffer struct{ b outBuf }

// Tensor returns a tensor of dtype dt and the given shape backed by the buffer's
// memory, made or remade when the dtype or size changed.
func (b *Buffer) Tensor(dt tensor.Dtype, shape tensor.Shape) *tensor.Dense {
	if b == nil {
		return (*outBuf)(nil).newOut(dt, shape)
	}
	return b.b.newOut(dt, shape)
}
