package data

import (
	"math/rand/v2"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// NewBatch returns a pair of buffers that fit Batch for n examples: x of shape
// (n, feature...) and t of shape (n) for class labels or (n, target...) for regression,
// both of the dataset's dtype. It returns nil buffers if n < 1 (Batch then reports them).
func (d *Dataset) NewBatch(n int) (x, t *tensor.Dense) {
	if n < 1 {
		return nil, nil
	}
	return d.newBuffers(n, false)
}

// newBuffers allocates the buffers for n examples; for a Subset (subset true) the targets
// of a classification dataset are not needed since the labels are copied as ints.
func (d *Dataset) newBuffers(n int, subset bool) (x, t *tensor.Dense) {
	dt := d.x.Dtype()
	x = tensor.New(tensor.Of(dt), tensor.WithShape(append([]int{n}, d.x.Shape()[1:]...)...))
	switch {
	case d.y != nil:
		t = tensor.New(tensor.Of(dt), tensor.WithShape(append([]int{n}, d.y.Shape()[1:]...)...))
	case !subset:
		t = tensor.New(tensor.Of(dt), tensor.WithShape(n))
	}
	return x, t
}

// Batch copies the examples at idx into x, which must have shape (len(idx), feature...),
// and their targets into t: for classification t has shape (len(idx)) and receives the
// labels as numbers of the dataset's dtype (what a cross-entropy loss over class indices
// takes); for regression t has shape (len(idx), target...). Both have the dataset's dtype.
//
// The buffers come from the caller (see NewBatch) so that a training loop allocates
// nothing per step; Batch itself does not allocate. For a classification dataset t may be
// nil, and then only x is filled. A partial last batch needs buffers of its own size.
func (d *Dataset) Batch(idx []int, x, t *tensor.Dense) error {
	if len(idx) == 0 {
		return errors.New("data: batch: no indices, want at least 1")
	}
	if err := d.checkIndices(idx); err != nil {
		return errors.Wrap(err, "data: batch")
	}
	if err := d.checkBuffer("x", x, len(idx), d.x.Shape()[1:]); err != nil {
		return errors.Wrap(err, "data: batch")
	}
	var tshape []int // a label per example
	if d.y != nil {
		tshape = d.y.Shape()[1:]
	}
	if t != nil || d.y != nil {
		if err := d.checkBuffer("t", t, len(idx), tshape); err != nil {
			return errors.Wrap(err, "data: batch")
		}
	}

	if d.x.Dtype() == tensor.Float32 {
		gather(x.Float32s(), d.x.Float32s(), idx, d.featSize)
		switch {
		case d.y != nil:
			gather(t.Float32s(), d.y.Float32s(), idx, d.targSize)
		case t != nil:
			gatherLabels(t.Float32s(), d.labels, idx)
		}
		return nil
	}
	gather(x.Float64s(), d.x.Float64s(), idx, d.featSize)
	switch {
	case d.y != nil:
		gather(t.Float64s(), d.y.Float64s(), idx, d.targSize)
	case t != nil:
		gatherLabels(t.Float64s(), d.labels, idx)
	}
	return nil
}

func gather[T float32 | float64](dst, src []T, idx []int, size int) {
	for i, j := range idx {
		copy(dst[i*size:(i+1)*size], src[j*size:(j+1)*size])
	}
}

func gatherLabels[T float32 | float64](dst []T, labels []int, idx []int) {
	for i, j := range idx {
		dst[i] = T(labels[j])
	}
}

func (d *Dataset) checkIndices(idx []int) error {
	for i, j := range idx {
		if j < 0 || j >= d.n {
			return errors.Errorf("index[%d] = %d, want in [0, %d)", i, j, d.n)
		}
	}
	return nil
}

// checkBuffer checks that buf has shape (n, rest...), the dataset's dtype and its own
// contiguous data. It does not allocate unless it fails.
func (d *Dataset) checkBuffer(name string, buf *tensor.Dense, n int, rest []int) error {
	if buf == nil {
		return errors.Errorf("%s buffer is nil", name)
	}
	if buf.Dtype() != d.x.Dtype() {
		return errors.Errorf("%s buffer dtype %v, want %v", name, buf.Dtype(), d.x.Dtype())
	}
	shape := buf.Shape()
	ok := len(shape) == 1+len(rest) && shape[0] == n
	for i := 0; ok && i < len(rest); i++ {
		ok = shape[1+i] == rest[i]
	}
	if !ok {
		return errors.Errorf("%s buffer shape %v, want %v", name, shape, append([]int{n}, rest...))
	}
	if buf.IsMaterializable() {
		return errors.Errorf("%s buffer is a view or transposed, want a tensor with its own data", name)
	}
	return nil
}

// Batches returns the index batches of one epoch over n examples, batchSize each. With a
// generator rng (seeded by the caller) the order is a permutation drawn from it; with a nil
// rng it is 0, 1, ..., n-1. The last batch may be partial; it is kept unless dropLast.
// The batches share one backing slice.
func Batches(n, batchSize int, rng *rand.Rand, dropLast bool) ([][]int, error) {
	if n < 1 {
		return nil, errors.Errorf("data: batches: n = %d, want >= 1", n)
	}
	if batchSize < 1 {
		return nil, errors.Errorf("data: batches: batch size = %d, want >= 1", batchSize)
	}
	if dropLast && n < batchSize {
		return nil, errors.Errorf("data: batches: n = %d < batch size %d with dropLast leaves no batch", n, batchSize)
	}
	var order []int
	if rng != nil {
		order = rng.Perm(n)
	} else {
		order = make([]int, n)
		for i := range order {
			order[i] = i
		}
	}
	count := (n + batchSize - 1) / batchSize
	if dropLast {
		count = n / batchSize
	}
	batches := make([][]int, count)
	for i := range batches {
		lo, hi := i*batchSize, min((i+1)*batchSize, n)
		batches[i] = order[lo:hi:hi] // capped, so appending to one batch cannot overwrite the next
	}
	return batches, nil
}
