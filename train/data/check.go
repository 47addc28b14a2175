package data

import (
	"fmt"
	"hash/fnv"
	"iter"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// Checked returns a Source whose stream is src's, checked against the Source contract
// as it goes, at the cost of a few comparisons per batch: each batch must have the
// shapes and dtype that src reports, between 1 and batchSize examples (only the last
// may be smaller), and one pass must yield exactly Len() examples. A violation ends
// the stream with an error naming src's type and what it yielded, so that a source
// whose Len() promises examples it does not deliver is an error, not an epoch of
// nothing. An early stop of the consumer is no violation.
func Checked(src Source) Source { return checked{src, "data"} }

// checked prefixes its errors with what: "data", or the pass of Check.
type checked struct {
	Source
	what string
}

func (c checked) Stream(batchSize int, rng *rand.Rand) iter.Seq2[Batch, error] {
	return func(yield func(Batch, error) bool) {
		n, want, short := 0, c.Len(), false
		for b, err := range c.Source.Stream(batchSize, rng) {
			if err == nil {
				err = checkBatch(c.what, c.Source, b, batchSize, n, short)
			}
			if err != nil {
				yield(Batch{}, err)
				return
			}
			k := b.X.Shape()[0]
			n += k
			short = k < batchSize
			if n > want {
				yield(Batch{}, errors.Errorf("%s: source %T: one pass yielded more than Len() = %d examples (%d so far)", c.what, c.Source, want, n))
				return
			}
			if !yield(b, nil) {
				return
			}
		}
		if n != want {
			yield(Batch{}, errors.Errorf("%s: source %T: one pass yielded %d examples, Len() = %d", c.what, c.Source, n, want))
		}
	}
}

// checkBatch checks one batch of src against what src reports; seen examples came
// before it, after a partial batch if short.
func checkBatch(what string, src Source, b Batch, batchSize, seen int, short bool) error {
	fail := func(format string, args ...any) error {
		return errors.Errorf("%s: source %T: batch at example %d: %s", what, src, seen, fmt.Sprintf(format, args...))
	}
	if b.X == nil || b.T == nil {
		return fail("X = %v, T = %v, want both", b.X != nil, b.T != nil)
	}
	if b.X.Dtype() != src.DType() || b.T.Dtype() != src.DType() {
		return fail("X dtype %v, T dtype %v, want %v (DType())", b.X.Dtype(), b.T.Dtype(), src.DType())
	}
	xs := b.X.Shape()
	if len(xs) == 0 || xs[0] < 1 || xs[0] > batchSize {
		return fail("X shape %v, want (1 to %d, %v...)", xs, batchSize, src.FeatureShape())
	}
	n := xs[0]
	if short {
		return fail("%d examples after a batch smaller than the batch size %d: only the last batch may be partial", n, batchSize)
	}
	if want := append([]int{n}, src.FeatureShape()...); !slices.Equal(xs, want) {
		return fail("X shape %v, want %v (FeatureShape() %v)", xs, want, src.FeatureShape())
	}
	if want := append([]int{n}, src.TargetShape()...); !slices.Equal(b.T.Shape(), want) {
		return fail("T shape %v, want %v (TargetShape() %v)", b.T.Shape(), want, src.TargetShape())
	}
	if b.Index != nil && len(b.Index) != n {
		return fail("%d indices for %d examples", len(b.Index), n)
	}
	return nil
}

// Check tests that src keeps the Source contract, as testing/fstest.TestFS tests a
// file system; a custom Source should pass it in its tests. It reads three passes in
// batches of batchSize: one in order (nil rng) and two from generators in the same
// state, and returns an error for the first violation it finds. Beyond Checked's
// checks: DType is Float32 or Float64; every size in FeatureShape and TargetShape is
// >= 1; class targets are integers in [0, Classes()) and TargetShape is empty when
// Classes() > 0; Index, where given, is in [0, Len()) and names every example once
// per pass; and the two seeded passes yield the same batches, bit for bit.
func Check(src Source, batchSize int) error {
	if batchSize < 1 {
		return errors.Errorf("data: check: batch size = %d, want >= 1", batchSize)
	}
	if dt := src.DType(); dt != tensor.Float32 && dt != tensor.Float64 {
		return errors.Errorf("data: check: source %T: DType() = %v, want float32 or float64", src, dt)
	}
	if src.Len() < 0 || src.Classes() < 0 {
		return errors.Errorf("data: check: source %T: Len() = %d, Classes() = %d, want >= 0", src, src.Len(), src.Classes())
	}
	for _, s := range [][]int{src.FeatureShape(), src.TargetShape()} {
		for _, d := range s {
			if d < 1 {
				return errors.Errorf("data: check: source %T: FeatureShape() %v, TargetShape() %v, want sizes >= 1",
					src, src.FeatureShape(), src.TargetShape())
			}
		}
	}
	if src.Classes() > 0 && len(src.TargetShape()) != 0 && !isOneHot(src) {
		return errors.Errorf("data: check: source %T: %d classes with TargetShape() %v, want [] (class indices) or [%d] (one-hot)",
			src, src.Classes(), src.TargetShape(), src.Classes())
	}
	if _, err := checkPass("data: check: pass in order", src, batchSize, nil); err != nil {
		return err
	}
	var sums [2]uint64
	for i := range sums {
		var err error
		what := fmt.Sprintf("data: check: seeded pass %d", i+1)
		if sums[i], err = checkPass(what, src, batchSize, rand.New(rand.NewPCG(1, 2))); err != nil {
			return err
		}
	}
	if sums[0] != sums[1] {
		return errors.Errorf("data: check: source %T: two passes from generators in the same state yielded different batches", src)
	}
	return nil
}

func isOneHot(src Source) bool {
	ts := src.TargetShape()
	return len(ts) == 1 && ts[0] == src.Classes()
}

// checkPass reads one pass through Checked, checks labels and indices, and returns a
// hash of every batch's bits.
func checkPass(what string, src Source, batchSize int, rng *rand.Rand) (uint64, error) {
	h := fnv.New64a()
	var seen []bool
	if src.Len() > 0 {
		seen = make([]bool, src.Len())
	}
	var buf [8]byte
	put := func(v float64) {
		u := math.Float64bits(v)
		for i := range buf {
			buf[i] = byte(u >> (8 * i))
		}
		h.Write(buf[:])
	}
	classIndices := src.Classes() > 0 && len(src.TargetShape()) == 0
	for b, err := range (checked{src, what}).Stream(batchSize, rng) {
		if err != nil {
			return 0, err
		}
		for _, t := range []*tensor.Dense{b.X, b.T} {
			for i, n := 0, t.Shape().TotalSize(); i < n; i++ {
				put(elem(t, i))
			}
		}
		if classIndices {
			for i, n := 0, b.T.Shape()[0]; i < n; i++ {
				if l := elem(b.T, i); l != math.Trunc(l) || l < 0 || l >= float64(src.Classes()) {
					return 0, errors.Errorf("%s: source %T: target %v, want a class index in [0, %d)", what, src, l, src.Classes())
				}
			}
		}
		for _, j := range b.Index {
			if j < 0 || j >= len(seen) {
				return 0, errors.Errorf("%s: source %T: index %d, want in [0, %d)", what, src, j, len(seen))
			}
			if seen[j] {
				return 0, errors.Errorf("%s: source %T: index %d twice in one pass", what, src, j)
			}
			seen[j] = true
			put(float64(j))
		}
	}
	return h.Sum64(), nil
}
