package text

import (
	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// Side is an end of a sequence.
type Side int

// The ends of a sequence.
const (
	Back  Side = iota // after the last token
	Front             // before the first token
)

// PadOptions says where PadTruncate adds padding and where it cuts. The zero value
// pads at the back and keeps the beginning of long sequences (cuts at the back).
type PadOptions struct {
	Pad      Side // where PadID fills a short sequence
	Truncate Side // which end of a long sequence is cut off
}

// PadTruncate returns a new sequence of exactly length ids: ids cut at opt.Truncate
// when longer, padded with PadID at opt.Pad when shorter.
func PadTruncate(ids []int, length int, opt PadOptions) []int {
	if len(ids) > length {
		if opt.Truncate == Front {
			return append([]int(nil), ids[len(ids)-length:]...)
		}
		return append([]int(nil), ids[:length]...)
	}
	out := make([]int, length) // PadID is 0
	if opt.Pad == Front {
		copy(out[length-len(ids):], ids)
	} else {
		copy(out, ids)
	}
	return out
}

// Matrix returns the sequences padded and truncated to length as a (len(seqs),
// length) tensor of dtype dt (Float32 or Float64) holding the ids as numbers, the input
// an Embedding layer takes.
func Matrix(seqs [][]int, length int, opt PadOptions, dt tensor.Dtype) (*tensor.Dense, error) {
	if len(seqs) == 0 {
		return nil, errors.New("text: matrix: no sequences")
	}
	if length < 1 {
		return nil, errors.Errorf("text: matrix: length = %d, want >= 1", length)
	}
	if dt != tensor.Float32 && dt != tensor.Float64 {
		return nil, errors.Errorf("text: matrix: dtype %v, want float32 or float64", dt)
	}
	m := tensor.New(tensor.WithShape(len(seqs), length), tensor.Of(dt))
	for i, s := range seqs {
		row := PadTruncate(s, length, opt)
		switch d := m.Data().(type) {
		case []float32:
			for j, id := range row {
				d[i*length+j] = float32(id)
			}
		case []float64:
			for j, id := range row {
				d[i*length+j] = float64(id)
			}
		}
	}
	return m, nil
}
