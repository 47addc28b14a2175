package ops

import (
	"math"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Embedding returns the rows of table picked by ids: out[..., :] = table[ids[...], :].
// table has shape (V, D), a vocabulary of V vectors of width D. ids holds integer
// values in [0, V) stored in the table's dtype (3 is 3.0; float32 represents every
// integer up to 2^24 exactly), in any shape of rank >= 1, usually (N) or (N, T); the
// output has ids' shape followed by D: (N, D) or (N, T, D). It is PyTorch's
// F.embedding(ids, table).
//
// An id that is not an integer in [0, V) makes the run fail with an error naming its
// position. The backward scatter-adds dy into the rows of a zero (V, D) gradient, so
// an id repeated in the batch receives the sum of its rows' gradients; ids get no
// gradient. gorgonia's nearest op, ByIndices, selects along one axis by an Int node
// of indices; Embedding takes ids of any rank in the data's dtype, as
// SoftmaxCrossEntropy takes labels, so a batch feeds both the same way.
func Embedding(ids, table *gorgonia.Node) (*gorgonia.Node, error) {
	const name = "Embedding"
	if err := checkFloat(name, "ids", ids); err != nil {
		return nil, err
	}
	if err := checkFloat(name, "table", table); err != nil {
		return nil, err
	}
	if ids.Dtype() != table.Dtype() {
		return nil, errors.Errorf("ops: %s: ids have dtype %v, table %v, want the same", name, ids.Dtype(), table.Dtype())
	}
	if _, err := embShape(ids.Shape(), table.Shape()); err != nil {
		return nil, errors.Wrapf(err, "ops: %s", name)
	}
	return embDef.Apply(struct{}{}, ids, table)
}

// embShape returns the output shape of Embedding for ids and table shapes.
func embShape(ids, table tensor.Shape) (tensor.Shape, error) {
	if ids.Dims() < 1 {
		return nil, errors.Errorf("ids have shape %v, want at least 1-D", ids)
	}
	if table.Dims() != 2 {
		return nil, errors.Errorf("table has shape %v, want (V, D)", table)
	}
	out := append(ids.Clone(), table[1])
	return out, nil
}

var embDef = &Def[struct{}]{
	Name:   "Embedding",
	Arity:  2,
	NoGrad: []int{0},
	Shape: func(_ struct{}, in []tensor.Shape) (tensor.Shape, error) {
		return embShape(in[0], in[1])
	},
	Forward: func(_ struct{}, in []*tensor.Dense, out *tensor.Dense) error {
		ids, table := in[0], in[1]
		v, d := table.Shape()[0], table.Shape()[1]
		if table.Dtype() == tensor.Float32 {
			return gather(ids.Float32s(), table.Float32s(), out.Float32s(), v, d)
		}
		return gather(ids.Float64s(), table.Float64s(), out.Float64s(), v, d)
	},
	Backward: func(_ struct{}, in []*gorgonia.Node, _, dy *gorgonia.Node) ([]*gorgonia.Node, error) {
		dt, err := embGradDef.Apply(struct{}{}, in[0], in[1], dy)
		return []*gorgonia.Node{nil, dt}, err
	},
}

// embGradDef maps (ids, table, dy) to d table; table gives only the shape.
var embGradDef = &Def[struct{}]{
	Name:  "EmbeddingGrad",
	Arity: 3,
	Shape: func(_ struct{}, in []tensor.Shape) (tensor.Shape, error) {
		want, err := embShape(in[0], in[1])
		if err != nil {
			return nil, err
		}
		if !sameShape(in[2], want) {
			return nil, errors.Errorf("gradient has shape %v, want %v", in[2], want)
		}
		return in[1], nil
	},
	Forward: func(_ struct{}, in []*tensor.Dense, dt *tensor.Dense) error {
		ids, table, dy := in[0], in[1], in[2]
		v, d := table.Shape()[0], table.Shape()[1]
		if table.Dtype() == tensor.Float32 {
			return scatterAdd(ids.Float32s(), dy.Float32s(), dt.Float32s(), v, d)
		}
		return scatterAdd(ids.Float64s(), dy.Float64s(), dt.Float64s(), v, d)
	},
}

// rowIndex returns id (at flat position i of ids) as a row of a table of v rows.
func rowIndex(id float64, i, v int) (int, error) {
	if id != math.Trunc(id) || id < 0 || id >= float64(v) {
		return 0, errors.Errorf("id %v at position %d is not an integer in [0, %d)", id, i, v)
	}
	return int(id), nil
}

func gather[T float](ids, table, out []T, v, d int) error {
	for i, id := range ids {
		r, err := rowIndex(float64(id), i, v)
		if err != nil {
			return err
		}
		copy(out[i*d:(i+1)*d], table[r*d:(r+1)*d])
	}
	return nil
}

// scatterAdd sets dt to the sum of dy's rows at their ids' rows (dt is overwritten).
func scatterAdd[T float](ids, dy, dt []T, v, d int) error {
	clear(dt)
	for i, id := range ids {
		r, err := rowIndex(float64(id), i, v)
		if err != nil {
			return err
		}
		row := dt[r*d : (r+1)*d]
		for j, g := range dy[i*d : (i+1)*d] {
			row[j] += g
		}
	}
	return nil
}
