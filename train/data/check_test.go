package data_test

import (
	"iter"
	"math/rand/v2"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/train/data"
)

// liar is a Source that reports len examples but streams those of the wrapped
// source, changed by edit: the custom source of issue 16 whose Len() is 4 but yields
// nothing, and its cousins.
type liar struct {
	data.Source
	len  int
	edit func(b data.Batch, i int) (data.Batch, bool) // i counts batches; false drops the batch
}

func (l liar) Len() int { return l.len }

func (l liar) Stream(bs int, rng *rand.Rand) iter.Seq2[data.Batch, error] {
	return func(yield func(data.Batch, error) bool) {
		i := 0
		for b, err := range l.Source.Stream(bs, rng) {
			if err != nil {
				yield(b, err)
				return
			}
			b, keep := l.edit(b, i)
			i++
			if keep && !yield(b, nil) {
				return
			}
		}
	}
}

func keep(b data.Batch, _ int) (data.Batch, bool) { return b, true }

// TestChecked checks that a source whose stream disagrees with what it reports is an
// error at the end of the pass (or as soon as it is certain), naming the source.
func TestChecked(t *testing.T) {
	ds := rangeSet(t, 10)
	for _, tc := range []struct {
		name string
		src  data.Source
		want string
	}{
		{"Len 4, yields nothing", liar{ds, 4, func(b data.Batch, _ int) (data.Batch, bool) { return b, false }},
			"source data_test.liar: one pass yielded 0 examples, Len() = 4"},
		{"yields fewer", liar{ds, 12, keep}, "one pass yielded 10 examples, Len() = 12"},
		{"yields more", liar{ds, 7, keep}, "one pass yielded more than Len() = 7 examples (8 so far)"},
		{"wrong feature shape", liar{ds, 10, func(b data.Batch, _ int) (data.Batch, bool) {
			b.X = tensor.New(tensor.WithShape(b.X.Shape()[0], 3), tensor.Of(tensor.Float64))
			return b, true
		}}, "X shape (4, 3), want [4 2] (FeatureShape() [2])"},
		{"partial batch in the middle", liar{ds, 10, func(b data.Batch, i int) (data.Batch, bool) {
			if i == 0 {
				b.X = tensor.New(tensor.WithShape(3, 2), tensor.WithBacking(b.X.Float64s()[:6]))
				b.T = tensor.New(tensor.WithShape(3), tensor.WithBacking(b.T.Float64s()[:3]))
				b.Index = b.Index[:3]
			}
			return b, true
		}}, "only the last batch may be partial"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var last error
			for _, err := range data.Checked(tc.src).Stream(4, nil) {
				if err != nil {
					last = err
				}
			}
			if last == nil || !strings.Contains(last.Error(), tc.want) || !strings.HasPrefix(last.Error(), "data: source data_test.liar: ") {
				t.Errorf("Checked stream error %v, want %q", last, tc.want)
			}
			if err := data.Check(tc.src, 4); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Check = %v, want %q", err, tc.want)
			}
		})
	}
	// Breaking out of the loop early is no violation.
	for _, err := range data.Checked(ds).Stream(4, nil) {
		if err != nil {
			t.Fatal(err)
		}
		break
	}
}

// TestCheckCatches checks Check's deeper checks: labels, indices and reproducibility.
func TestCheckCatches(t *testing.T) {
	ds := rangeSet(t, 10)
	for _, tc := range []struct {
		name string
		src  data.Source
		want string
	}{
		{"label out of range", liar{ds, 10, func(b data.Batch, _ int) (data.Batch, bool) {
			b.T.Float64s()[0] = 3
			return b, true
		}}, "target 3, want a class index in [0, 3)"},
		{"index twice", liar{ds, 10, func(b data.Batch, _ int) (data.Batch, bool) {
			b.Index[1] = b.Index[0]
			return b, true
		}}, "twice in one pass"},
		{"not reproducible", liar{ds, 10, func() func(data.Batch, int) (data.Batch, bool) {
			calls := 0
			return func(b data.Batch, _ int) (data.Batch, bool) {
				calls++
				b.X.Float64s()[0] += float64(calls)
				return b, true
			}
		}()}, "two passes from generators in the same state yielded different batches"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := data.Check(tc.src, 3); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Check = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestCheckSources runs Check on every Source this package makes.
func TestCheckSources(t *testing.T) {
	ds := rangeSet(t, 11)
	reg, err := data.NewRegression(tensor.New(tensor.WithShape(5, 1, 2), tensor.WithBacking(make([]float32, 10))),
		tensor.New(tensor.WithShape(5, 3), tensor.WithBacking(make([]float32, 15))))
	if err != nil {
		t.Fatal(err)
	}
	norm, err := data.Normalize(ds, []float64{1}, []float64{2})
	if err != nil {
		t.Fatal(err)
	}
	oh, err := data.OneHotTargets(ds)
	if err != nil {
		t.Fatal(err)
	}
	pre, err := data.Prefetch(oh, 2)
	if err != nil {
		t.Fatal(err)
	}
	for name, src := range map[string]data.Source{
		"dataset": ds, "regression": reg, "normalize": norm, "one-hot": oh, "prefetch": pre, "checked": data.Checked(ds),
	} {
		for _, bs := range []int{1, 4, 11, 20} {
			if err := data.Check(src, bs); err != nil {
				t.Errorf("%s, batch size %d: %v", name, bs, err)
			}
		}
	}
}
