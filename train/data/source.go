package data

import (
	"iter"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// Batch is one mini-batch: features X of shape (n, feature...) and targets T, of shape
// (n) holding class indices as numbers for a classification source or (n, target...)
// otherwise, both of the source's dtype. Index holds the examples' positions in the
// source when it knows them (nil otherwise).
//
// The tensors of a Batch yielded by Stream are valid until the iteration goes on; the
// consumer may change them in place (transforms do) but must copy what it keeps.
type Batch struct {
	X, T  *tensor.Dense
	Index []int
}

// Source is a dataset that streams its examples in mini-batches, so that it need not
// be held in memory. The Trainer takes a Source; *Dataset is one. Check tests that a
// Source keeps this contract; Checked makes a stream that breaks it end with an error.
type Source interface {
	// Len returns the number of examples in one pass: Stream must yield exactly
	// that many.
	Len() int
	// Classes returns the number of classes, or 0 for regression targets.
	Classes() int
	// DType returns the dtype of features and targets (Float32 or Float64).
	DType() tensor.Dtype
	// FeatureShape returns the shape of one example, without the batch axis.
	FeatureShape() []int
	// TargetShape returns the shape of one target: empty for class indices.
	TargetShape() []int
	// Stream yields the examples of one pass in batches of batchSize (the last
	// may be smaller), in order, or in an order drawn from rng when it is not nil.
	// The same rng state must give the same batches. Each batch has X of shape
	// (n, FeatureShape()...) and T of shape (n, TargetShape()...), of DType(). An
	// error ends the stream.
	Stream(batchSize int, rng *rand.Rand) iter.Seq2[Batch, error]
}

var _ Source = (*Dataset)(nil)

// Stream yields the dataset in batches (Source). The order is that of Batches with
// the same arguments, so a seeded generator gives the same batches as the
// index-based loop. It allocates the two batch buffers (full and last) once per pass.
func (d *Dataset) Stream(batchSize int, rng *rand.Rand) iter.Seq2[Batch, error] {
	return func(yield func(Batch, error) bool) {
		batches, err := Batches(d.n, batchSize, rng, false)
		if err != nil {
			yield(Batch{}, err)
			return
		}
		var bufs [2]Batch // full-size and partial
		for _, idx := range batches {
			k := 0
			if len(idx) != batchSize {
				k = 1
			}
			if bufs[k].X == nil {
				bufs[k].X, bufs[k].T = d.NewBatch(len(idx))
			}
			b := bufs[k]
			if err := d.Batch(idx, b.X, b.T); err != nil {
				yield(Batch{}, err)
				return
			}
			b.Index = idx
			if !yield(b, nil) {
				return
			}
		}
	}
}

// Transform returns a Source that applies fn to each batch of src, in place, before
// yielding it. fn must keep the shapes. An error from fn ends the stream.
func Transform(src Source, fn func(b Batch) error) Source {
	return transformed{src, fn}
}

type transformed struct {
	Source
	fn func(Batch) error
}

func (t transformed) Stream(batchSize int, rng *rand.Rand) iter.Seq2[Batch, error] {
	return func(yield func(Batch, error) bool) {
		for b, err := range t.Source.Stream(batchSize, rng) {
			if err == nil {
				err = t.fn(b)
			}
			if !yield(b, err) || err != nil {
				return
			}
		}
	}
}

// Normalize returns a Source whose features are (x - mean) / std, element-wise per
// feature: mean and std hold one value for all features or one per element of an
// example (prod(FeatureShape)). Every std must be > 0. See MeanStd.
func Normalize(src Source, mean, std []float64) (Source, error) {
	size := prod(src.FeatureShape())
	if len(mean) != len(std) || (len(mean) != 1 && len(mean) != size) {
		return nil, errors.Errorf("data: normalize: %d means and %d stds for examples of shape %v, want 1 or %d of each",
			len(mean), len(std), src.FeatureShape(), size)
	}
	for i, s := range std {
		if !(s > 0) || math.IsInf(s, 0) || math.IsNaN(mean[i]) || math.IsInf(mean[i], 0) {
			return nil, errors.Errorf("data: normalize: mean[%d] = %v, std[%d] = %v, want finite values and std > 0", i, mean[i], i, s)
		}
	}
	mean, inv := slices.Clone(mean), make([]float64, len(std))
	for i, s := range std {
		inv[i] = 1 / s
	}
	return Transform(src, func(b Batch) error {
		if b.X.Dtype() == tensor.Float32 {
			normalize(b.X.Float32s(), mean, inv)
		} else {
			normalize(b.X.Float64s(), mean, inv)
		}
		return nil
	}), nil
}

func normalize[T float32 | float64](x []T, mean, inv []float64) {
	k := len(mean)
	for i, v := range x {
		j := i % k
		x[i] = T((float64(v) - mean[j]) * inv[j])
	}
}

// MeanStd returns the mean and the (population) standard deviation of each feature
// element over one pass of src, computed in float64 with Welford's method. A feature
// that never varies gets std 1, so that Normalize leaves it centred but unscaled.
func MeanStd(src Source) (mean, std []float64, err error) {
	size := prod(src.FeatureShape())
	mean, m2 := make([]float64, size), make([]float64, size)
	n := 0
	for b, err := range src.Stream(1024, nil) {
		if err != nil {
			return nil, nil, errors.Wrap(err, "data: mean/std")
		}
		rows := b.X.Shape()[0]
		for r := 0; r < rows; r++ {
			n++
			for j := 0; j < size; j++ {
				v := elem(b.X, r*size+j)
				d := v - mean[j]
				mean[j] += d / float64(n)
				m2[j] += d * (v - mean[j])
			}
		}
	}
	if n == 0 {
		return nil, nil, errors.New("data: mean/std: empty source")
	}
	std = make([]float64, size)
	for j := range std {
		std[j] = math.Sqrt(m2[j] / float64(n))
		if std[j] == 0 {
			std[j] = 1
		}
	}
	return mean, std, nil
}

func elem(t *tensor.Dense, i int) float64 {
	if t.Dtype() == tensor.Float32 {
		return float64(t.Float32s()[i])
	}
	return t.Float64s()[i]
}

func prod(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// OneHotTargets returns a Source that yields the targets of the classification
// source src as one-hot rows, shape (n, classes), for losses that take
// probabilities (MSE, BCE). Classes() stays the same, so accuracy is still
// reported (from the argmax of the one-hot row).
func OneHotTargets(src Source) (Source, error) {
	if src.Classes() < 1 || len(src.TargetShape()) != 0 {
		return nil, errors.Errorf("data: one-hot targets: source has %d classes and target shape %v, want class indices",
			src.Classes(), src.TargetShape())
	}
	return oneHotSource{src}, nil
}

type oneHotSource struct{ Source }

func (o oneHotSource) TargetShape() []int { return []int{o.Classes()} }

func (o oneHotSource) Stream(batchSize int, rng *rand.Rand) iter.Seq2[Batch, error] {
	return func(yield func(Batch, error) bool) {
		c := o.Classes()
		var bufs [2]*tensor.Dense
		for b, err := range o.Source.Stream(batchSize, rng) {
			if err != nil {
				yield(b, err)
				return
			}
			n := b.T.Shape()[0]
			k := 0
			if n != batchSize {
				k = 1
			}
			if bufs[k] == nil || bufs[k].Shape()[0] != n {
				bufs[k] = tensor.New(tensor.Of(b.T.Dtype()), tensor.WithShape(n, c))
			}
			oh := bufs[k]
			var err error
			if oh.Dtype() == tensor.Float32 {
				err = fillOneHot(oh.Float32s(), b.T.Float32s(), c)
			} else {
				err = fillOneHot(oh.Float64s(), b.T.Float64s(), c)
			}
			if err != nil {
				yield(Batch{}, errors.Wrap(err, "data: one-hot targets"))
				return
			}
			if !yield(Batch{X: b.X, T: oh, Index: b.Index}, nil) {
				return
			}
		}
	}
}

func fillOneHot[T float32 | float64](dst, labels []T, classes int) error {
	clear(dst)
	for i, l := range labels {
		k := int(l)
		if k < 0 || k >= classes || T(k) != l {
			return errors.Errorf("label[%d] = %v, want an integer in [0, %d)", i, l, classes)
		}
		dst[i*classes+k] = 1
	}
	return nil
}
