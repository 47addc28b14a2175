package data

import (
	"math"
	"math/rand/v2"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// Dataset is an in-memory set of examples: features X of shape (N, d1, d2, ...) and either
// integer class labels (classification) or a dense target tensor Y of shape (N, ...)
// (regression).
//
// A Dataset holds its tensors by reference and never changes them; the caller must not
// change them either while the Dataset is in use. Subset and Split copy.
type Dataset struct {
	x       *tensor.Dense
	labels  []int         // classification only
	classes int           // 0 for regression
	y       *tensor.Dense // regression only

	classNames []string // optional, set by loaders that know them (ReadCSV)

	n        int // number of examples
	featSize int // elements per example in x
	targSize int // elements per example in y (1 for labels)
}

// New returns a classification dataset. x has shape (N, ...) and dtype Float32 or
// Float64, N >= 1; labels holds N class indices in [0, classes).
func New(x *tensor.Dense, labels []int, classes int) (*Dataset, error) {
	x, n, featSize, err := checkTensor("x", x)
	if err != nil {
		return nil, errors.Wrap(err, "data: new")
	}
	if classes < 1 {
		return nil, errors.Errorf("data: new: classes = %d, want >= 1", classes)
	}
	if len(labels) != n {
		return nil, errors.Errorf("data: new: %d labels for %d examples (x shape %v), want %d",
			len(labels), n, x.Shape(), n)
	}
	for i, l := range labels {
		if l < 0 || l >= classes {
			return nil, errors.Errorf("data: new: label[%d] = %d, want in [0, %d)", i, l, classes)
		}
	}
	return &Dataset{x: x, labels: labels, classes: classes, n: n, featSize: featSize, targSize: 1}, nil
}

// NewRegression returns a regression dataset. x has shape (N, ...) and y shape (N, ...),
// the same N >= 1 and the same dtype, Float32 or Float64.
func NewRegression(x, y *tensor.Dense) (*Dataset, error) {
	x, n, featSize, err := checkTensor("x", x)
	if err != nil {
		return nil, errors.Wrap(err, "data: new regression")
	}
	y, ny, targSize, err := checkTensor("y", y)
	if err != nil {
		return nil, errors.Wrap(err, "data: new regression")
	}
	if ny != n {
		return nil, errors.Errorf("data: new regression: x shape %v and y shape %v differ in N (%d != %d)",
			x.Shape(), y.Shape(), n, ny)
	}
	if x.Dtype() != y.Dtype() {
		return nil, errors.Errorf("data: new regression: x dtype %v, y dtype %v, want the same", x.Dtype(), y.Dtype())
	}
	return &Dataset{x: x, y: y, n: n, featSize: featSize, targSize: targSize}, nil
}

// checkTensor validates a tensor of examples and returns it contiguous (a view or a
// transposed tensor is copied, so the backing slice can be read directly), its number of
// examples and the element count of one example.
func checkTensor(name string, t *tensor.Dense) (*tensor.Dense, int, int, error) {
	if t == nil {
		return nil, 0, 0, errors.Errorf("%s is nil", name)
	}
	if err := checkDtype(t.Dtype()); err != nil {
		return nil, 0, 0, errors.Wrapf(err, "%s", name)
	}
	shape := t.Shape()
	if len(shape) == 0 {
		return nil, 0, 0, errors.Errorf("%s is a scalar, want shape (N, ...)", name)
	}
	if shape[0] < 1 {
		return nil, 0, 0, errors.Errorf("%s shape %v: N = %d, want >= 1", name, shape, shape[0])
	}
	size := 1
	for _, s := range shape[1:] {
		size *= s
	}
	if t.IsMaterializable() {
		t = t.Materialize().(*tensor.Dense)
	}
	return t, shape[0], size, nil
}

func checkDtype(dt tensor.Dtype) error {
	if dt != tensor.Float32 && dt != tensor.Float64 {
		return errors.Errorf("dtype %v, want float32 or float64", dt)
	}
	return nil
}

// Len returns the number of examples N.
func (d *Dataset) Len() int { return d.n }

// Classes returns the number of classes, or 0 for a regression dataset.
func (d *Dataset) Classes() int { return d.classes }

// DType returns the dtype of the features (and of the targets).
func (d *Dataset) DType() tensor.Dtype { return d.x.Dtype() }

// FeatureShape returns the shape of one example: X's shape without N.
func (d *Dataset) FeatureShape() []int { return append([]int{}, d.x.Shape()[1:]...) }

// TargetShape returns the shape of one target: empty for class labels (one label per
// example), Y's shape without N for regression.
func (d *Dataset) TargetShape() []int {
	if d.y == nil {
		return []int{}
	}
	return append([]int{}, d.y.Shape()[1:]...)
}

// X returns the features, shape (N, ...). It is the Dataset's own tensor, not a copy.
func (d *Dataset) X() *tensor.Dense { return d.x }

// ClassNames returns the names of the classes, indexed by label, when the loader
// knew them (ReadCSV with text labels, LoadMNIST, LoadFashionMNIST), or nil. It is the
// Dataset's own slice (shared with its Subsets), not a copy.
func (d *Dataset) ClassNames() []string { return d.classNames }

// Labels returns the class labels, or nil for a regression dataset. It is the Dataset's own
// slice, not a copy.
func (d *Dataset) Labels() []int { return d.labels }

// Y returns the regression targets, shape (N, ...), or nil for a classification dataset.
// It is the Dataset's own tensor, not a copy.
func (d *Dataset) Y() *tensor.Dense { return d.y }

// Subset returns a new Dataset holding copies of the examples at idx, in that order.
// Indices may repeat (as in a bootstrap sample).
func (d *Dataset) Subset(idx []int) (*Dataset, error) {
	if len(idx) == 0 {
		return nil, errors.New("data: subset: no indices, want at least 1")
	}
	if err := d.checkIndices(idx); err != nil {
		return nil, errors.Wrap(err, "data: subset")
	}
	x, t := d.newBuffers(len(idx), true)
	if err := d.Batch(idx, x, t); err != nil {
		return nil, errors.Wrap(err, "data: subset") // unreachable: buffers fit by construction
	}
	s := &Dataset{x: x, classes: d.classes, n: len(idx), featSize: d.featSize, targSize: d.targSize, classNames: d.classNames}
	if d.y != nil {
		s.y = t
		return s, nil
	}
	s.labels = make([]int, len(idx))
	for i, j := range idx {
		s.labels[i] = d.labels[j]
	}
	return s, nil
}

// Split shuffles the examples with a generator seeded by seed and returns the first
// round(frac*N) of them as a and the rest as b, both copies. Use it to hold out a
// validation set: train, val, err := ds.Split(0.9, seed). Both parts must be non-empty.
func (d *Dataset) Split(frac float64, seed uint64) (a, b *Dataset, err error) {
	if !(frac > 0 && frac < 1) { // also rejects NaN
		return nil, nil, errors.Errorf("data: split: frac = %v, want in (0, 1)", frac)
	}
	na := int(math.Round(frac * float64(d.n)))
	if na < 1 || na > d.n-1 {
		return nil, nil, errors.Errorf("data: split: frac %v of %d examples gives parts of %d and %d, want both >= 1",
			frac, d.n, na, d.n-na)
	}
	perm := rand.New(rand.NewPCG(seed, splitStream)).Perm(d.n)
	if a, err = d.Subset(perm[:na]); err != nil {
		return nil, nil, errors.Wrap(err, "data: split")
	}
	if b, err = d.Subset(perm[na:]); err != nil {
		return nil, nil, errors.Wrap(err, "data: split")
	}
	return a, b, nil
}

// splitStream is the PCG stream of Split's generator; fixed so that a seed always gives
// the same split.
const splitStream = 0x5b1d

// OneHot returns a tensor of shape (len(labels), classes) and dtype dt whose row i is 1 at
// column labels[i] and 0 elsewhere.
func OneHot(labels []int, classes int, dt tensor.Dtype) (*tensor.Dense, error) {
	if err := checkDtype(dt); err != nil {
		return nil, errors.Wrap(err, "data: one-hot")
	}
	if len(labels) == 0 {
		return nil, errors.New("data: one-hot: no labels, want at least 1")
	}
	if classes < 1 {
		return nil, errors.Errorf("data: one-hot: classes = %d, want >= 1", classes)
	}
	for i, l := range labels {
		if l < 0 || l >= classes {
			return nil, errors.Errorf("data: one-hot: label[%d] = %d, want in [0, %d)", i, l, classes)
		}
	}
	t := tensor.New(tensor.Of(dt), tensor.WithShape(len(labels), classes))
	if dt == tensor.Float32 {
		oneHot(t.Float32s(), labels, classes)
	} else {
		oneHot(t.Float64s(), labels, classes)
	}
	return t, nil
}

func oneHot[T float32 | float64](dst []T, labels []int, classes int) {
	for i, l := range labels {
		dst[i*classes+l] = 1
	}
}
